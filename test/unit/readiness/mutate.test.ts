import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { GaapListenerBinding, GaapListenerBindingSpec } from "../../../src/api/types.ts";
import {
  defaultHold,
  holdAndGrace,
  MAX_RAISED_GRACE_SECONDS,
  taskHistory,
} from "../../../src/readiness/hold.ts";
import { HOLD_ANNOTATION, type MutateInput, mutatePod } from "../../../src/readiness/mutate.ts";

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
  defaultHold: () => ({ seconds: 15, basis: "the test's history" }),
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
      name: "the default hold on every container without a preStop hook, the grace raised by it",
      bs: [binding("web")],
      want: [15, 15],
      wantGrace: 45,
    },
    {
      name: "the binding's own terminationHoldSeconds",
      bs: [binding("web", { terminationHoldSeconds: 40 })],
      grace: 60,
      want: [40, 40],
      wantGrace: 100,
    },
    {
      name: "two bindings over one pod: the larger",
      bs: [binding("a", { terminationHoldSeconds: 5 }), binding("b", { terminationHoldSeconds: 20 })],
      want: [20, 20],
      wantGrace: 50,
    },
    {
      name: "a binding's own hold against another's default: the larger",
      bs: [binding("a", { terminationHoldSeconds: 5 }), binding("b")],
      want: [15, 15],
      wantGrace: 45,
    },
    {
      name: "the raised grace stops at the bound: the hold keeps its length, the app what is left",
      bs: [binding("web", { terminationHoldSeconds: 590 })],
      want: [590, 590],
      wantGrace: MAX_RAISED_GRACE_SECONDS,
    },
    {
      name: "a hold as long as the bound leaves the app one second",
      bs: [binding("web", { terminationHoldSeconds: 600 })],
      want: [599, 599],
      wantGrace: MAX_RAISED_GRACE_SECONDS,
    },
    {
      name: "a grace its owner set past the bound is not raised",
      bs: [binding("web")],
      grace: 900,
      want: [15, 15],
      wantGrace: 900,
    },
    {
      name: "0 turns it off, and the grace stays",
      bs: [binding("web", { terminationHoldSeconds: 0 })],
      want: ["none", "none"],
      wantGrace: 30,
    },
    {
      name: "a grace period of 1 s: the hold, then the app's own second",
      bs: [binding("web")],
      grace: 1,
      want: [15, 15],
      wantGrace: 16,
    },
  ])("$name", ({ bs, grace, want, wantGrace }) => {
    const p = pod({ grace: grace ?? 30 });
    const out = apply(p, mutatePod(input(p, bs)).patch);
    expect(sleeps(out)).toEqual(want);
    expect(out.spec?.terminationGracePeriodSeconds).toBe(wantGrace);
  });

  it("a second pass (reinvocation) raises the grace no further", () => {
    const p = pod({ grace: 30 });
    const once = apply(p, mutatePod(input(p, [binding("web")])).patch);
    expect(once.spec?.terminationGracePeriodSeconds).toBe(45);
    expect(mutatePod(input(once, [binding("web")])).patch).toEqual([]);
  });

  it("a second pass after another webhook added a container: that container gets the same hold, the grace no more", () => {
    const p = pod({ grace: 30 });
    const once = apply(p, mutatePod(input(p, [binding("web")])).patch);
    const withSidecar: V1Pod = {
      ...once,
      spec: { ...once.spec, containers: [...(once.spec?.containers ?? []), { name: "injected" }] },
    };
    // The history changed meanwhile: the second pass must not size a new hold from it.
    const again = mutatePod(
      input(withSidecar, [binding("web")], { defaultHold: () => ({ seconds: 40, basis: "later history" }) }),
    );
    const out = apply(withSidecar, again.patch);
    expect(sleeps(out)).toEqual([15, 15, 15]);
    expect(out.spec?.terminationGracePeriodSeconds).toBe(45);
    expect(out.metadata?.annotations?.[HOLD_ANNOTATION]).toBe(once.metadata?.annotations?.[HOLD_ANNOTATION]);
  });

  it("no hold added (every container has its own hook): the grace stays", () => {
    const p = pod({
      grace: 30,
      containers: { containers: [{ name: "app", lifecycle: { preStop: { exec: { command: ["drain"] } } } }] },
    });
    const out = apply(p, mutatePod(input(p, [binding("web")])).patch);
    expect(out.spec?.terminationGracePeriodSeconds).toBe(30);
    expect(out.metadata?.annotations?.[HOLD_ANNOTATION]).toBe(
      "none: every container has its own preStop hook",
    );
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

  it("records the hold, what it was sized from and the grace it added, into annotations that exist or not", () => {
    const bare = pod({ grace: 30 });
    expect(apply(bare, mutatePod(input(bare, [binding("web")])).patch).metadata?.annotations).toEqual({
      [HOLD_ANNOTATION]:
        "15s, from the test's history; terminationGracePeriodSeconds raised by 15s, 30s to 45s",
    });
    const annotated: V1Pod = {
      ...pod({ grace: 30 }),
      metadata: { labels: { app: "web" }, annotations: { a: "b" } },
    };
    expect(
      apply(annotated, mutatePod(input(annotated, [binding("web", { terminationHoldSeconds: 600 })])).patch)
        .metadata?.annotations,
    ).toEqual({
      a: "b",
      [HOLD_ANNOTATION]:
        "599s (wanted 600s; limited by terminationGracePeriodSeconds 600, the 600s bound), from terminationHoldSeconds; terminationGracePeriodSeconds raised by 570s, 30s to 600s",
    });
    const long = pod({ grace: 900 });
    expect(
      apply(long, mutatePod(input(long, [binding("web")])).patch).metadata?.annotations?.[HOLD_ANNOTATION],
    ).toBe("15s, from the test's history");
  });
});

