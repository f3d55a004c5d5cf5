// Desired state: a pure function from cached Kubernetes objects to the origin set a binding calls for.
// No I/O. Weights and roles are decided here per origin; whether GAAP gets them depends on the listener (plan.ts).
import type { V1Node, V1Service, V1ServicePort } from "@kubernetes/client-node";
import { type ResolvedSpec, WEIGHT_ANNOTATION } from "../../api/types.ts";
import type { ClusterView } from "../../model/cluster-view.ts";
import { matchesSelector } from "../../model/selectors.ts";
import { findPort, podAddress, servingEndpoints } from "./endpoints.ts";
import { canonicalIp, originKey } from "./origin.ts";

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
