// What the desired*.test.ts and drain.test.ts tables are written in: Services, slices, nodes, pods and a cluster view.
import { isIP } from "node:net";
import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from "@kubernetes/client-node";
import { type GaapListenerBindingSpec, resolveSpec } from "../../../../../src/api/types.ts";
import type { desiredOrigins } from "../../../../../src/binding/logic/desired.ts";
import type { ClusterView } from "../../../../../src/model/cluster-view.ts";

export const svc = (
  ports: Array<{ name?: string; port: number; nodePort?: number; protocol?: string }>,
  extra = {},
): V1Service => ({
  metadata: { name: "web", namespace: "ns" },
  spec: { ports, ...extra },
});

export interface Ep {
  ip: string;
  ready?: boolean;
  terminating?: boolean;
  pod?: string;
  node?: string;
}
export const slice = (
  name: string,
  port: number,
  eps: Ep[],
  portName = "http",
  addressType = "IPv4",
): V1EndpointSlice => ({
  addressType,
  metadata: { name, namespace: "ns", labels: { "kubernetes.io/service-name": "web" } },
  ports: [{ name: portName, port, protocol: "TCP" }],
  endpoints: eps.map((e) => ({
    addresses: [e.ip],
    conditions: {
      ...(e.ready === undefined ? {} : { ready: e.ready }),
      ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
    },
    ...(e.pod ? { targetRef: { kind: "Pod", name: e.pod, namespace: "ns" } } : {}),
    ...(e.node ? { nodeName: e.node } : {}),
  })),
});

export interface NodeOpts {
  ready?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: string[];
  unschedulable?: boolean;
  external?: string | null;
  internal?: string;
}
export const node = (name: string, o: NodeOpts = {}): V1Node => ({
  metadata: { name, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
  spec: {
    unschedulable: o.unschedulable ?? false,
    taints: (o.taints ?? []).map((key) => ({ key, effect: "NoSchedule" })),
  },
  status: {
    addresses: [
      ...(o.external === null
        ? []
        : [{ type: "ExternalIP", address: o.external ?? `203.0.113.${name.slice(-1)}` }]),
      { type: "InternalIP", address: o.internal ?? `192.0.2.${name.slice(-1)}` },
    ],
    conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
  },
});

export const pod = (
  name: string,
  annotations: Record<string, string> = {},
  labels: Record<string, string> = {},
): V1Pod => ({
  metadata: { name, namespace: "ns", annotations, labels },
});

export function view(v: Partial<Omit<ClusterView, "pod">> & { pods?: V1Pod[] }): ClusterView {
  return {
    service: v.service,
    slices: v.slices ?? [],
    nodes: v.nodes ?? [],
    pod: (name) => v.pods?.find((p) => p.metadata?.name === name),
    selectedPods: () => v.pods ?? [],
  };
}

export const spec = (s: Partial<GaapListenerBindingSpec> = {}) =>
  resolveSpec({ listenerId: "listener-a", serviceRef: { name: "web", port: 80 }, ...s });

// IPv6 in brackets, so "[2001:db8::1]:8080" cannot be misread as the address 2001:db8::1:8080.
export const ips = (r: ReturnType<typeof desiredOrigins>) =>
  r.ok ? r.origins.map((o) => (isIP(o.ip) === 6 ? `[${o.ip}]:${o.port}` : `${o.ip}:${o.port}`)) : r.problem;
