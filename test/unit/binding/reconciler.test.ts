// The reconciler through its ports (binding-world.ts), with in-memory caches, GAAP, status writer and a fake clock:
// ownership, wait / hold / bind / in sync, drift, the finalizer and the error path. The same passes run against the
// real apiserver and the emulator in test/integration; here each decision is pinned down on its own.
import { describe, expect, it } from "vitest";
import { FINALIZER } from "../../../src/api/types.ts";
import { OperatorError } from "../../../src/errors.ts";
import type { TargetState } from "../../../src/gaap/types.ts";
import { CONFLICT_RETRY_MS } from "../../../src/runtime/controller.ts";
import { BUSY_POLL_MS, LISTENER, origin, TASK_MS, VERIFY_MS, World } from "./binding-world.ts";

describe("Reconciler", () => {
  it("adds its finalizer first and touches nothing else", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.bindings.set(key, { ...w.get(key), metadata: { ...w.get(key).metadata, finalizers: [] } });
    expect(await w.reconciler().reconcile(key)).toEqual({});
    expect(w.log).toEqual([`finalizers [${FINALIZER}]`]);
    expect(w.reads).toBe(0);
  });

  it("registers what has no ID, records ownership before the bind, binds, and waits out the task", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.2", "10.0.0.1"]);
    const r = w.reconciler();
    expect(await r.reconcile(key)).toEqual({ requeueAfterMs: TASK_MS });
    expect(w.log).toEqual([
      "register 10.0.0.1,10.0.0.2",
      "status Binding",
      "bind 10.0.0.1:8080,10.0.0.2:8080",
    ]);
    expect(w.get(key).status?.ownedServers).toEqual(["10.0.0.1:8080", "10.0.0.2:8080"]);
    expect(w.events.map((e) => e.reason)).toEqual(["Bound"]);
    expect(w.wanted.get(key)).toEqual(["10.0.0.1", "10.0.0.2"]);

    // While the bind is being applied, a pass reads nothing: a wait, which leaves the backoff as it is.
    w.t += 400;
    const reads = w.reads;
    expect(await r.reconcile(key)).toEqual({ requeueAfterMs: TASK_MS - 400, poll: true });
    expect(w.reads).toBe(reads);

    // Done: in sync, Ready, next look at the verify interval (jittered: random 0.5 gives the interval itself).
    w.t += TASK_MS;
    expect(await r.reconcile(key)).toEqual({ requeueAfterMs: VERIFY_MS });
    expect(w.condition(key, "Ready")).toMatchObject({ status: "True", reason: "InSync" });
    expect(w.get(key).status?.boundCount).toBe(2);
  });

  it.each([
    {
      name: "a listener busy with someone else's task: wait and poll",
      listener: { busyUntil: Number.POSITIVE_INFINITY },
      ips: ["10.0.0.1"],
      requeue: BUSY_POLL_MS,
      ready: "ListenerBusy",
      event: undefined,
    },
    {
      name: "zero endpoints with origins bound: hold, keep the set",
      listener: {},
      ips: [],
      requeue: VERIFY_MS,
      ready: "EmptyEndpoints",
      event: "EmptyEndpoints",
    },
  ])("$name", async ({ listener, ips, requeue, ready, event }) => {
    const w = new World();
    w.addListener(["10.0.0.1", "10.0.0.2", "10.0.0.3"].map(origin), listener);
    const key = w.addBinding("web", {}, ips);
    expect(await w.reconciler().reconcile(key)).toEqual({ requeueAfterMs: requeue });
    expect(w.condition(key, "Ready")).toMatchObject({ status: "False", reason: ready });
    expect(w.bound()).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    expect(w.log.filter((l) => l.startsWith("bind"))).toEqual([]);
    expect(w.events.map((e) => e.reason)).toEqual(event ? [event] : []);
  });

  it("repairs drift with a warning when GAAP lost what the binding confirmed", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1", "10.0.0.2"]);
    const r = w.reconciler();
    await r.reconcile(key);
    w.t += TASK_MS;
    await r.reconcile(key);
    expect(w.condition(key, "Ready")?.status).toBe("True");
    // Someone removes an origin in the console.
    (w.listeners.get(LISTENER) as TargetState).bound = [origin("10.0.0.1")];
    // The first look found the first task done already, so the task estimate shrank by 10%.
    expect(await r.reconcile(key)).toEqual({ requeueAfterMs: 0.9 * TASK_MS });
    expect(w.bound()).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(w.events.at(-1)).toMatchObject({ type: "Warning", reason: "DriftRepaired" });
  });

  it("lets only the oldest Exclusive binding write a listener; the other reports the conflict", async () => {
    const w = new World();
    w.addListener();
    const old = w.addBinding("old", {}, ["10.0.0.1"], "2026-01-01T00:00:00Z");
    const young = w.addBinding("young", {}, ["10.0.0.9"], "2026-02-01T00:00:00Z");
    const r = w.reconciler();
    expect(await r.reconcile(young)).toEqual({});
    expect(w.condition(young, "Ready")).toMatchObject({ status: "False", reason: "ListenerConflict" });
    expect(w.condition(young, "Ready")?.message).toMatch(/held by ns\/old \(Exclusive\)/);
    expect(w.wanted.get(young)).toEqual([]);
    expect(w.reads).toBe(0);
    await r.reconcile(old);
    expect(w.bound()).toEqual(["10.0.0.1"]);
  });

  it("under Shared ownership keeps the entries of others and binds its own beside them", async () => {
    const w = new World();
    w.addListener([origin("192.0.2.50")]);
    const a = w.addBinding("a", { ownership: "Shared" }, ["10.0.0.1"]);
    const b = w.addBinding("b", { ownership: "Shared" }, ["10.0.0.2"]);
    const r = w.reconciler();
    await r.reconcile(a);
    w.t += TASK_MS;
    await r.reconcile(b);
    expect(w.bound()).toEqual(["10.0.0.1", "10.0.0.2", "192.0.2.50"]);
    expect(w.get(b).status?.ownedServers).toEqual(["10.0.0.2:8080"]);
  });

  it("a process that is not the leader writes nothing", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.leader = false;
    expect(await w.reconciler().reconcile(key)).toEqual({});
    expect(w.log).toEqual([]);
  });

  it("forgets a binding that is gone in one call to its memory, and clears its gates and gauges", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", { maxUnbindPercent: 50 }, ["10.0.0.1", "10.0.0.2"]);
    const gauges: Array<[string, number | undefined]> = [];
    const r = w.reconciler({ unbindWindowMs: 60_000, metrics: { origins: (k, d) => gauges.push([k, d]) } });
    await r.reconcile(key);
    w.t += TASK_MS;
    await r.reconcile(key);
    expect(w.memory.holding(key)).toEqual(["breakerPeaks"]);
    w.bindings.delete(key);
    expect(await r.reconcile(key)).toEqual({});
    expect(w.memory.holding(key)).toEqual([]);
    expect(w.published.has(key)).toBe(true);
    expect(w.published.get(key)).toBeUndefined();
    expect(gauges.at(-1)).toEqual([key, undefined]);
  });
});

