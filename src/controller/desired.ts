// Desired state: a pure function from cached Kubernetes objects to the origin set a binding calls for.
// No I/O. Weights and roles are decided here per origin; whether GAAP gets them depends on the listener (plan.ts).
import { isIP } from "node:net";
import type { V1Node, V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
import { type ResolvedSpec, WEIGHT_ANNOTATION } from "../api/types.ts";
import type { ClusterView } from "../model/cluster-view.ts";
import { matchesSelector } from "../model/selectors.ts";

export interface Origin {
  ip: string;
  port: number;
  /** Weight for wrr listeners: the pod's or node's annotation, else spec.weight. */
  weight: number;
  /** Matches spec.secondarySelector: a "slave" when the listener has failover on. */
  secondary: boolean;
  /**
   * The endpoint is ready. False for a pod that waits on this binding's readiness gate with its containers ready:
   * an origin still, bound after the ready ones when the listener's limit is short.
   */
  ready: boolean;
  /** The pod behind the endpoint (Pod mode). */
  pod?: string;
}

export interface DesiredOptions {
  /** This binding's readiness gate: endpoints whose pod lists it count by the pod's ContainersReady. */
  gate?: string;
}

export type DesiredProblem = "ServiceNotFound" | "ServicePortNotFound" | "ServiceHasNoNodePort";

export type Desired =
  | {
      ok: true;
      origins: Origin[];
      /** The Service port's protocol, to compare with the listener's. */
      protocol: string;
      /** Endpoints or nodes left out, and why (bad annotations, missing addresses). */
      notes: string[];
    }
  | { ok: false; problem: DesiredProblem; message: string };

export const EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";
export const DELETION_TAINTS = ["ToBeDeletedByClusterAutoscaler", "karpenter.sh/disrupted"];

export function originKey(o: { ip: string; port: number }): string {
  return o.ip.includes(":") ? `[${o.ip}]:${o.port}` : `${o.ip}:${o.port}`;
}

/** The IP of an originKey. */
export function ipOfKey(key: string): string {
  return key.startsWith("[") ? key.slice(1, key.indexOf("]")) : key.slice(0, key.lastIndexOf(":"));
}

/**
 * An address as GAAP and the plan compare it: IPv4 as it is, IPv6 in its one canonical form (lowercase, zeros
 * compressed, RFC 5952, as the URL parser writes it), so one address written two ways is one origin. Anything else,
 * including a zone-scoped IPv6 address (fe80::1%eth0, useless to GAAP), is no address.
 */
export function canonicalIp(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  const family = isIP(v);
  if (family === 4) return v;
  if (family !== 6 || v.includes("%")) return undefined;
  return new URL(`http://[${v}]/`).hostname.slice(1, -1);
}

export function desiredOrigins(
  namespace: string,
  spec: ResolvedSpec,
  view: ClusterView,
  opts: DesiredOptions = {},
): Desired {
  const svc = view.service;
  const ref = spec.serviceRef;
  if (!svc)
    return { ok: false, problem: "ServiceNotFound", message: `Service ${namespace}/${ref.name} not found` };
  const svcPort = findPort(svc, spec);
  if (!svcPort) {
    return {
      ok: false,
      problem: "ServicePortNotFound",
      message: `Service ${namespace}/${ref.name} has no port ${typeof ref.port === "number" ? ref.port : `named "${ref.port}"`}`,
    };
  }
  const protocol = svcPort.protocol ?? "TCP";
  const notes: string[] = [];
  const origins =
    spec.targetType === "Node"
      ? nodeOrigins(spec, view, svc, svcPort, notes)
      : podOrigins(spec, view, svcPort, notes, opts.gate);
  if (!Array.isArray(origins)) return origins;
  const unique = new Map<string, Origin>();
  for (const o of origins) {
    const seen = unique.get(originKey(o));
    if (!seen || (o.ready && !seen.ready)) unique.set(originKey(o), o);
  }
  const sorted = [...unique.values()].sort((a, b) => compare(a.ip, b.ip) || a.port - b.port);
  return { ok: true, origins: sorted, protocol, notes };
}

type SliceEndpoint = {
  address: string;
  port: number;
  ready: boolean;
  terminating: boolean;
  podName?: string;
  nodeName?: string;
};

/** Every endpoint of the Service port with an address, with the port number its slice resolved it to. */
function sliceEndpoints(view: ClusterView, svcPort: V1ServicePort): SliceEndpoint[] {
  const out: SliceEndpoint[] = [];
  const name = svcPort.name ?? "";
  const protocol = svcPort.protocol ?? "TCP";
  for (const slice of view.slices) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    const port = (slice.ports ?? []).find(
      (p) => (p.name ?? "") === name && (p.protocol ?? "TCP") === protocol,
    )?.port;
    if (port === undefined || port === null) continue;
    for (const ep of slice.endpoints ?? []) {
      const address = canonicalIp(ep.addresses?.[0]);
      if (!address) continue;
      out.push({
        address,
        port,
        // "ready" unset means ready; "terminating" unset means not terminating.
        ready: ep.conditions?.ready !== false,
        terminating: ep.conditions?.terminating === true,
        ...(ep.targetRef?.kind === "Pod" && ep.targetRef.name ? { podName: ep.targetRef.name } : {}),
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
      });
    }
  }
  return out;
}

