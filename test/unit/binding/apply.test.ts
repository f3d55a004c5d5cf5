// The applier (binding/apply.ts) carries out a step: the order of its writes, what a refused bind does, and when it
// says to come back. Steps are written by hand here; the reconciler's tests compute them.
import { describe, expect, it } from "vitest";
import { resolveSpec } from "../../../src/api/types.ts";
import { Applier } from "../../../src/binding/apply.ts";
import type { Act } from "../../../src/binding/logic/step.ts";
import { BindTaskTracker } from "../../../src/binding/task-tracker.ts";
import { OperatorError } from "../../../src/errors.ts";
import { listenerState } from "../fixtures.ts";
import { BUSY_POLL_MS, LISTENER, origin, TASK_MS, VERIFY_MS, World } from "./binding-world.ts";

function setup() {
  const w = new World();
  w.addListener();
  const key = w.addBinding("web", {}, ["10.0.0.1"]);
  const counted: string[] = [];
  const deps = w.deps({
    metrics: {
      bound: (id, n) => counted.push(`bound ${id} ${n}`),
      held: (r) => counted.push(`held ${r}`),
      driftRepaired: () => counted.push("drift"),
      origins: (k, d, b) => counted.push(`origins ${k} ${d}/${b}`),
    },
  });
  const tracker = new BindTaskTracker(TASK_MS, w.clock);
  return { w, key, counted, tracker, applier: new Applier(deps, tracker, w.clock) };
}

const target = listenerState({ listenerId: LISTENER });
const waiting: Act = {
  kind: "act",
  outcome: { phase: "held", target, ours: [], reason: "EmptyEndpoints", message: "no endpoints" },
  events: [{ type: "Warning", reason: "EmptyEndpoints", action: "Hold", note: "no endpoints" }],
  requeue: "hold",
  held: "EmptyEndpoints",
};
const binding: Act = {
  kind: "act",
  outcome: {
    phase: "binding",
    target,
    ours: [],
    owned: ["10.0.0.1:8080"],
    desiredCount: 1,
    change: { added: 1, removed: 0, updated: 0 },
    notes: [],
  },
  bind: {
    target: { listenerId: LISTENER },
    set: [origin("10.0.0.1")],
    change: { added: 1, removed: 0, updated: 0 },
    unheld: ["10.0.0.1"],
  },
  events: [{ type: "Normal", reason: "Bound", action: "Bind", note: "bound" }],
  requeue: "afterBind",
  drift: true,
  counts: { desired: 1, bound: 0 },
};

describe("Applier", () => {
  it("without a bind: the event before the status, so a status write that fails does not lose the event", async () => {
    const { w, key, counted, applier } = setup();
    w.write = async () => {
      throw new OperatorError("transient", "HTTP500", "apiserver down");
    };
    await expect(applier.apply(w.get(key), waiting)).rejects.toThrow("apiserver down");
    expect(w.events.map((e) => e.reason)).toEqual(["EmptyEndpoints"]);
    expect(counted).toEqual(["held EmptyEndpoints"]);
  });

  it("without a bind, written: the status, then back after the hold's interval", async () => {
    const { w, key, applier } = setup();
    expect(await applier.apply(w.get(key), waiting)).toEqual({ requeueAfterMs: VERIFY_MS });
    expect(w.log).toEqual(["status EmptyEndpoints"]);
  });

  it("with a bind: status (what it will own) before the bind, events after it, then back when the task should be done", async () => {
    const { w, key, counted, applier, tracker } = setup();
    expect(await applier.apply(w.get(key), binding)).toEqual({ requeueAfterMs: TASK_MS });
    expect(w.log).toEqual(["status Binding", "bind 10.0.0.1:8080"]);
    expect(w.events.map((e) => e.reason)).toEqual(["Bound"]);
    expect(counted).toEqual([`bound ${LISTENER} 1`, "drift", "origins ns/web 1/0"]);
    expect(tracker.pending(LISTENER)).toBe(TASK_MS);
  });

  it("a bind refused for an ID GAAP no longer has: forgets the IDs it did not read from the listener, retries soon", async () => {
    const { w, key, applier } = setup();
    w.known.set("10.0.0.1", "rs-gone");
    w.failures.bind.push(
      new OperatorError("config", "InvalidParameterValue.RealServerNotBelong", "not found"),
    );
    await expect(applier.apply(w.get(key), binding)).rejects.toMatchObject({
      kind: "transient",
      code: "StaleOriginId",
    });
    expect(w.known.has("10.0.0.1")).toBe(false);
    expect(w.events).toEqual([]);
  });

  it.each([
    { requeue: "busyPoll" as const, want: BUSY_POLL_MS },
    { requeue: "hold" as const, want: VERIFY_MS },
    // random 0.5: the jittered interval is the interval itself.
    { requeue: "verify" as const, want: VERIFY_MS },
    { requeue: "afterBind" as const, want: TASK_MS },
  ])("comes back after the delay '$requeue' stands for", async ({ requeue, want }) => {
    const { w, key, applier } = setup();
    expect(await applier.apply(w.get(key), { kind: "act", events: [], requeue })).toEqual({
      requeueAfterMs: want,
    });
  });

  it("an exact delay (a coalesced bind's deadline) wins over the kind's", async () => {
    const { w, key, applier } = setup();
    expect(
      await applier.apply(w.get(key), { kind: "act", events: [], requeue: "busyPoll", requeueAfterMs: 7 }),
    ).toEqual({
      requeueAfterMs: 7,
    });
  });

  it("registers with this cluster's and this binding's tags, and not on a standby", async () => {
    const { w, key, applier } = setup();
    const spec = resolveSpec(w.get(key).spec);
    w.leader = false;
    await applier.register(w.get(key), spec, ["10.0.0.9"]);
    expect(w.log).toEqual([]);
    w.leader = true;
    await applier.register(w.get(key), spec, ["10.0.0.9"]);
    expect(w.log).toEqual(["register 10.0.0.9"]);
    expect(w.registeredTags).toEqual([
      { key: "gaap.operator.dev/cluster", value: "test" },
      { key: "gaap.operator.dev/binding", value: "ns/web" },
    ]);
  });

  it("writes no status on a standby", async () => {
    const { w, key, applier } = setup();
    w.leader = false;
    await applier.writeStatus(w.get(key), { phase: "conflict", message: "held by ns/other" });
    expect(w.log).toEqual([]);
  });
});
