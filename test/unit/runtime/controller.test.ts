// The controller loop (runtime/controller.ts): a standby keeps no queue, and what each Result asks of the queue.
import pino from "pino";
import { describe, expect, it } from "vitest";
import { OperatorError } from "../../../src/errors.ts";
import { Controller, type Result } from "../../../src/runtime/controller.ts";
import { ExponentialLimiter, WorkQueue } from "../../../src/runtime/queue.ts";

describe("Controller.enqueue", () => {
  it("keeps no queue on a standby, and queues from start() on, the initial keys included", async () => {
    const queue = new WorkQueue(new ExponentialLimiter(100, 10_000, { jitter: 0 }));
    const reconciled: string[] = [];
    let release: () => void = () => {};
    const synced = new Promise<void>((r) => {
      release = r;
    });
    const c = new Controller({
      name: "test",
      queue,
      synced,
      initialKeys: () => ["ns/live"],
      reconcile: async (key) => {
        reconciled.push(key);
        return {};
      },
      workers: 1,
      log: pino({ level: "silent" }),
    });
    // A standby sees every event; keys of objects long gone must not pile up.
    for (let i = 0; i < 100; i++) c.enqueue(`ns/deleted-${i}`);
    expect(queue.length).toBe(0);
    // Leading: a change while the caches sync is kept, then every live key is listed.
    const started = c.start();
    c.enqueue("ns/changed");
    expect(queue.length).toBe(1);
    release();
    await started;
    await expect.poll(() => reconciled.sort(), { timeout: 4000 }).toEqual(["ns/changed", "ns/live"]);
    await c.stop(1000);
    c.enqueue("ns/after-stop");
    expect(queue.length).toBe(0);
  });
});

/** A work queue that records what the controller asks of it. */
class RecordingQueue extends WorkQueue {
  readonly asked: string[] = [];
  override addAfter(key: string, delayMs: number): void {
    this.asked.push(`after ${delayMs}`);
    super.addAfter(key, delayMs);
  }
  override addRateLimited(key: string): number {
    const before = this.asked.length;
    const delay = super.addRateLimited(key);
    this.asked.splice(before); // its own addAfter
    this.asked.push(`backoff ${delay}`);
    return delay;
  }
  override forget(key: string): void {
    this.asked.push("forget");
    super.forget(key);
  }
}

const failure = () => new OperatorError("transient", "InternalError", "boom");

/** Runs one key through a controller whose reconcile answers from a script, until the script is used up. */
async function runScript(script: Array<Result | Error>) {
  // 1 ms doubling to 8 ms, no jitter: the delays are exact and the test is quick.
  const queue = new RecordingQueue(new ExponentialLimiter(1, 8, { jitter: 0 }));
  const results: string[] = [];
  const logged: Array<{ msg: string; retryInMs?: number; binding?: string }> = [];
  let i = 0;
  const c = new Controller({
    name: "test",
    queue,
    synced: Promise.resolve(),
    initialKeys: () => ["ns/a"],
    reconcile: async () => {
      const next = script[i++] ?? {};
      if (next instanceof Error) throw next;
      return next;
    },
    workers: 1,
    keyName: "binding",
    log: pino({ level: "warn" }, { write: (line: string) => logged.push(JSON.parse(line)) }),
    metrics: { reconciled: (result) => results.push(result) },
  });
  await c.start();
  await expect.poll(() => results.length, { timeout: 5000 }).toBeGreaterThanOrEqual(script.length);
  await c.stop(1000);
  return { asked: queue.asked, results: results.slice(0, script.length), logged };
}

describe("Controller: what a Result asks of the queue", () => {
  it("retries a failure on the key's backoff, doubling to the cap; a pass that does not fail starts it over", async () => {
    const f = { failed: failure() };
    const { asked, results, logged } = await runScript([f, f, f, f, f, { requeueAfterMs: 1 }, f, {}]);
    expect(asked).toEqual([
      "backoff 1",
      "backoff 2",
      "backoff 4",
      "backoff 8",
      "backoff 8",
      "forget",
      "after 1",
      "backoff 1",
      "forget",
    ]);
    expect(results).toEqual([
      "error",
      "error",
      "error",
      "error",
      "error",
      "requeue_after",
      "error",
      "success",
    ]);
    // Each failure is logged once, with the delay the backoff chose and the key under its name.
    expect(logged.map((l) => [l.msg, l.retryInMs, l.binding])).toEqual(
      [1, 2, 4, 8, 8, 1].map((ms) => ["reconcile failed", ms, "ns/a"]),
    );
  });

  it("requeueAfter forgets the backoff; a slow retry (a failure with its own delay) neither counts nor resets", async () => {
    const f = { failed: failure() };
    const { asked, results } = await runScript([
      f,
      f,
      { failed: failure(), requeueAfterMs: 3 },
      f,
      { requeueAfterMs: 2 },
      f,
    ]);
    expect(asked.slice(0, 7)).toEqual([
      "backoff 1",
      "backoff 2",
      "after 3",
      "backoff 4",
      "forget",
      "after 2",
      "backoff 1",
    ]);
    expect(results).toEqual(["error", "error", "error", "error", "requeue_after", "error"]);
  });

  it("a poll (a busy listener, a conflict) waits without touching the backoff: failures around it keep counting", async () => {
    const f = { failed: failure() };
    const { asked, results } = await runScript([f, { requeueAfterMs: 3, poll: true }, f, f, {}]);
    expect(asked).toEqual(["backoff 1", "after 3", "backoff 2", "backoff 4", "forget"]);
    expect(results).toEqual(["error", "requeue_after", "error", "error", "success"]);
  });

  it("logs a thrown error as unexpected and retries it on the same backoff", async () => {
    const { asked, results, logged } = await runScript([
      new TypeError("x is not a function"),
      { failed: failure() },
    ]);
    expect(asked.slice(0, 2)).toEqual(["backoff 1", "backoff 2"]);
    expect(results).toEqual(["error", "error"]);
    expect(logged.map((l) => l.msg)).toEqual(["reconcile failed unexpectedly", "reconcile failed"]);
  });
});
