// Pods waiting on this binding's readiness gate (still origins), and terminating pods in their hold (logic/drain.ts).
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { desiredOrigins } from "../../../../../src/binding/logic/desired.ts";
import { drainingOrigins, holdEndsAt } from "../../../../../src/binding/logic/drain.ts";
import { originKey } from "../../../../../src/binding/logic/origin.ts";
import { type Ep, slice, spec, svc, view } from "./desired-fixtures.ts";

describe("desired origins: pods waiting on this binding's readiness gate", () => {
  const GATE = "listener-bound.gaap.operator.dev/web";
  const http = svc([{ name: "http", port: 80 }]);
  const gatedPod = (
    name: string,
    o: { containersReady?: boolean; gates?: string[]; deleting?: boolean } = {},
  ): V1Pod => ({
    metadata: { name, namespace: "ns", ...(o.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [], readinessGates: (o.gates ?? [GATE]).map((conditionType) => ({ conditionType })) },
    status: {
      conditions: [{ type: "ContainersReady", status: o.containersReady === false ? "False" : "True" }],
    },
  });
  const cases: Array<{ name: string; pod: V1Pod; ep?: Partial<Ep>; gate?: string; want: string[] }> = [
    {
      name: "containers ready, gate not yet True: an origin",
      pod: gatedPod("p1"),
      want: ["10.0.0.1:8080 gated"],
    },
    {
      name: "without the gate option, the endpoint's ready decides",
      pod: gatedPod("p1"),
      gate: "",
      want: [],
    },
    {
      name: "containers not ready: not an origin",
      pod: gatedPod("p1", { containersReady: false }),
      want: [],
    },
    {
      name: "another binding's gate: not ours to fold",
      pod: gatedPod("p1", { gates: ["listener-bound.gaap.operator.dev/other"] }),
      want: [],
    },
    { name: "terminating endpoint: never", pod: gatedPod("p1"), ep: { terminating: true }, want: [] },
    { name: "pod being deleted: never", pod: gatedPod("p1", { deleting: true }), want: [] },
    {
      name: "ready endpoint of a gated pod (gate True): a ready origin",
      pod: gatedPod("p1"),
      ep: { ready: true },
      want: ["10.0.0.1:8080 ready"],
    },
  ];
  it.each(cases)("$name", ({ pod: p, ep, gate, want }) => {
    const v = view({
      service: http,
      slices: [slice("a", 8080, [{ ip: "10.0.0.1", ready: false, pod: "p1", ...ep }])],
      pods: [p],
    });
    const r = desiredOrigins("ns", spec(), v, gate === "" ? {} : { gate: gate ?? GATE });
    expect(r.ok && r.origins.map((o) => `${originKey(o)} ${o.ready ? "ready" : "gated"}`)).toEqual(want);
  });

  it("names the pod behind each origin, and an address listed twice keeps its ready entry", () => {
    const v = view({
      service: http,
      slices: [
        slice("a", 8080, [{ ip: "10.0.0.1", ready: false, pod: "p1" }]),
        slice("b", 8080, [{ ip: "10.0.0.1", ready: true, pod: "p1" }]),
      ],
      pods: [gatedPod("p1")],
    });
    const r = desiredOrigins("ns", spec(), v, { gate: GATE });
    expect(r.ok && r.origins).toEqual([expect.objectContaining({ ip: "10.0.0.1", ready: true, pod: "p1" })]);
  });
});

describe("draining origins: terminating pods still in their termination hold", () => {
  const GATE = "listener-bound.gaap.operator.dev/web";
  const http = svc([{ name: "http", port: 80 }]);
  // Deleted at t=100 s with a 30 s grace: deletionTimestamp is when the grace ends, t=130 s.
  const deleting = (name: string, sleep: number | undefined, grace = 30): V1Pod => ({
    metadata: {
      name,
      namespace: "ns",
      labels: { app: "web" },
      deletionTimestamp: new Date(130_000),
      deletionGracePeriodSeconds: grace,
    },
    spec: {
      containers: [
        { name: "c", ...(sleep ? { lifecycle: { preStop: { sleep: { seconds: sleep } } } } : {}) },
      ],
      readinessGates: [{ conditionType: GATE }],
    },
  });
  const starting = (name: string, ready = false): V1Pod => ({
    metadata: { name, namespace: "ns", labels: { app: "web" } },
    spec: { containers: [{ name: "c" }], readinessGates: [{ conditionType: GATE }] },
    status: { conditions: [{ type: "ContainersReady", status: ready ? "True" : "False" }] },
  });
  const run = (pods: V1Pod[], origins: string[] = []) =>
    drainingOrigins(
      spec(),
      view({
        service: http,
        slices: [
          slice(
            "a",
            8080,
            pods
              .filter((p) => p.metadata?.deletionTimestamp)
              .map((p, i) => ({
                ip: `10.0.0.${i + 1}`,
                ready: false,
                terminating: true,
                pod: p.metadata?.name as string,
              })),
          ),
        ],
        pods,
      }),
      GATE,
      origins.map((pod, i) => ({
        ip: `10.0.1.${i}`,
        port: 8080,
        weight: 1,
        secondary: false,
        ready: true,
        pod,
      })),
    );

  it.each([
    { name: "a 15 s hold from t=100 s ends at t=115 s", pod: deleting("old", 15), want: 115_000 },
    { name: "a hold longer than the grace period ends with it", pod: deleting("old", 40, 30), want: 130_000 },
    { name: "a shorter deletion grace (an eviction) cuts it", pod: deleting("old", 15, 5), want: 130_000 },
  ])("$name", ({ pod: p, want }) => {
    expect(holdEndsAt(p)).toBe(want);
  });

  it("no preStop sleep: no hold", () => {
    expect(holdEndsAt(deleting("old", undefined))).toBeUndefined();
    expect(run([deleting("old", undefined), starting("new")]).draining.size).toBe(0);
  });

  it("lists held origins, and whether gated pods are on their way", () => {
    expect(run([deleting("old", 15), starting("new")])).toEqual({
      draining: new Map([["10.0.0.1:8080", { endsAt: 115_000, holdSeconds: 15, pod: "old" }]]),
      additionsComing: true,
      revisionReplaced: false,
    });
    // Ready and listed in the Service's slices: an origin, nothing more on its way.
    expect(run([deleting("old", 15), starting("new", true)], ["new"]).additionsComing).toBe(false);
    // Ready, but the EndpointSlice controller has not listed it yet: still on its way.
    expect(run([deleting("old", 15), starting("new", true)]).additionsComing).toBe(true);
    expect(run([deleting("old", 15)]).additionsComing).toBe(false);
  });

  it("tells a rollout's last step: no live pod is of the drained pods' revision any more", () => {
    const rev = (p: V1Pod, hash: string): V1Pod => ({
      ...p,
      metadata: { ...p.metadata, labels: { ...p.metadata?.labels, "pod-template-hash": hash } },
    });
    const live = (name: string, hash: string) => rev({ ...starting(name, true) }, hash);
    const old = rev(deleting("old", 15), "a");
    expect(run([old, live("new", "b")], ["new"]).revisionReplaced).toBe(true);
    // Mid-rollout (an old pod still live) or a scale-down: more may come.
    expect(run([old, live("new", "b"), live("old-2", "a")], ["new", "old-2"]).revisionReplaced).toBe(false);
    expect(run([old, live("old-2", "a")], ["old-2"]).revisionReplaced).toBe(false);
    // An old pod deleted already whose endpoint is not terminating yet is still an origin: not the last step yet.
    const deletedOld = {
      ...rev(starting("old-3", true), "a"),
      metadata: { ...rev(starting("old-3", true), "a").metadata, deletionTimestamp: new Date(130_000) },
    };
    expect(run([old, live("new", "b"), deletedOld], ["new", "old-3"]).revisionReplaced).toBe(false);
    // Pods without the label (not a Deployment's): never taken as the last step.
    expect(run([deleting("old", 15), starting("new", true)], ["new"]).revisionReplaced).toBe(false);
  });
});