/**
 * Endpoints that should serve: the ready ones and, given a gate, those whose pod waits only on that gate (the
 * kubelet folds the gate into Ready and the slice follows Ready, so the slice alone would never let such a pod in).
 * Terminating endpoints never.
 */
function servingEndpoints(view: ClusterView, svcPort: V1ServicePort, gate?: string): SliceEndpoint[] {
  return sliceEndpoints(view, svcPort).filter(
    (ep) =>
      !ep.terminating &&
      (ep.ready ||
        (gate !== undefined && ep.podName !== undefined && waitsOnlyOnGate(view.pod(ep.podName), gate))),
  );
}

/**
 * When a terminating pod's termination hold (its preStop sleep) ends, in ms since the epoch; undefined without
 * one. deletionTimestamp is when the grace period ends (the request time plus deletionGracePeriodSeconds), and the
 * kubelet runs preStop (from when it sees the deletion, a little after the request) for at most the grace period.
 * The timestamp has whole seconds, so this errs early by up to a second: the safe side.
 */
export function holdEndsAt(pod: V1Pod | undefined): number | undefined {
  return holdOf(pod)?.endsAt;
}

/** A terminating pod's hold: when it ends, and how long it is (the sleep, cut to the deletion's grace). */
function holdOf(pod: V1Pod | undefined): { endsAt: number; seconds: number } | undefined {
  const deleted = pod?.metadata?.deletionTimestamp;
  if (!deleted) return undefined;
  const sleep = preStopSleep(pod);
  if (!(sleep > 0)) return undefined;
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  const end = new Date(deleted as unknown as string).getTime();
  if (Number.isNaN(end)) return undefined;
  const seconds = Math.min(sleep, grace);
  return { endsAt: end - grace * 1000 + seconds * 1000, seconds };
}

/** The pod's termination hold: its longest preStop sleep, in seconds (0: none). */
function preStopSleep(pod: V1Pod | undefined): number {
  const sleeps = (pod?.spec?.containers ?? []).map((c) => Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0));
  return Math.max(0, ...sleeps.filter((n) => Number.isFinite(n)));
}

/** A live pod (not being deleted) that lists the gate. */
function gatedBy(pod: V1Pod | undefined, gate: string): pod is V1Pod {
  if (!pod || pod.metadata?.deletionTimestamp) return false;
  return (pod.spec?.readinessGates ?? []).some((g) => g.conditionType === gate);
}

function containersReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === "ContainersReady")?.status === "True";
}

/** The pod lists the gate, is not being deleted, and its containers are ready. */
export function waitsOnlyOnGate(pod: V1Pod | undefined, gate: string): boolean {
  return gatedBy(pod, gate) && containersReady(pod);
}

