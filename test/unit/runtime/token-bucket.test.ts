import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../src/runtime/token-bucket.ts";

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe("TokenBucket", () => {
  it.each([
    { rate: 20, burst: 20, taken: 20 },
    { rate: 10, burst: 1, taken: 1 },
    { rate: 1000, burst: 1000, taken: 1000 },
  ])("admits a burst of $burst at $rate/s, then refuses", ({ rate, burst, taken }) => {
    const c = clock();
    const b = new TokenBucket(rate, burst, c.now);
    let ok = 0;
    for (let i = 0; i < burst + 5; i++) if (b.tryTake()) ok++;
    expect(ok).toBe(taken);
  });

  it.each([
    { elapsedMs: 49, expected: false },
    { elapsedMs: 50, expected: true },
    { elapsedMs: 10_000, expected: true },
  ])("refills one token per 1/rate: after $elapsedMs ms at 20/s -> $expected", ({ elapsedMs, expected }) => {
    const c = clock();
    const b = new TokenBucket(20, 20, c.now);
    for (let i = 0; i < 20; i++) b.tryTake();
    c.t += elapsedMs;
    expect(b.tryTake()).toBe(expected);
  });

  it("never holds more than its burst", () => {
    const c = clock();
    const b = new TokenBucket(20, 5, c.now);
    c.t += 60_000;
    expect(b.available()).toBe(5);
  });

  it("spaces reservations at the rate", () => {
    const c = clock();
    const b = new TokenBucket(10, 2, c.now);
    expect([b.reserve(), b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 100, 200]);
    c.t += 100;
    // One token came back; the queue moved up by one slot.
    expect(b.reserve()).toBe(200);
  });

  it("rejects nonsense", () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});
