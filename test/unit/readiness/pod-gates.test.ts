// The readiness-gate controller through its ports: which condition each gate of a pod gets, when it is written,
// and which events bring a pod back.
import type { V1Pod, V1PodCondition, V1Service } from "@kubernetes/client-node";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { type GaapListenerBinding, type GaapListenerBindingSpec, gateType } from "../../../src/api/types.ts";
import type { TargetState } from "../../../src/gaap/types.ts";
import type { GateFacts } from "../../../src/model/gate-facts.ts";
import { PodGates } from "../../../src/readiness/pod-gates.ts";
import { KeyedMemory } from "../../../src/runtime/memory.ts";
import { listenerState } from "../fixtures.ts";

const GATE = gateType("web");
const listener = (bound: string[]): TargetState =>
  listenerState({
    listenerId: "lst-a",
    bound: bound.map((k) => ({
      realServerId: `rs-${k}`,
      ip: k.split(":")[0] as string,
      port: Number(k.split(":")[1]),
    })),
  });

function world() {
  const pods = new Map<string, V1Pod>();
  const bindings = new Map<string, GaapListenerBinding>();
  const services = new Map<string, V1Service>([
    ["web", { metadata: { name: "web" }, spec: { selector: { app: "web" } } }],
  ]);
  const writes: Array<{ pod: string; conditions: V1PodCondition[] }> = [];
  const queued: string[] = [];
  const gates = new PodGates({
    pod: (_ns, name) => pods.get(name),
    binding: (key) => bindings.get(key),
    service: (_ns, name) => services.get(name),
    write: async (pod, conditions) => {
      writes.push({ pod: pod.metadata?.name as string, conditions });
      const p = pods.get(pod.metadata?.name as string) as V1Pod;
      const others = (p.status?.conditions ?? []).filter((c) => !conditions.some((n) => n.type === c.type));
      pods.set(p.metadata?.name as string, {
        ...p,
        status: { ...p.status, conditions: [...others, ...conditions] },
      });
    },
    enqueue: (k) => queued.push(k),
    canWrite: () => true,
    memory: new KeyedMemory(),
    clock: { now: () => 1_000_000 },
    log: pino({ level: "silent" }),
  });
  const addPod = (name: string, gate = GATE, labels = { app: "web" }) => {
    const p: V1Pod = {
      metadata: { name, namespace: "ns", labels, uid: `uid-${name}` },
      spec: { containers: [], readinessGates: [{ conditionType: gate }] },
      status: { conditions: [{ type: "ContainersReady", status: "True" }] },
    };
    pods.set(name, p);
    gates.onPod("add", p);
  };
  const addBinding = (name: string, spec: Partial<GaapListenerBindingSpec> = {}, generation = 1) => {
    const b: GaapListenerBinding = {
      metadata: { name, namespace: "ns", generation },
      spec: { listenerId: "lst-a", serviceRef: { name: "web", port: 80 }, ...spec },
    };
    bindings.set(`ns/${name}`, b);
    return b;
  };
  const gate = (pod: string, type = GATE) => pods.get(pod)?.status?.conditions?.find((c) => c.type === type);
  return { pods, bindings, services, writes, queued, gates, addPod, addBinding, gate };
}
const facts = (f: Partial<GateFacts>): GateFacts => ({ bindingName: "web", podOrigins: new Map(), ...f });

describe("readiness-gate controller", () => {
  it("sets True once GAAP holds the pod, writing only when something changes", async () => {
    const w = world();
    w.addBinding("web");
    w.addPod("p1");
    // Not reconciled yet: nothing written (missing already counts as False).
    await w.gates.reconcile("ns/p1");
    expect(w.writes).toEqual([]);
    w.gates.publish(
      "ns/web",
      facts({
        target: listener([]),
        podOrigins: new Map([["p1", "10.0.0.1:8080"]]),
        sent: new Set(["10.0.0.1:8080"]),
      }),
    );
    expect(w.queued).toContain("ns/p1");
    await w.gates.reconcile("ns/p1");
    expect(w.gate("p1")).toMatchObject({ status: "False", reason: "Binding" });
    w.gates.publish(
      "ns/web",
      facts({ target: listener(["10.0.0.1:8080"]), podOrigins: new Map([["p1", "10.0.0.1:8080"]]) }),
    );
    await w.gates.reconcile("ns/p1");
    await w.gates.reconcile("ns/p1");
    expect(w.gate("p1")).toMatchObject({ status: "True", reason: "Bound" });
    expect(w.writes).toHaveLength(2);
    expect(w.gates.countsByReason()).toEqual(new Map([["Bound", 1]]));
  });

  it.each([
    { name: "no binding of that name: True BindingNotFound", setup: () => {}, want: "True BindingNotFound" },
    {
      name: "a binding being deleted: True BindingNotFound",
      setup: (w: ReturnType<typeof world>) => {
        const b = w.addBinding("web");
        b.metadata.deletionTimestamp = new Date();
      },
      want: "True BindingNotFound",
    },
    {
      name: "a Node-mode binding: True NotApplicable",
      setup: (w: ReturnType<typeof world>) => w.addBinding("web", { targetType: "Node" }),
      want: "True NotApplicable",
    },
    {
      name: "a binding whose Service does not select the pod (moved to another Service): True NotSelected",
      setup: (w: ReturnType<typeof world>) => {
        w.addBinding("web", { serviceRef: { name: "web-v2", port: 80 } });
        w.services.set("web-v2", { metadata: { name: "web-v2" }, spec: { selector: { app: "web-v2" } } });
      },
      want: "True NotSelected",
    },
  ])("$name", async ({ setup, want }) => {
    const w = world();
    setup(w);
    w.addPod("p1");
    await w.gates.reconcile("ns/p1");
    const g = w.gate("p1");
    expect(`${g?.status} ${g?.reason}`).toBe(want);
  });

  it("leaves terminating pods and other controllers' gates alone", async () => {
    const w = world();
    w.addBinding("web");
    w.addPod("p1", "example.com/other");
    w.addPod("p2");
    const p2 = w.pods.get("p2") as V1Pod;
    w.pods.set("p2", { ...p2, metadata: { ...p2.metadata, deletionTimestamp: new Date() } });
    w.gates.publish("ns/web", facts({ target: listener([]) }));
    expect(w.queued).not.toContain("ns/p1");
    await w.gates.reconcile("ns/p1");
    await w.gates.reconcile("ns/p2");
    expect(w.writes).toEqual([]);
  });

  it("comes back to a binding's pods when the binding's spec changes, not on its status writes", () => {
    const w = world();
    w.addPod("p1");
    const b = w.addBinding("web");
    w.gates.onBinding("add", b);
    w.queued.length = 0;
    w.gates.onBinding("update", { ...b, status: { boundCount: 1 } });
    expect(w.queued).toEqual([]);
    w.gates.onBinding("update", {
      ...b,
      metadata: { ...b.metadata, generation: 2 },
      spec: { ...b.spec, targetType: "Node" },
    });
    expect(w.queued).toEqual(["ns/p1"]);
    w.gates.onBinding("delete", b);
    expect(w.queued).toEqual(["ns/p1", "ns/p1"]);
  });

  it("forgets a deleted pod's gates", () => {
    const w = world();
    w.addBinding("web");
    w.addPod("p1");
    w.gates.onPod("delete", w.pods.get("p1") as V1Pod);
    expect(w.gates.podKeys()).toEqual([]);
  });
});