/** The address a pod endpoint is bound under: its own, or the one in podAddressAnnotation (undefined if none). */
function podAddress(spec: ResolvedSpec, ep: SliceEndpoint, pod: V1Pod | undefined): string | undefined {
  if (!spec.podAddressAnnotation) return ep.address;
  return canonicalIp(pod?.metadata?.annotations?.[spec.podAddressAnnotation]);
}

/** A terminating pod's origin still in its termination hold. */
export interface Drain {
  /** When the hold ends (holdEndsAt), ms since the epoch. */
  endsAt: number;
  /** The hold, in seconds (the preStop sleep). */
  holdSeconds: number;
  pod: string;
}

/**
 * Origins of terminating pods still in their termination hold (still serving), with when the hold ends, and
 * whether pods that list the gate are on their way (selected, not being deleted, not origins yet: containers not
 * ready, or ready but not yet listed in the Service's EndpointSlices): what a removal may wait for, so that it goes
 * to GAAP in one bind with the additions (plan.ts), and what its removal is measured against once GAAP has applied
 * it (task-tracker.ts).
 */
export function drainingOrigins(
  spec: ResolvedSpec,
  view: ClusterView,
  gate: string | undefined,
  /** The desired origins (desiredOrigins): gated ones among them look for the rest of their wave. */
  origins: readonly Origin[] = [],
): { draining: Map<string, Drain>; additionsComing: boolean; revisionReplaced: boolean } {
  const draining = new Map<string, Drain>();
  const svcPort = findPort(view.service, spec);
  if (spec.targetType !== "Pod" || !svcPort || !gate)
    return { draining, additionsComing: false, revisionReplaced: false };
  const drainingRevisions = new Set<string | undefined>();
  for (const ep of sliceEndpoints(view, svcPort)) {
    if (!ep.terminating || !ep.podName) continue;
    const pod = view.pod(ep.podName);
    const hold = holdOf(pod);
    const ip = podAddress(spec, ep, pod);
    if (hold && ip) {
      draining.set(originKey({ ip, port: ep.port }), {
        endsAt: hold.endsAt,
        holdSeconds: hold.seconds,
        pod: ep.podName,
      });
      drainingRevisions.add(pod?.metadata?.labels?.[REVISION_LABEL]);
    }
  }
  const gatedWaiting = origins.some((o) => !o.ready);
  const originPods = new Set(origins.map((o) => o.pod));
  // Pods that ran to an end (Failed, Succeeded: evicted, say) come no more.
  const selected = (draining.size > 0 || gatedWaiting ? view.selectedPods() : []).filter(
    (p) => p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded",
  );
  const additionsComing = selected.some((p) => gatedBy(p, gate) && !originPods.has(p.metadata?.name));
  // A rollout's last step: the pods being drained are of a revision (a ReplicaSet's pod-template-hash) that no live
  // pod and no origin has any more (an origin may be a pod deleted already whose endpoint is not terminating yet), so
  // no further step will bring pods to bind with their removal.
  const live = selected.filter((p) => !p.metadata?.deletionTimestamp);
  const current = [...live, ...origins.map((o) => (o.pod ? view.pod(o.pod) : undefined))];
  const revisionReplaced =
    draining.size > 0 &&
    live.length > 0 &&
    !drainingRevisions.has(undefined) &&
    current.every((p) => {
      const r = p?.metadata?.labels?.[REVISION_LABEL];
      return r !== undefined && !drainingRevisions.has(r);
    });
  return { draining, additionsComing, revisionReplaced };
}

/** The label a Deployment's ReplicaSet gives its pods: one value per revision of the pod template. */
const REVISION_LABEL = "pod-template-hash";

