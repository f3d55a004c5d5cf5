// The whole step of a pass, computed from what it read (logic/step.ts): for each kind of plan, the status it records,
// the bind it sends, the events, when it comes back, and what the gates and metrics learn. Pure: no ports.
import { describe, expect, it } from "vitest";
import {
  FINALIZER,
  type GaapListenerBinding,
  type GaapListenerBindingSpec,
  resolveSpec,
} from "../../../../src/api/types.ts";
import type { Desired, Origin } from "../../../../src/binding/logic/desired.ts";
import { type Act, releaseStep, type SyncInput, syncStep } from "../../../../src/binding/logic/step.ts";
import type { BoundOrigin, TargetState } from "../../../../src/gaap/types.ts";
import { listenerState } from "../../fixtures.ts";

const o = (n: number, extra: Partial<Origin> = {}): Origin => ({
  ip: `10.0.0.${n}`,
  port: 8080,
  weight: 10,
  secondary: false,
  ready: true,
  ...extra,
});
const b = (n: number): BoundOrigin => ({ realServerId: `rs-${n}`, ip: `10.0.0.${n}`, port: 8080 });
const desired = (...origins: Origin[]): Desired => ({ ok: true, origins, protocol: "TCP", notes: [] });

function binding(spec: Partial<GaapListenerBindingSpec> = {}, status?: GaapListenerBinding["status"]) {
  const full = { listenerId: "listener-a", serviceRef: { name: "web", port: 80 }, ...spec };
  const bd: GaapListenerBinding = {
    metadata: { namespace: "ns", name: "web", uid: "u1", generation: 2, finalizers: [FINALIZER] },
    spec: full,
    ...(status ? { status } : {}),
  };
  return { bd, spec: resolveSpec(full) };
}

function input(over: Partial<SyncInput> & { target?: TargetState } = {}): SyncInput {
  const { bd, spec } = binding();
  return {
    binding: bd,
    spec,
    desired: desired(o(1), o(2)),
    target: listenerState(),
    owned: new Set<string>(),
    originIds: new Map([1, 2, 3, 4].map((n) => [`10.0.0.${n}`, `rs-${n}`])),
    maxOrigins: 100,
    ...over,
  };
}

const act = (s: ReturnType<typeof syncStep>): Act => {
  if (s.kind !== "act") throw new Error(`expected an act, got ${s.kind}`);
  return s;
};

