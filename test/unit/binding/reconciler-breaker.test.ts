// The reconciler through its ports (binding-world.ts): the breaker's window across passes, and what it holds back
// going at most maxUnbindPercent a window.
import { describe, expect, it } from "vitest";
import type { BindingReconciler } from "../../../src/binding/reconciler.ts";
import { origin, podView, TASK_MS, World } from "./binding-world.ts";

/** Drops the first of `ips` a minute later and lets the bind apply: what stays bound, and whether the breaker held. */
async function scaleDownByOneAMinuteLater(w: World, r: BindingReconciler, key: string, ips: string[]) {
  const before = w.events.length;
  w.views.set(key, podView(ips.slice(1)));
  w.t += 60_000;
  await r.reconcile(key);
  w.t += TASK_MS + 1;
  await r.reconcile(key);
  return { bound: w.bound().length, held: w.events.slice(before).some((e) => e.reason === "MassUnbind") };
}

describe("Reconciler: the breaker's window", () => {
  const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}`);
  /** Shrinks the Service's endpoints one at a time, a pass (and the task) apart; returns what stayed bound. */
  async function shrinkOneByOne(windowMs: number) {
    const w = new World();
    w.addListener(ips(10).map(origin));
    const key = w.addBinding("web", {}, ips(10));
    const r = w.reconciler({ unbindWindowMs: windowMs });
    await r.reconcile(key);
    for (let n = 9; n >= 1; n--) {
      w.views.set(key, podView(ips(n)));
      w.t += TASK_MS + 1;
      await r.reconcile(key);
      w.t += TASK_MS + 1;
      await r.reconcile(key);
    }
    return { bound: w.bound().length, held: w.events.some((e) => e.reason === "MassUnbind") };
  }

  it("holds a collapse in small steps at maxUnbindPercent below the recent peak", async () => {
    expect(await shrinkOneByOne(300_000)).toEqual({ bound: 5, held: true });
  });

  it("with no window, judges each step alone and lets the same collapse through", async () => {
    expect(await shrinkOneByOne(0)).toEqual({ bound: 1, held: false });
  });

  it("a replacement's brief double (new bound before old removed) is no peak: a scale-down after it goes through", async () => {
    const w = new World();
    w.addListener(ips(5).map(origin));
    const key = w.addBinding("web", {}, ips(5));
    const r = w.reconciler({ unbindWindowMs: 300_000 });
    await r.reconcile(key);
    // A rollout: five new pods replace the five.
    const fresh = Array.from({ length: 5 }, (_, i) => `10.0.1.${i + 1}`);
    w.views.set(key, podView(fresh));
    for (let pass = 0; pass < 4; pass++) {
      w.t += TASK_MS + 1;
      await r.reconcile(key);
    }
    expect(w.bound().sort()).toEqual(fresh);
    // Scaled down by one a minute later, well within the window: 1 of 5 goes.
    expect(await scaleDownByOneAMinuteLater(w, r, key, fresh)).toEqual({ bound: 4, held: false });
  });

  it("a surge rollout's old-and-new set is no peak either: a scale-down a minute after it goes through", async () => {
    const old = ips(5);
    const fresh = Array.from({ length: 5 }, (_, i) => `10.0.1.${i + 1}`);
    const w = new World();
    w.addListener(old.map(origin));
    const key = w.addBinding("web", {}, old);
    const r = w.reconciler({ unbindWindowMs: 300_000 });
    await r.reconcile(key);
    // maxSurge 100% without gates: the new pods are ready beside the old ones for one pass...
    w.views.set(key, podView([...old, ...fresh]));
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    expect(w.bound()).toHaveLength(10);
    // ...and the old ones are gone by the next.
    w.views.set(key, podView(fresh));
    for (let pass = 0; pass < 2; pass++) {
      w.t += TASK_MS + 1;
      await r.reconcile(key);
    }
    expect(w.bound().sort()).toEqual(fresh);
    expect(await scaleDownByOneAMinuteLater(w, r, key, fresh)).toEqual({ bound: 4, held: false });
  });

  it("lets the peak age out of the window: a held step goes once the window has passed", async () => {
    const w = new World();
    w.addListener(ips(10).map(origin));
    const key = w.addBinding("web", {}, ips(10));
    const r = w.reconciler({ unbindWindowMs: 60_000 });
    await r.reconcile(key);
    w.views.set(key, podView(ips(5)));
    w.t += 1;
    await r.reconcile(key);
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    expect(w.bound()).toHaveLength(5);
    w.views.set(key, podView(ips(4)));
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    expect(w.bound()).toHaveLength(5);
    expect(w.condition(key, "Degraded")?.reason).toBe("MassUnbind");
    // The 10 leaves the window; the peak is then 5, and removing 1 of 5 is within 50%.
    w.t += 60_000;
    await r.reconcile(key);
    expect(w.bound()).toHaveLength(4);
  });

  it("lets a shrink it held back go at maxUnbindPercent a window, looking again as the peak leaves it", async () => {
    // Shorter than the verify interval, so each look comes from the window.
    const WINDOW = 40_000;
    const w = new World();
    w.addListener(ips(10).map(origin));
    const key = w.addBinding("web", {}, ips(10));
    const r = w.reconciler({ unbindWindowMs: WINDOW });
    await r.reconcile(key);
    // Scaled from 10 to 1 in one step: 5 go now (50% of the peak), 4 are held back.
    w.views.set(key, podView(ips(1)));
    w.t += 1;
    await r.reconcile(key);
    const start = w.t;
    w.t += TASK_MS + 1;
    const held = await r.reconcile(key);
    expect(w.bound()).toHaveLength(5);
    expect(w.condition(key, "Degraded")).toMatchObject({
      reason: "MassUnbind",
      message: expect.stringMatching(/more than maxUnbindPercent \(50%\) below the recent peak of 10/),
    });
    // The next look is when the peak of 10 leaves the window, not the verify interval.
    expect(held.requeueAfterMs).toBeGreaterThan(0);
    expect(held.requeueAfterMs).toBeLessThanOrEqual(WINDOW);
    const sizes: number[] = [];
    let next = held.requeueAfterMs as number;
    for (let step = 0; step < 8 && w.bound().length > 1; step++) {
      w.t += next;
      await r.reconcile(key);
      w.t += TASK_MS + 1;
      next = (await r.reconcile(key)).requeueAfterMs as number;
      sizes.push(w.bound().length);
    }
    // A window apart each: 5, then 3, 2, 1. Never more than 50% below what the window saw.
    expect(sizes).toEqual([3, 2, 1]);
    expect(w.t - start).toBeGreaterThanOrEqual(3 * WINDOW - 3 * (TASK_MS + 1));
    expect(w.condition(key, "Degraded")?.status).toBe("False");
  });

  it("remembers the set a collapse starts from when no pass ran for longer than the window", async () => {
    const w = new World();
    w.addListener(ips(10).map(origin));
    const key = w.addBinding("web", {}, ips(10));
    const r = w.reconciler({ unbindWindowMs: 60_000 });
    await r.reconcile(key);
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    expect(w.get(key).status?.desiredCount).toBe(10);
    // Quiet for longer than the window, then a collapse in two quick steps: 10 -> 5 is 50%, 5 -> 1 is held at 5.
    w.t += 90_000;
    w.views.set(key, podView(ips(5)));
    await r.reconcile(key);
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    expect(w.bound()).toHaveLength(5);
    w.views.set(key, podView(ips(1)));
    w.t += 1;
    await r.reconcile(key);
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    expect(w.bound()).toHaveLength(5);
    expect(w.condition(key, "Degraded")?.reason).toBe("MassUnbind");
  });

  it("rollouts while a shrink is held back replace origins instead of piling them up", async () => {
    const w = new World();
    w.addListener(ips(10).map(origin));
    const key = w.addBinding("web", {}, ips(10));
    const r = w.reconciler({ unbindWindowMs: 3_600_000 });
    await r.reconcile(key);
    // Down to 1, then rolled to a new pod IP 20 times within the window.
    for (let n = 1; n <= 20; n++) {
      w.views.set(key, podView([`10.0.9.${n}`]));
      for (let pass = 0; pass < 3; pass++) {
        w.t += TASK_MS + 1;
        await r.reconcile(key);
      }
      expect(w.bound().length).toBeLessThanOrEqual(6);
    }
    // The newest pod and 4 of the old (50% of the peak of 10): the rollouts left nothing behind.
    expect(w.bound()).toContain("10.0.9.20");
    expect(w.bound()).toHaveLength(5);
  });
});
