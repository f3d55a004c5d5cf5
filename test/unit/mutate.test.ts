import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { GaapListenerBinding, GaapListenerBindingSpec } from "../../src/api/types.ts";
import {
  defaultHoldFor,
  defaultHoldSeconds,
  HOLD_ANNOTATION,
  type MutateInput,
  mutatePod,
} from "../../src/webhook/mutate.ts";

const binding = (
  name: string,
  spec: Partial<GaapListenerBindingSpec> = {},
  service = "web",
): GaapListenerBinding => ({
  metadata: { name, namespace: "shop" },
  spec: { listenerId: "lst-a", serviceRef: { name: service, port: 80 }, ...spec },
});
const services: Record<string, V1Service> = {
  web: { metadata: { name: "web" }, spec: { selector: { app: "web" } } },
  api: { metadata: { name: "api" }, spec: { selector: { app: "api" } } },
  headless: { metadata: { name: "headless" }, spec: {} },
};
const pod = (
  o: { labels?: Record<string, string>; containers?: V1Pod["spec"]; grace?: number } = {},
): V1Pod => ({
  metadata: { generateName: "web-", labels: o.labels ?? { app: "web" } },
  spec: {
    containers: [{ name: "app" }, { name: "sidecar" }],
    ...(o.grace === undefined ? {} : { terminationGracePeriodSeconds: o.grace }),
    ...o.containers,
  },
});
const input = (p: V1Pod, bindings: GaapListenerBinding[], extra: Partial<MutateInput> = {}): MutateInput => ({
  pod: p,
  bindings,
  service: (n) => services[n],
  defaultHoldSeconds: () => 15,
  sleepSupported: true,
  ...extra,
});
/** Applies the JSON patch's adds, as the apiserver would. */
function apply(p: V1Pod, patch: ReturnType<typeof mutatePod>["patch"]): V1Pod {
  const out = structuredClone(p) as unknown as Record<string, unknown>;
  for (const op of patch) {
    const parts = op.path
      .split("/")
      .slice(1)
      .map((x) => x.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = parts.pop() as string;
    let at = out as Record<string, unknown>;
    for (const k of parts) at = at[k] as Record<string, unknown>;
    if (last === "-") (at as unknown as unknown[]).push(op.value);
    else at[last] = op.value;
  }
  return out as unknown as V1Pod;
}
const gates = (p: V1Pod) => (p.spec?.readinessGates ?? []).map((g) => g.conditionType);
const sleeps = (p: V1Pod) =>
  (p.spec?.containers ?? []).map((c) => {
    const hook = c.lifecycle?.preStop;
    return hook ? (hook.sleep?.seconds ?? "own") : "none";
  });

describe("pod mutation: readiness gates", () => {
  it.each([
    {
      name: "one gate per Pod-mode binding whose Service selects the pod",
      bs: [binding("web"), binding("web-2")],
      want: ["listener-bound.gaap.operator.dev/web", "listener-bound.gaap.operator.dev/web-2"],
    },
    { name: "a binding on another Service: none", bs: [binding("api", {}, "api")], want: [] },
    {
      name: "a Node-mode binding: none (its origins are nodes)",
      bs: [binding("web", { targetType: "Node" })],
      want: [],
    },
    { name: "a Service without a selector selects nothing", bs: [binding("h", {}, "headless")], want: [] },
    { name: "a binding whose Service is missing: none", bs: [binding("x", {}, "missing")], want: [] },
    {
      name: "a binding being deleted: none",
      bs: [
        { ...binding("web"), metadata: { name: "web", namespace: "shop", deletionTimestamp: new Date() } },
      ],
      want: [],
    },
  ])("$name", ({ bs, want }) => {
    const p = pod();
    expect(gates(apply(p, mutatePod(input(p, bs)).patch))).toEqual(want);
  });

  it("is idempotent: a gate the pod lists is never added twice, and a second pass adds nothing", () => {
    const p = pod({
      containers: {
        containers: [{ name: "app" }],
        readinessGates: [
          { conditionType: "listener-bound.gaap.operator.dev/web" },
          { conditionType: "other/x" },
        ],
      },
    });
    const once = apply(p, mutatePod(input(p, [binding("web"), binding("web-2")])).patch);
    expect(gates(once)).toEqual([
      "listener-bound.gaap.operator.dev/web",
      "other/x",
      "listener-bound.gaap.operator.dev/web-2",
    ]);
    expect(mutatePod(input(once, [binding("web"), binding("web-2")])).patch).toEqual([]);
  });

  it("skips the operator's own pods", () => {
    const p = pod({ labels: { app: "web", "app.kubernetes.io/name": "gaap-operator" } });
    expect(mutatePod(input(p, [binding("web")])).patch).toEqual([]);
  });

  it("a binding name too long for a condition type gets a warning, not a gate", () => {
    const long = "b".repeat(64);
    const m = mutatePod(input(pod(), [binding(long)]));
    expect(m.patch).toEqual([]);
    expect(m.warnings[0]).toMatch(/longer than 63 characters/);
  });
});

describe("pod mutation: the termination hold", () => {
  it.each([
    {
      name: "the default hold on every container without a preStop hook",
      bs: [binding("web")],
      want: [15, 15],
    },
    {
      name: "the binding's own terminationHoldSeconds",
      bs: [binding("web", { terminationHoldSeconds: 40 })],
      grace: 60,
      want: [40, 40],
    },
    {
      name: "two bindings over one pod: the larger",
      bs: [binding("a", { terminationHoldSeconds: 5 }), binding("b", { terminationHoldSeconds: 20 })],
      want: [20, 20],
    },
    {
      name: "never longer than the grace period - 1",
      bs: [binding("web", { terminationHoldSeconds: 600 })],
      want: [29, 29],
    },
    { name: "0 turns it off", bs: [binding("web", { terminationHoldSeconds: 0 })], want: ["none", "none"] },
    { name: "a grace period of 1 s leaves no room", bs: [binding("web")], grace: 1, want: ["none", "none"] },
  ])("$name", ({ bs, grace, want }) => {
    const p = pod(grace === undefined ? {} : { grace });
    expect(sleeps(apply(p, mutatePod(input(p, bs)).patch))).toEqual(want);
  });

  it("never replaces a container's own preStop hook, and keeps its other lifecycle hooks", () => {
    const p = pod({
      containers: {
        containers: [
          { name: "app", lifecycle: { preStop: { exec: { command: ["drain"] } } } },
          { name: "sidecar", lifecycle: { postStart: { exec: { command: ["hi"] } } } },
        ],
      },
    });
    const out = apply(p, mutatePod(input(p, [binding("web")])).patch);
    expect(out.spec?.containers[0]?.lifecycle).toEqual({ preStop: { exec: { command: ["drain"] } } });
    expect(out.spec?.containers[1]?.lifecycle).toEqual({
      postStart: { exec: { command: ["hi"] } },
      preStop: { sleep: { seconds: 15 } },
    });
  });

  it("on an apiserver without the sleep action: the gate, no hook, and a note saying why", () => {
    const p = pod();
    const m = mutatePod(input(p, [binding("web")], { sleepSupported: false }));
    const out = apply(p, m.patch);
    expect(gates(out)).toEqual(["listener-bound.gaap.operator.dev/web"]);
    expect(sleeps(out)).toEqual(["none", "none"]);
    expect(out.metadata?.annotations?.[HOLD_ANNOTATION]).toBe(
      "none: the preStop sleep action needs Kubernetes 1.30 or later (or the apiserver's version could not be read)",
    );
    expect(m.warnings[0]).toMatch(/does not serve lifecycle.preStop.sleep/);
  });

  it("records the hold it applied on the pod, into annotations that exist or not", () => {
    const bare = pod();
    expect(apply(bare, mutatePod(input(bare, [binding("web")])).patch).metadata?.annotations).toEqual({
      [HOLD_ANNOTATION]: "15s",
    });
    const annotated: V1Pod = { ...pod(), metadata: { labels: { app: "web" }, annotations: { a: "b" } } };
    expect(
      apply(annotated, mutatePod(input(annotated, [binding("web", { terminationHoldSeconds: 50 })])).patch)
        .metadata?.annotations,
    ).toEqual({
      a: "b",
      [HOLD_ANNOTATION]: "29s (wanted 50s; limited by terminationGracePeriodSeconds 30)",
    });
  });

  it.each([
    { task: 0, want: 15 },
    { task: 2000, want: 15 },
    { task: 5000, want: 15 },
    { task: 10_000, want: 25 },
    { task: 10_100, want: 26 },
  ])("the default hold for a longest task of $task ms is $want s", ({ task, want }) => {
    expect(defaultHoldSeconds(task)).toBe(want);
  });
});

describe("the default hold on every replica", () => {
  it("takes the longer of this process's longest task and the one the leader recorded in the binding's status", () => {
    const b = binding("web");
    expect(defaultHoldFor(b, 0)).toBe(15);
    const recorded = { ...b, status: { listener: { longestTaskSeconds: 12 } } };
    // A standby (or a restarted leader) that saw no task still answers from the status: 5 + 2 x 12.
    expect(defaultHoldFor(recorded, 0)).toBe(29);
    expect(defaultHoldFor(recorded, 20_000)).toBe(45);
  });
});