describe("the default hold: sized from the best knowledge at admission", () => {
  it.each([
    { name: "nothing seen: sized for slow GAAP (30 s tasks)", listenerMs: 0, accountMs: 0, want: 65 },
    { name: "the account's history only", listenerMs: 0, accountMs: 8_000, want: 21 },
    {
      name: "the listener's history wins over the account's",
      listenerMs: 3_000,
      accountMs: 20_000,
      want: 15,
    },
    { name: "a task taken as at least 5 s", listenerMs: 2_000, accountMs: 0, want: 15 },
    { name: "a long task on the listener", listenerMs: 10_100, accountMs: 0, want: 26 },
    { name: "a long task on the account", listenerMs: 0, accountMs: 20_000, want: 45 },
  ])("$name: $want s", ({ listenerMs, accountMs, want }) => {
    expect(defaultHold({ listenerMs, accountMs }).seconds).toBe(want);
  });

  it("says what it was sized from", () => {
    expect(defaultHold({ listenerMs: 0, accountMs: 0 }).basis).toBe(
      "no bind task seen yet: sized for 30s tasks",
    );
    expect(defaultHold({ listenerMs: 0, accountMs: 7_200 }).basis).toBe(
      "the account's longest bind task, 8s",
    );
    expect(defaultHold({ listenerMs: 2_000, accountMs: 7_200 }).basis).toBe(
      "the listener's longest bind task, 2s, taken as 5s",
    );
  });

  it("reads history from this process and from every binding's status, so a standby or a restarted leader knows it", () => {
    const web = binding("web", { listenerId: "lst-a" });
    const other = {
      ...binding("api", { listenerId: "lst-b" }),
      status: { listener: { longestTaskSeconds: 12 } },
    };
    const sibling = {
      ...binding("web-2", { listenerId: "lst-a" }),
      status: { listener: { longestTaskSeconds: 4 } },
    };
    const none = { longestOn: () => 0, longestMs: 0 };
    expect(taskHistory(web, [web], none)).toEqual({ listenerMs: 0, accountMs: 0 });
    expect(taskHistory(web, [web, other], none)).toEqual({ listenerMs: 0, accountMs: 12_000 });
    expect(taskHistory(web, [web, other, sibling], none)).toEqual({ listenerMs: 4_000, accountMs: 12_000 });
    const local = { longestOn: (id: string) => (id === "lst-a" ? 6_000 : 0), longestMs: 15_000 };
    expect(taskHistory(web, [web, other, sibling], local)).toEqual({ listenerMs: 6_000, accountMs: 15_000 });
  });

  it.each([
    { wanted: 15, grace: 30, want: { seconds: 15, grace: 45 } },
    { wanted: 65, grace: 30, want: { seconds: 65, grace: 95 } },
    { wanted: 65, grace: 0, want: { seconds: 65, grace: 66 } },
    { wanted: 65, grace: 580, want: { seconds: 65, grace: 600 } },
    { wanted: 65, grace: 600, want: { seconds: 65, grace: 600 } },
    { wanted: 700, grace: 650, want: { seconds: 649, grace: 650 } },
  ])(
    "a hold of $wanted s with a grace of $grace s: $want.seconds s in a grace of $want.grace s",
    ({ wanted, grace, want }) => {
      expect(holdAndGrace(wanted, grace)).toEqual(want);
    },
  );
});
