// Deleting a binding (binding/finalizer.ts): what it decides without GAAP, and the unbind under the listener's
// lock, a step at a time. The reconciler's tests run the same through a whole pass.
import { describe, expect, it } from "vitest";
import {
  FINALIZER,
  type GaapListenerBinding,
  type GaapListenerBindingSpec,
  resolveSpec,
} from "../../../src/api/types.ts";
import { Applier } from "../../../src/binding/apply.ts";
import { Finalizer } from "../../../src/binding/finalizer.ts";
import { BindTaskTracker } from "../../../src/binding/task-tracker.ts";
import { OperatorError } from "../../../src/errors.ts";
import { origin, TASK_MS, World } from "./binding-world.ts";

function setup(spec: Partial<GaapListenerBindingSpec> = {}, owned = ["10.0.0.1:8080"]) {
  const w = new World();
  w.addListener([origin("10.0.0.1"), origin("10.0.0.2")]);
  const key = w.addBinding("web", { ownership: "Shared", ...spec }, ["10.0.0.1"]);
  const b = w.get(key);
  w.bindings.set(key, {
    ...b,
    metadata: { ...b.metadata, deletionTimestamp: new Date() },
    status: {
      ownedServers: owned,
      boundServers: owned.map((o) => ({ ip: o.split(":")[0] as string, port: 8080 })),
    },
  });
  const deps = w.deps();
  const tracker = new BindTaskTracker(TASK_MS, w.clock);
  const finalizer = new Finalizer(deps, new Applier(deps, tracker, w.clock));
  const get = (): GaapListenerBinding => w.get(key);
  return { w, key, get, finalizer, spec: resolveSpec(get().spec) };
}

describe("Finalizer.withoutGaap", () => {
  it("Retain: lets go at once, GAAP as it is", async () => {
    const { w, key, get, finalizer, spec } = setup({ deletionPolicy: "Retain" });
    expect(await finalizer.withoutGaap(get(), spec)).toEqual({});
    expect(w.log).toEqual(["finalizers []"]);
    expect(w.bindings.has(key)).toBe(false);
    expect(w.bound()).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("bound nothing: lets go without reading GAAP", async () => {
    const { w, get, finalizer, spec } = setup({}, []);
    expect(await finalizer.withoutGaap(get(), spec)).toEqual({});
    expect([w.log, w.reads]).toEqual([["finalizers []"], 0]);
  });

  it("never held its listener (an older binding does): lets go, leaving the holder's set", async () => {
    const { w, get, finalizer, spec } = setup();
    w.addBinding("older", {}, ["10.0.0.2"], "2025-01-01T00:00:00Z");
    expect(await finalizer.withoutGaap(get(), spec)).toEqual({});
    expect(w.log).toEqual(["finalizers []"]);
  });

  it("on a standby, or once its finalizer is gone: does nothing", async () => {
    const { w, key, get, finalizer, spec } = setup();
    w.leader = false;
    expect(await finalizer.withoutGaap(get(), spec)).toEqual({});
    w.leader = true;
    w.bindings.set(key, { ...get(), metadata: { ...get().metadata, finalizers: [] } });
    expect(await finalizer.withoutGaap(get(), spec)).toEqual({});
    expect(w.log).toEqual([]);
  });

  it("owns something on a listener it holds: GAAP must be read (undefined)", async () => {
    const { get, finalizer, spec } = setup();
    expect(get().metadata.finalizers).toEqual([FINALIZER]);
    expect(await finalizer.withoutGaap(get(), spec)).toBeUndefined();
  });
});

describe("Finalizer.unbind", () => {
  it("unbinds only its own, then (once applied) collects its origins, says Unbound and lets go", async () => {
    const { w, key, get, finalizer, spec } = setup();
    expect(await finalizer.unbind(get(), spec)).toEqual({ requeueAfterMs: TASK_MS });
    expect(w.bound()).toEqual(["10.0.0.2"]);
    expect(w.events.map((e) => e.reason)).toEqual(["Unbinding"]);
    w.t += TASK_MS;
    w.log.length = 0;
    expect(await finalizer.unbind(get(), spec)).toEqual({});
    expect(w.log).toEqual(["collect 10.0.0.1", "sweep soon", "finalizers []"]);
    expect(w.events.map((e) => e.reason)).toEqual(["Unbinding", "Unbound"]);
    expect(w.wanted.get(key)).toEqual([]);
  });

  it("a listener busy with another task: waits, binds nothing", async () => {
    const { w, get, finalizer, spec } = setup();
    w.addListener([origin("10.0.0.1"), origin("10.0.0.2")], { busyUntil: Number.POSITIVE_INFINITY });
    expect(await finalizer.unbind(get(), spec)).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(w.log).toEqual([]);
  });

  it("a listener that is gone does not block the deletion", async () => {
    const { w, key, get, finalizer, spec } = setup();
    w.listeners.clear();
    expect(await finalizer.unbind(get(), spec)).toEqual({});
    expect(w.bindings.has(key)).toBe(false);
  });

  it("any other read failure goes to the reconciler's one error path", async () => {
    const { w, get, finalizer, spec } = setup();
    w.failures.describe.push(new OperatorError("transient", "InternalError", "boom"));
    await expect(finalizer.unbind(get(), spec)).rejects.toThrow("boom");
    expect(w.log).toEqual([]);
  });
});
