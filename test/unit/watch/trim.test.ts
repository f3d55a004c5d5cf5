// What the informers keep (src/watch/trim.ts), held against what the operator reads: full objects, as the apiserver
// sends them, go through every reader of cached Pods and Nodes (desired state in Pod and Node mode, the termination
// hold, the readiness gates, the change filters, the Service selector) behind a Proxy that records each field read.
// Every field read must survive the trim with the same value, so code that starts reading a dropped field fails here.
import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { gateType, resolveSpec } from "../../../src/api/types.ts";
import { desiredOrigins, nodeEligible } from "../../../src/binding/logic/desired.ts";
import { drainingOrigins, holdEndsAt } from "../../../src/binding/logic/drain.ts";
import { waitsOnlyOnGate } from "../../../src/binding/logic/endpoints.ts";
import type { ClusterView } from "../../../src/model/cluster-view.ts";
import { selectsPod } from "../../../src/model/selectors.ts";
import { ourGates } from "../../../src/readiness/pod-gates.ts";
import { nodePrint, podPrint } from "../../../src/watch/change-filters.ts";
import { trimNode, trimObject, trimPod } from "../../../src/watch/trim.ts";

const GATE = gateType("web");
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const managedFields = [
  {
    manager: "kube-controller-manager",
    operation: "Update",
    apiVersion: "v1",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:status": {} },
  },
];

function fullPod(
  name: string,
  ip: string,
  extra: { terminating?: boolean; noGraceSet?: boolean } = {},
): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      uid: `uid-${name}`,
      resourceVersion: "42",
      generateName: "web-abc-",
      creationTimestamp: "2026-12-01T00:00:00Z" as unknown as Date,
      labels: { app: "web", tier: "backup", "pod-template-hash": "abc" },
      annotations: {
        "gaap.operator.dev/weight": "30",
        "example.com/public-ip": "198.18.0.9",
        [LAST_APPLIED]: "{}",
      },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "rs", controller: true },
      ],
      managedFields: managedFields as never,
      ...(extra.terminating ? { deletionTimestamp: "2026-12-01T00:01:00Z" as unknown as Date } : {}),
      ...(extra.terminating && !extra.noGraceSet ? { deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      nodeName: "node-1",
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      readinessGates: [{ conditionType: GATE }],
      containers: [
        {
          name: "web",
          image: "example.invalid/web:1",
          ports: [{ name: "http", containerPort: 8080 }],
          env: [{ name: "A", value: "b".repeat(100) }],
          resources: { requests: { cpu: "100m" } },
          lifecycle: { preStop: { sleep: { seconds: 20 } } },
        },
      ],
      volumes: [{ name: "token", projected: { sources: [] } }],
    },
    status: {
      phase: "Running",
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: "192.0.2.1",
      conditions: [
        { type: "ContainersReady", status: "True" },
        { type: GATE, status: "False", reason: "Binding", message: "bind sent" },
        { type: "Ready", status: "False" },
      ],
      containerStatuses: [
        { name: "web", ready: true, restartCount: 0, image: "example.invalid/web:1", imageID: "sha256:x" },
      ] as never,
    },
  };
}

function fullNode(name: string, idx: number): V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: "7",
      labels: { pool: "edge", "zone-role": "standby" },
      annotations: { "gaap.operator.dev/weight": "20", "node.alpha.kubernetes.io/ttl": "0" },
      managedFields: managedFields as never,
    },
    spec: {
      podCIDR: "10.244.0.0/24",
      unschedulable: false,
      taints: [{ key: "dedicated", effect: "NoSchedule" }],
    },
    status: {
      addresses: [
        { type: "InternalIP", address: `192.0.2.${idx}` },
        { type: "ExternalIP", address: `203.0.113.${idx}` },
      ],
      conditions: [{ type: "Ready", status: "True" }],
      capacity: { cpu: "2" },
      images: [{ names: ["example.invalid/big:1"], sizeBytes: 1 }],
      nodeInfo: { kubeletVersion: "v1.35.4" } as never,
    },
  };
}

const service: V1Service = {
  metadata: { name: "web", namespace: "shop", managedFields: managedFields as never },
  spec: {
    type: "NodePort",
    selector: { app: "web" },
    externalTrafficPolicy: "Local",
    ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 30080, protocol: "TCP" }],
  },
};
const slice: V1EndpointSlice = {
  addressType: "IPv4",
  metadata: { name: "web-1", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      conditions: { ready: false },
      targetRef: { kind: "Pod", name: "p1" },
      nodeName: "node-1",
    },
    {
      addresses: ["10.0.0.2"],
      conditions: { ready: false, serving: true, terminating: true },
      targetRef: { kind: "Pod", name: "p2" },
      nodeName: "node-2",
    },
  ],
};

/** `obj` behind a Proxy that records the path of every property read, nested objects included. */
function recorded<T extends object>(obj: T): { proxy: T; reads: string[][] } {
  const reads: string[][] = [];
  const wrap = <U extends object>(o: U, path: string[]): U =>
    new Proxy(o, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof key === "symbol" || typeof value === "function") return value;
        const at = [...path, key];
        reads.push(at);
        return value !== null && typeof value === "object" ? wrap(value, at) : value;
      },
    });
  return { proxy: wrap(obj, []), reads };
}