describe("syncStep", () => {
  it("asks to register the origins that have no ID, and nothing else", () => {
    expect(syncStep(input({ originIds: new Map([["10.0.0.1", "rs-1"]]) }))).toEqual({
      kind: "register",
      ips: ["10.0.0.2"],
    });
  });

  it("a bind: records what it is about to own first, sends the whole set, says Bound, looks again after the task", () => {
    const s = act(syncStep(input()));
    expect(s.outcome).toMatchObject({
      phase: "binding",
      owned: ["10.0.0.1:8080", "10.0.0.2:8080"],
      desiredCount: 2,
    });
    expect(s.bind).toMatchObject({
      target: { listenerId: "listener-a" },
      set: [b(1), b(2)],
      change: { added: 2, removed: 0, updated: 0 },
      unheld: ["10.0.0.1", "10.0.0.2"],
    });
    expect(s.events).toEqual([expect.objectContaining({ type: "Normal", reason: "Bound", action: "Bind" })]);
    expect(s.requeue).toBe("afterBind");
    expect(s.drift).toBe(false);
  });

  it("a bind of a rule names the rule, and an ID the listener already holds is not 'unheld'", () => {
    const target = listenerState({
      protocol: "HTTP",
      bound: [b(1)],
      rule: { ruleId: "rule-1", domain: "a.example.com", path: "/", status: 0, healthy: true },
    });
    const { bd, spec } = binding({ rule: { ruleId: "rule-1" } });
    const s = act(syncStep(input({ binding: bd, spec, target })));
    expect(s.bind?.target).toEqual({ listenerId: "listener-a", ruleId: "rule-1" });
    expect(s.bind?.unheld).toEqual(["10.0.0.2"]);
  });

  it("in sync: verifies later, and sweeps only when an origin it had confirmed is gone", () => {
    const target = listenerState({ bound: [b(1), b(2)] });
    const owned = new Set(["10.0.0.1:8080", "10.0.0.2:8080"]);
    const quiet = act(syncStep(input({ target, owned })));
    expect(quiet).toMatchObject({ outcome: { phase: "inSync" }, requeue: "verify", sweep: false });
    expect(quiet.bind).toBeUndefined();
    expect(quiet.counts).toEqual({ desired: 2, bound: 2 });

    const { bd, spec } = binding({}, { boundServers: [{ ip: "10.0.0.3", port: 8080 }] });
    const afterRemoval = act(syncStep(input({ binding: bd, spec, target, owned })));
    expect(afterRemoval.sweep).toBe(true);
  });

  it("a listener busy with someone else's task: waits, polls, writes no event", () => {
    const s = act(syncStep(input({ target: listenerState({ status: 3 }) })));
    expect(s).toMatchObject({ outcome: { phase: "waiting" }, requeue: "busyPoll", events: [] });
    expect(s.bind).toBeUndefined();
  });

  it("a hold (every endpoint gone while origins are bound): warns, keeps the set, counts the hold", () => {
    const target = listenerState({ bound: [b(1)] });
    const s = act(syncStep(input({ desired: desired(), target, owned: new Set(["10.0.0.1:8080"]) })));
    expect(s).toMatchObject({
      outcome: { phase: "held", reason: "EmptyEndpoints" },
      requeue: "hold",
      held: "EmptyEndpoints",
    });
    expect(s.events).toEqual([
      expect.objectContaining({ type: "Warning", reason: "EmptyEndpoints", action: "Hold" }),
    ]);
    expect(s.bind).toBeUndefined();
  });

  it("drift: GAAP lost what a Ready binding had confirmed; the bind repairs it with a warning", () => {
    const { bd, spec } = binding(
      {},
      {
        boundServers: [
          { ip: "10.0.0.1", port: 8080 },
          { ip: "10.0.0.2", port: 8080 },
        ],
        conditions: [
          { type: "Ready", status: "True", reason: "InSync", message: "", lastTransitionTime: "x" },
        ],
      },
    );
    const s = act(syncStep(input({ binding: bd, spec, owned: new Set(["10.0.0.1:8080", "10.0.0.2:8080"]) })));
    expect(s.drift).toBe(true);
    expect(s.events[0]).toMatchObject({ type: "Warning", reason: "DriftRepaired" });
  });

  it("in Pod mode, tells the gates what was sent", () => {
    const { bd, spec } = binding({ targetType: "Pod" });
    const s = act(syncStep(input({ binding: bd, spec, desired: desired(o(1, { pod: "web-1" })) })));
    expect(s.gates?.sent).toEqual(new Set(["10.0.0.1:8080"]));
    expect(s.gates?.podOrigins).toEqual(new Map([["web-1", "10.0.0.1:8080"]]));
  });

  it("a removal of a pod in its termination hold carries the hold, to be measured once applied", () => {
    const target = listenerState({ bound: [b(1), b(2)] });
    const held = new Map([["10.0.0.2:8080", { endsAt: 5000, holdSeconds: 30, pod: "web-2" }]]);
    const s = act(
      syncStep(
        input({ desired: desired(o(1)), target, owned: new Set(["10.0.0.1:8080", "10.0.0.2:8080"]), held }),
      ),
    );
    expect(s.bind?.drained).toEqual([
      { origin: "10.0.0.2:8080", endsAt: 5000, holdSeconds: 30, pod: "web-2" },
    ]);
  });
});

describe("releaseStep", () => {
  const { spec } = binding();
  const { spec: shared } = binding({ ownership: "Shared" });
  it.each([
    {
      name: "Shared: unbinds what it owns, keeps the rest",
      spec: shared,
      bound: [1, 2],
      owned: [1],
      set: ["10.0.0.2"],
    },
    { name: "Exclusive: everything bound is ours", spec, bound: [1, 2], owned: [1], set: [] },
    { name: "Shared, nothing of ours left: done", spec: shared, bound: [2], owned: [1], set: undefined },
    { name: "nothing bound at all: done", spec, bound: [], owned: [1], set: undefined },
  ])("$name", ({ spec, bound, owned, set }) => {
    const s = releaseStep(
      spec,
      listenerState({ bound: bound.map(b) }),
      new Set(owned.map((n) => `10.0.0.${n}:8080`)),
    );
    if (set === undefined) {
      expect(s).toBeUndefined();
      return;
    }
    expect(s?.bind?.set.map((x) => x.ip)).toEqual(set);
    expect(s?.events.map((e) => e.reason)).toEqual(["Unbinding"]);
  });

  it("a busy listener: waits without a bind", () => {
    const s = releaseStep(spec, listenerState({ status: 3, bound: [b(1)] }), new Set(["10.0.0.1:8080"]));
    expect(s).toMatchObject({ requeue: "busyPoll", events: [] });
    expect(s?.bind).toBeUndefined();
  });
});
