import pino from "pino";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/runtime/controller.ts";
import { ExponentialLimiter, WorkQueue } from "../../src/runtime/queue.ts";

describe("Controller.enqueue", () => {
  it("keeps no queue on a standby, and queues from start() on, the initial keys included", async () => {
    const queue = new WorkQueue(new ExponentialLimiter(100, 10_000, 0));
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
    await expect.poll(() => reconciled.sort()).toEqual(["ns/changed", "ns/live"]);
    await c.stop(1000);
    c.enqueue("ns/after-stop");
    expect(queue.length).toBe(0);
  });
});