const valueAt = (o: unknown, path: string[]) =>
  path.reduce<unknown>(
    (x, k) => (x === null || x === undefined ? undefined : (x as Record<string, unknown>)[k]),
    o,
  );

/** Every value read (not the containers holding them) is the same in the trimmed object. */
function expectKept(original: object, trimmed: object, reads: string[][], droppedOnPurpose: string[][] = []) {
  const lost: string[] = [];
  for (const path of reads) {
    const was = valueAt(original, path);
    if (was !== null && typeof was === "object") continue;
    if (droppedOnPurpose.some((d) => d.join(".") === path.join("."))) continue;
    if (valueAt(trimmed, path) !== was) lost.push(path.join("."));
  }
  expect([...new Set(lost)]).toEqual([]);
  expect(reads.length).toBeGreaterThan(10);
}

describe("what the informers keep", () => {
  it("keeps every Pod field the operator reads, and drops the rest", () => {
    const pods = [
      fullPod("p1", "10.0.0.1"),
      fullPod("p2", "10.0.0.2", { terminating: true }),
      fullPod("p3", "10.0.0.3", { terminating: true, noGraceSet: true }),
    ];
    const tracked = pods.map((p) => recorded(p));
    const view: ClusterView = {
      service,
      slices: [slice],
      nodes: [],
      pod: (name) => tracked.find((t) => t.proxy.metadata?.name === name)?.proxy,
      selectedPods: () => tracked.map((t) => t.proxy),
    };
    const base = { listenerId: "listener-a", serviceRef: { name: "web", port: 80 } };
    const read = (spec: Parameters<typeof resolveSpec>[0]) => {
      const s = resolveSpec(spec);
      desiredOrigins("shop", s, view, { gate: GATE });
      drainingOrigins(s, view, GATE, [
        { ip: "10.0.0.1", port: 8080, weight: 1, secondary: false, ready: false },
      ]);
    };
    read({ ...base, secondarySelector: { matchLabels: { tier: "backup" } } });
    read({ ...base, podAddressAnnotation: "example.com/public-ip" });
    for (const t of tracked) {
      holdEndsAt(t.proxy);
      waitsOnlyOnGate(t.proxy, GATE);
      podPrint(t.proxy);
      ourGates(t.proxy);
      selectsPod(service, t.proxy);
    }
    for (const [i, t] of tracked.entries()) {
      const original = pods[i] as V1Pod;
      // The change filter prints every annotation; both sides of a comparison are trimmed alike.
      expectKept(original, trimPod(original), t.reads, [["metadata", "annotations", LAST_APPLIED]]);
    }
    const trimmed = trimPod(pods[0] as V1Pod);
    expect(trimmed.metadata?.managedFields).toBeUndefined();
    expect(trimmed.metadata?.annotations?.[LAST_APPLIED]).toBeUndefined();
    expect(trimmed.spec?.containers[0]).toEqual({
      name: "web",
      lifecycle: { preStop: { sleep: { seconds: 20 } } },
    });
    expect(trimmed.status).not.toHaveProperty("containerStatuses");
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify(pods[0]).length * 0.7);
  });

  it("keeps every Node field the operator reads, and drops the rest", () => {
    const nodes = [fullNode("node-1", 1), fullNode("node-2", 2)];
    const tracked = nodes.map((n) => recorded(n));
    const view: ClusterView = {
      service,
      slices: [slice],
      nodes: tracked.map((t) => t.proxy),
      pod: () => undefined,
      selectedPods: () => [],
    };
    for (const nodeAddressType of ["ExternalIP", "InternalIP"] as const) {
      const spec = resolveSpec({
        listenerId: "listener-a",
        serviceRef: { name: "web", port: 80 },
        targetType: "Node",
        nodeAddressType,
        nodeSelector: { matchExpressions: [{ key: "pool", operator: "In", values: ["edge"] }] },
        secondarySelector: { matchLabels: { "zone-role": "standby" } },
      });
      desiredOrigins("shop", spec, view);
      for (const t of tracked) nodeEligible(t.proxy, spec);
    }
    for (const t of tracked) nodePrint(t.proxy);
    for (const [i, t] of tracked.entries())
      expectKept(nodes[i] as V1Node, trimNode(nodes[i] as V1Node), t.reads);
    const trimmed = trimNode(nodes[0] as V1Node);
    expect(trimmed.status).toEqual({
      addresses: nodes[0]?.status?.addresses,
      conditions: nodes[0]?.status?.conditions,
    });
    expect(trimmed.metadata?.managedFields).toBeUndefined();
  });

  it("drops only managed fields and the last-applied configuration of other kinds", () => {
    const svc = {
      ...service,
      metadata: { ...service.metadata, annotations: { [LAST_APPLIED]: "{}", keep: "me" } },
    };
    expect(trimObject(svc)).toEqual({
      ...service,
      metadata: { name: "web", namespace: "shop", annotations: { keep: "me" } },
    });
    expect(trimObject(slice)).toBe(slice);
  });
});