function podOrigins(
  spec: ResolvedSpec,
  view: ClusterView,
  svcPort: V1ServicePort,
  notes: string[],
  gate: string | undefined,
): Origin[] {
  const origins: Origin[] = [];
  const lacking: string[] = [];
  for (const ep of servingEndpoints(view, svcPort, gate)) {
    const pod = ep.podName ? view.pod(ep.podName) : undefined;
    const ip = podAddress(spec, ep, pod);
    if (!ip) {
      lacking.push(ep.podName ?? ep.address);
      continue;
    }
    origins.push({
      ip,
      port: ep.port,
      weight: weightOf(pod?.metadata?.annotations, spec.weight, `pod ${ep.podName}`, notes),
      secondary: spec.secondarySelector
        ? matchesSelector(spec.secondarySelector, pod?.metadata?.labels)
        : false,
      ready: ep.ready,
      ...(ep.podName ? { pod: ep.podName } : {}),
    });
  }
  if (lacking.length > 0) {
    notes.push(
      `${lacking.length} ready pod(s) without an IP in annotation ${spec.podAddressAnnotation}: ${sample(lacking)}`,
    );
  }
  return origins;
}

function nodeOrigins(
  spec: ResolvedSpec,
  view: ClusterView,
  svc: V1Service,
  svcPort: V1ServicePort,
  notes: string[],
): Origin[] | Desired {
  const nodePort = svcPort.nodePort;
  if (!nodePort) {
    return {
      ok: false,
      problem: "ServiceHasNoNodePort",
      message: `Service port ${svcPort.name || svcPort.port} has no NodePort (type ${svc.spec?.type ?? "ClusterIP"}); Node mode needs type NodePort or LoadBalancer`,
    };
  }
  const local = svc.spec?.externalTrafficPolicy === "Local";
  const withEndpoints = local
    ? new Set(
        servingEndpoints(view, svcPort)
          .filter((e) => e.ready)
          .map((e) => e.nodeName),
      )
    : undefined;
  const noAddress: string[] = [];
  const origins: Origin[] = [];
  for (const node of view.nodes) {
    const name = node.metadata?.name ?? "";
    if (!nodeEligible(node, spec)) continue;
    if (withEndpoints && !withEndpoints.has(name)) continue;
    const address = canonicalIp(
      node.status?.addresses?.find((a) => a.type === spec.nodeAddressType)?.address,
    );
    if (!address) {
      noAddress.push(name);
      continue;
    }
    origins.push({
      ip: address,
      port: nodePort,
      weight: weightOf(node.metadata?.annotations, spec.weight, `node ${name}`, notes),
      secondary: spec.secondarySelector
        ? matchesSelector(spec.secondarySelector, node.metadata?.labels)
        : false,
      ready: true,
    });
  }
  if (noAddress.length > 0)
    notes.push(`${noAddress.length} node(s) without an ${spec.nodeAddressType}: ${sample(noAddress)}`);
  return origins;
}

/** The Service port a binding names, by number or name. */
function findPort(svc: V1Service | undefined, spec: ResolvedSpec): V1ServicePort | undefined {
  const ref = spec.serviceRef.port;
  return (svc?.spec?.ports ?? []).find((p) => (typeof ref === "number" ? p.port === ref : p.name === ref));
}

/** Ready, schedulable, selected, not excluded from load balancers and not being deleted. */
export function nodeEligible(node: V1Node, spec: ResolvedSpec): boolean {
  const labels = node.metadata?.labels ?? {};
  if (!matchesSelector(spec.nodeSelector, labels)) return false;
  if (Object.hasOwn(labels, EXCLUDE_LABEL)) return false;
  if (node.spec?.unschedulable) return false;
  if ((node.spec?.taints ?? []).some((t) => DELETION_TAINTS.includes(t.key))) return false;
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}

function weightOf(
  annotations: Record<string, string> | undefined,
  fallback: number,
  who: string,
  notes: string[],
): number {
  const raw = annotations?.[WEIGHT_ANNOTATION];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= 100) return n;
  notes.push(`${who}: ${WEIGHT_ANNOTATION}="${raw}" is not an integer 1-100; using ${fallback}`);
  return fallback;
}

function sample(names: string[]): string {
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, ...`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