describe("Reconciler: deletion", () => {
  const deleting = (w: World, key: string) =>
    w.bindings.set(key, {
      ...w.get(key),
      metadata: { ...w.get(key).metadata, deletionTimestamp: new Date() },
    });

  it("Retain lets go at once and leaves GAAP as it is", async () => {
    const w = new World();
    w.addListener([origin("10.0.0.1")]);
    const key = w.addBinding("web", { deletionPolicy: "Retain" }, ["10.0.0.1"]);
    deleting(w, key);
    await w.reconciler().reconcile(key);
    expect(w.log).toEqual(["finalizers []"]);
    expect(w.wanted.get(key)).toEqual([]);
    expect(w.bound()).toEqual(["10.0.0.1"]);
  });

  it("Unbind removes what it bound, then its origins, then the finalizer", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    const r = w.reconciler();
    await r.reconcile(key);
    w.t += TASK_MS;
    await r.reconcile(key);
    deleting(w, key);
    w.log.length = 0;
    expect(await r.reconcile(key)).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(w.log).toEqual(["bind "]);
    expect(w.events.at(-1)?.reason).toBe("Unbinding");
    w.t += 2 * TASK_MS;
    expect(await r.reconcile(key)).toEqual({});
    expect(w.log.slice(1)).toEqual(["collect 10.0.0.1", "sweep soon", "finalizers []"]);
    expect(w.wanted.get(key)).toEqual([]);
    expect(w.bindings.has(key)).toBe(false);
  });

  it("a binding that bound nothing, or whose listener is gone, lets go without a bind", async () => {
    const w = new World();
    w.addListener([origin("192.0.2.9")]);
    const never = w.addBinding("never", {}, []);
    deleting(w, never);
    await w.reconciler().reconcile(never);
    expect(w.bound()).toEqual(["192.0.2.9"]);
    expect(w.bindings.has(never)).toBe(false);

    const gone = w.addBinding("gone", {}, ["10.0.0.1"]);
    w.bindings.set(gone, { ...w.get(gone), status: { ownedServers: ["10.0.0.1:8080"] } });
    deleting(w, gone);
    w.listeners.clear();
    await w.reconciler().reconcile(gone);
    expect(w.bindings.has(gone)).toBe(false);
  });
});

