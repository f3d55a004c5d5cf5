// The simulated nodes: what a Node object and its status look like when the kubelet simulator registers one.
import type { V1Node, V1NodeStatus, V1Taint } from "@kubernetes/client-node";

export interface SimNodeSpec {
  name: string;
  labels?: Record<string, string>;
  taints?: V1Taint[];
  unschedulable?: boolean;
  ready?: boolean;
  /** Which addresses the node reports; both by default. */
  addresses?: { internalIP?: string | null; externalIP?: string | null };
}

/** The nodes `npm run cluster` and the test suite start with, one per zone. */
export const DEFAULT_NODES: SimNodeSpec[] = [
  { name: "sim-node-1", labels: { "topology.kubernetes.io/zone": "zone-a" } },
  { name: "sim-node-2", labels: { "topology.kubernetes.io/zone": "zone-b" } },
  { name: "sim-node-3", labels: { "topology.kubernetes.io/zone": "zone-c" } },
];

export function nodeObject(spec: SimNodeSpec): V1Node {
  return {
    metadata: { name: spec.name, labels: { "kubernetes.io/hostname": spec.name, ...spec.labels } },
    spec: { unschedulable: spec.unschedulable ?? false, taints: spec.taints ?? [] },
  };
}

/** Addresses (192.0.2.<idx> inside, 203.0.113.<idx> outside, unless the spec says otherwise), capacity, Ready. */
export function nodeStatus(spec: SimNodeSpec, idx: number): V1NodeStatus {
  const addresses = [];
  const internal = spec.addresses?.internalIP === undefined ? `192.0.2.${idx}` : spec.addresses.internalIP;
  const external = spec.addresses?.externalIP === undefined ? `203.0.113.${idx}` : spec.addresses.externalIP;
  if (internal) addresses.push({ type: "InternalIP", address: internal });
  if (external) addresses.push({ type: "ExternalIP", address: external });
  addresses.push({ type: "Hostname", address: spec.name });
  const now = new Date();
  const capacity = { cpu: "64", memory: "256Gi", pods: "500" };
  return {
    addresses,
    capacity,
    allocatable: capacity,
    conditions: [
      {
        type: "Ready",
        status: spec.ready === false ? "False" : "True",
        reason: spec.ready === false ? "KubeletNotReady" : "KubeletReady",
        message: "kubelet simulator",
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
    nodeInfo: nodeInfo(),
  };
}

function nodeInfo() {
  return {
    architecture: "amd64",
    bootID: "",
    containerRuntimeVersion: "sim://1.0",
    kernelVersion: "",
    kubeProxyVersion: "",
    kubeletVersion: "v1.35.4-sim",
    machineID: "",
    operatingSystem: "linux",
    osImage: "kubelet simulator",
    systemUUID: "",
  };
}
