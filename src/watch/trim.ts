// What the informers keep of each object: client-node has no transform hook like client-go's SetTransform, so the
// informer wrapper trims objects on their way into its cache. Every kind loses metadata.managedFields and the
// last-applied-configuration annotation (nothing here reads them; together they are often most of an object).
// Pods and Nodes, the large and numerous ones, keep only the fields the desired state, the readiness gates, the
// change filters and the events read; test/unit/trim.test.ts fails when code reads a field this drops. Pure.
import type {
  KubernetesObject,
  V1Container,
  V1Namespace,
  V1Node,
  V1ObjectMeta,
  V1Pod,
} from "@kubernetes/client-node";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export function trimMetadata(m: V1ObjectMeta | undefined): V1ObjectMeta | undefined {
  if (!m || (!m.managedFields && !(m.annotations && LAST_APPLIED in m.annotations))) return m;
  const { managedFields: _managed, ...rest } = m;
  if (!rest.annotations || !(LAST_APPLIED in rest.annotations)) return rest;
  const { [LAST_APPLIED]: _applied, ...annotations } = rest.annotations;
  return { ...rest, annotations };
}

/** Any kind: the object without managed fields and the last-applied configuration. */
export function trimObject<T extends KubernetesObject>(o: T): T {
  const metadata = trimMetadata(o.metadata);
  return metadata === o.metadata ? o : { ...o, metadata };
}

/** A Pod: its identity, labels and annotations, readiness gates, grace period and preStop hooks, and conditions. */
export function trimPod(p: V1Pod): V1Pod {
  const spec = p.spec;
  const container = (c: V1Container): V1Container =>
    ({
      name: c.name,
      ...(c.lifecycle?.preStop ? { lifecycle: { preStop: c.lifecycle.preStop } } : {}),
    }) as V1Container;
  return {
    ...(p.apiVersion ? { apiVersion: p.apiVersion } : {}),
    ...(p.kind ? { kind: p.kind } : {}),
    metadata: trimMetadata(p.metadata) as V1ObjectMeta,
    ...(spec
      ? {
          spec: {
            containers: (spec.containers ?? []).map(container),
            ...(spec.readinessGates ? { readinessGates: spec.readinessGates } : {}),
            ...(spec.terminationGracePeriodSeconds !== undefined
              ? { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds }
              : {}),
            ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
          },
        }
      : {}),
    ...(p.status
      ? {
          status: {
            ...(p.status.phase ? { phase: p.status.phase } : {}),
            ...(p.status.podIP ? { podIP: p.status.podIP } : {}),
            ...(p.status.podIPs ? { podIPs: p.status.podIPs } : {}),
            ...(p.status.conditions ? { conditions: p.status.conditions } : {}),
          },
        }
      : {}),
  };
}

/** A Node: its identity, labels and annotations, schedulability and taints, addresses and conditions. */
export function trimNode(n: V1Node): V1Node {
  const s = n.status;
  return {
    ...(n.apiVersion ? { apiVersion: n.apiVersion } : {}),
    ...(n.kind ? { kind: n.kind } : {}),
    metadata: trimMetadata(n.metadata) as V1ObjectMeta,
    ...(n.spec
      ? {
          spec: {
            ...(n.spec.unschedulable !== undefined ? { unschedulable: n.spec.unschedulable } : {}),
            ...(n.spec.taints ? { taints: n.spec.taints } : {}),
          },
        }
      : {}),
    ...(s
      ? {
          status: {
            ...(s.addresses ? { addresses: s.addresses } : {}),
            ...(s.conditions ? { conditions: s.conditions } : {}),
          },
        }
      : {}),
  };
}

/** A Namespace: its metadata (grants by namespace selector read its labels); not its spec or status. */
export function trimNamespace(n: V1Namespace): V1Namespace {
  return {
    ...(n.apiVersion ? { apiVersion: n.apiVersion } : {}),
    ...(n.kind ? { kind: n.kind } : {}),
    metadata: trimMetadata(n.metadata) as V1ObjectMeta,
  };
}
