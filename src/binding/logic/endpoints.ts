// Endpoint selection: which of a Service port's EndpointSlice endpoints serve, and under which address. Pure.
import type { V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { ResolvedSpec } from "../../api/types.ts";
import type { ClusterView } from "../../model/cluster-view.ts";
import { canonicalIp } from "./origin.ts";

export type SliceEndpoint = {
  address: string;
  port: number;
  ready: boolean;
  terminating: boolean;
  podName?: string;
  nodeName?: string;
};

/** Every endpoint of the Service port with an address, with the port number its slice resolved it to. */
export function sliceEndpoints(view: ClusterView, svcPort: V1ServicePort): SliceEndpoint[] {
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
export function servingEndpoints(view: ClusterView, svcPort: V1ServicePort, gate?: string): SliceEndpoint[] {
  return sliceEndpoints(view, svcPort).filter(
    (ep) =>
      !ep.terminating &&
      (ep.ready ||
        (gate !== undefined && ep.podName !== undefined && waitsOnlyOnGate(view.pod(ep.podName), gate))),
  );
}

/** A live pod (not being deleted) that lists the gate. */
export function gatedBy(pod: V1Pod | undefined, gate: string): pod is V1Pod {
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
export function podAddress(
  spec: ResolvedSpec,
  ep: SliceEndpoint,
  pod: V1Pod | undefined,
): string | undefined {
  if (!spec.podAddressAnnotation) return ep.address;
  return canonicalIp(pod?.metadata?.annotations?.[spec.podAddressAnnotation]);
}

/** The Service port a binding names, by number or name. */
export function findPort(svc: V1Service | undefined, spec: ResolvedSpec): V1ServicePort | undefined {
  const ref = spec.serviceRef.port;
  return (svc?.spec?.ports ?? []).find((p) => (typeof ref === "number" ? p.port === ref : p.name === ref));
}
