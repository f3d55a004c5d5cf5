// The work queue and its limiters (runtime/queue.ts), to client-go's semantics.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ControllerLimiter, ExponentialLimiter, WorkQueue } from "../../../src/runtime/queue.ts";
import { TokenBucket } from "../../../src/runtime/token-bucket.ts";

const noJitter = () => new ExponentialLimiter(100, 10_000, { jitter: 0 });

describe("WorkQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("dedups keys waiting in the queue and keeps FIFO order", async () => {
    const q = new WorkQueue(noJitter());
    for (const k of ["a", "b", "a", "c", "b"]) q.add(k);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["a", "b", "c"]);
  });

  it("never hands out a key being processed; an add meanwhile runs it once more after done", async () => {
    const q = new WorkQueue(noJitter());
    q.add("a");
    const k = await q.get();
    q.add("a");
    q.add("a");
    expect(q.length).toBe(0);
    q.done(k as string);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("a");
    q.done("a");
    expect(q.length).toBe(0);
  });

  it("wakes a waiting worker", async () => {
    const q = new WorkQueue(noJitter());
    const got = q.get();
    q.add("x");
    expect(await got).toBe("x");
    expect(q.isProcessing("x")).toBe(true);
  });

  it("addAfter only ever moves a waiting key earlier", async () => {
    const q = new WorkQueue(noJitter());
    q.addAfter("a", 1000);
    q.addAfter("a", 5000);
    vi.advanceTimersByTime(999);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
    await q.get();
    q.done("a");
    q.addAfter("a", 5000);
    q.addAfter("a", 200);
    vi.advanceTimersByTime(200);
    expect(q.length).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(q.length).toBe(1);
  });

  it.each([
    { failures: 1, want: [100] },
    { failures: 4, want: [100, 200, 400, 800] },
    { failures: 9, want: [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000] },
  ])("backs off exponentially per key: $failures failures -> $want", ({ failures, want }) => {
    const q = new WorkQueue(noJitter());
    const delays = Array.from({ length: failures }, () => q.addRateLimited("a"));
    expect(delays).toEqual(want);
    q.forget("a");
    expect(q.addRateLimited("a")).toBe(100);
    expect(q.addRateLimited("b")).toBe(100);
  });

  it("jitters backoff downwards by at most the jitter share", () => {
    const l = new ExponentialLimiter(1000, 60_000, { jitter: 0.5, random: () => 0.999 });
    expect(l.when("k")).toBe(500);
    expect(l.when("k")).toBe(1001);
  });

  it("keeps failure counts per key in the map it is given (the controller's memory), which a deletion empties", () => {
    const counts = new Map<string, number>();
    const l = new ExponentialLimiter(5, 1000, { jitter: 0, counts });
    expect([l.when("a"), l.when("a"), l.when("b")]).toEqual([5, 10, 5]);
    expect(counts).toEqual(
      new Map([
        ["a", 2],
        ["b", 1],
      ]),
    );
    counts.delete("a");
    expect(l.when("a")).toBe(5);
  });

  it("also limits all keys together with a token bucket (the readiness-gate controller's)", () => {
    const bucket = new TokenBucket(10, 2, Date.now);
    const l = new ControllerLimiter(new ExponentialLimiter(5, 1000, { jitter: 0 }), bucket);
    expect([l.when("a"), l.when("b"), l.when("c")]).toEqual([5, 5, 100]);
  });

  it("hands out nothing after shutdown and releases waiting workers", async () => {
    const q = new WorkQueue(noJitter());
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add("a");
    expect(await q.get()).toBeUndefined();
  });
});