describe("Reconciler: error policy", () => {
  it("leaves a transient failure to the work queue's backoff, and reports it once", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    const r = w.reconciler();
    for (let i = 0; i < 6; i++) {
      w.failures.describe.push(new OperatorError("transient", "InternalError", "DescribeTCPListeners: boom"));
      // No delay of its own: the controller retries after the key's backoff (controller.test.ts).
      expect(await r.reconcile(key)).toEqual({ failed: expect.objectContaining({ code: "InternalError" }) });
    }
    expect(w.condition(key, "Synced")).toMatchObject({ status: "False", reason: "InternalError" });
    // The same error again writes nothing new: no retry time in the status, no event.
    expect(w.get(key).status?.nextRetryTime).toBeUndefined();
    expect(w.log.filter((l) => l.startsWith("status"))).toHaveLength(1);
    expect(w.events).toEqual([]);

    await r.reconcile(key);
    expect(w.bound()).toEqual(["10.0.0.1"]);
    w.failures.describe.push(new OperatorError("throttled", "RequestLimitExceeded", "slow down"));
    w.t += TASK_MS;
    const throttled = await r.reconcile(key);
    expect(throttled).toMatchObject({ failed: { code: "RequestLimitExceeded" } });
    expect(throttled.requeueAfterMs).toBeUndefined();
  });

  it("a configuration error is reported with an event and a retry time, and retried slowly", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.failures.describe.push(new OperatorError("config", "AuthFailure.SignatureFailure", "bad signature"));
    expect(await w.reconciler().reconcile(key)).toMatchObject({
      requeueAfterMs: VERIFY_MS,
      failed: { code: "AuthFailure.SignatureFailure" },
    });
    expect(w.events).toEqual([
      { type: "Warning", reason: "AuthFailure_SignatureFailure", note: "bad signature" },
    ]);
    expect(w.condition(key, "Degraded")).toMatchObject({
      status: "True",
      reason: "AuthFailure_SignatureFailure",
    });
    expect(w.get(key).status?.nextRetryTime).toBe(
      new Date(w.t + VERIFY_MS).toISOString().replace(/\.\d+Z$/, "Z"),
    );
  });

  it("a bind refused as ListenerHasTask is a short poll, not a failure", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.failures.bind.push(new OperatorError("busy", "FailedOperation.ListenerHasTask", "busy"));
    expect(await w.reconciler().reconcile(key)).toEqual({ requeueAfterMs: BUSY_POLL_MS, poll: true });
    expect(w.events.map((e) => e.reason)).toEqual([]);
  });

  it("a stale origin ID makes it forget the IDs and register again next time", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.known.set("10.0.0.1", "rs-removed-by-hand");
    w.failures.bind.push(
      new OperatorError("config", "InvalidParameterValue.RealServerNotBelong", "RealServerId not found"),
    );
    const r = w.reconciler();
    expect(await r.reconcile(key)).toMatchObject({ failed: { code: "StaleOriginId" } });
    expect(w.log).toContain("invalidate ids 10.0.0.1");
    expect(w.condition(key, "Synced")?.reason).toBe("StaleOriginId");
    await r.reconcile(key);
    expect(w.log.slice(-3)).toEqual(["register 10.0.0.1", "status Binding", "bind 10.0.0.1:8080"]);
  });

  it("a conflict (cache behind our own write) is a short requeue, not a failure, in the lock or outside it", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.failures.describe.push(new OperatorError("conflict", "Conflict", "stale"));
    expect(await w.reconciler().reconcile(key)).toEqual({ requeueAfterMs: CONFLICT_RETRY_MS, poll: true });
    expect(w.events).toEqual([]);

    // The finalizer patch, outside the listener's lock, takes the same path.
    const fresh = w.addBinding("fresh", {}, ["10.0.0.2"]);
    w.bindings.set(fresh, { ...w.get(fresh), metadata: { ...w.get(fresh).metadata, finalizers: [] } });
    w.setFinalizers = async () => {
      throw new OperatorError("conflict", "Conflict", "stale");
    };
    expect(await w.reconciler().reconcile(fresh)).toEqual({ requeueAfterMs: CONFLICT_RETRY_MS, poll: true });
  });

  it("a failure outside the listener's lock (the finalizer patch) is reported like one inside it", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.bindings.set(key, { ...w.get(key), metadata: { ...w.get(key).metadata, finalizers: [] } });
    w.setFinalizers = async () => {
      throw new OperatorError("config", "Forbidden", "patch gaaplistenerbindings: HTTP 403");
    };
    expect(await w.reconciler().reconcile(key)).toEqual({
      requeueAfterMs: VERIFY_MS,
      failed: expect.objectContaining({ code: "Forbidden" }),
    });
    expect(w.events.map((e) => e.reason)).toEqual(["Forbidden"]);
    expect(w.condition(key, "Degraded")).toMatchObject({ status: "True", reason: "Forbidden" });
  });

  it("a bug (anything not an OperatorError) is thrown to the controller, which logs it and backs off", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    w.failures.describe.push(new TypeError("undefined is not a function") as unknown as OperatorError);
    await expect(w.reconciler().reconcile(key)).rejects.toThrow(TypeError);
  });
});
