// The emulator's per-action limit (emulator/rate-limit.ts), written apart from the operator's token bucket: a burst
// of N at once, then one per 1/N s, never more in the long run.
import { describe, expect, it } from "vitest";
import { RateLimit } from "../../../emulator/rate-limit.ts";
import { TokenBucket } from "../../../src/runtime/token-bucket.ts";

describe("RateLimit", () => {
  it("admits a burst of N, then one per 1/N s", () => {
    let now = 0;
    const l = new RateLimit(20, () => now);
    const burst = Array.from({ length: 21 }, () => l.admit());
    expect(burst.filter(Boolean)).toHaveLength(20);
    expect(burst.at(-1)).toBe(false);
    now += 49;
    expect(l.admit()).toBe(false);
    now += 1;
    expect([l.admit(), l.admit()]).toEqual([true, false]);
  });

  it("a refused request uses none of the budget", () => {
    let now = 0;
    const l = new RateLimit(2, () => now);
    expect([l.admit(), l.admit(), l.admit(), l.admit()]).toEqual([true, true, false, false]);
    now += 500;
    expect(l.admit()).toBe(true);
  });

  it.each([1, 5, 20, 1000])("admits no more than N per second over a long run (N = %i)", (n) => {
    let now = 0;
    const l = new RateLimit(n, () => now);
    let admitted = 0;
    // Ten requests a millisecond for 10 s: 100,000 in all, far more than any limit here admits.
    for (let i = 0; i < 100_000; i++, now += 0.1) if (l.admit()) admitted++;
    // The burst of N, then N a second.
    expect(admitted).toBeLessThanOrEqual(n + n * 10);
    expect(admitted).toBeGreaterThanOrEqual(n * 10);
  });

  it("refuses a rate that is not positive", () => {
    expect(() => new RateLimit(0)).toThrow(RangeError);
  });

  it("agrees with the operator's token bucket on every request, though written apart (a differential check)", () => {
    // A small seeded generator: the same arrivals on every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let disagreements = 0;
    for (const n of [1, 5, 20, 1000]) {
      let now = 1_700_000_000_000;
      const limit = new RateLimit(n, () => now);
      const bucket = new TokenBucket(n, n, () => now);
      for (let i = 0; i < 20_000; i++) {
        // Bursts (several at one instant) and gaps around the rate's own interval.
        now += random() < 0.3 ? 0 : random() * (2000 / n);
        if (limit.admit() !== bucket.tryTake()) disagreements++;
      }
    }
    expect(disagreements).toBe(0);
  });
});
