// Change filters: only changes that can alter a desired set reach the queue. Each print reduces an object to
// the parts a desired set (or the reconciler) can depend on, so node heartbeats and status writes compare equal;
// ChangeFilter remembers the last print per object and says whether an event is worth passing on. Pure, no I/O.

import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { bindingKey, GATE_PREFIX, type GaapListenerBinding, WEIGHT_ANNOTATION } from "../api/types.ts";

export type EventKind = "add" | "update" | "delete";

/** Everything of a binding but its status. */
export function bindingPrint(b: GaapListenerBinding): string {
  const m = b.metadata;
  return JSON.stringify([
    m.generation,
    m.deletionTimestamp ?? null,
    m.finalizers ?? [],
    m.labels ?? {},
    m.annotations ?? {},
  ]);
}

/** The parts of a Node a desired set can depend on. */
export function nodePrint(n: V1Node): string {
  return JSON.stringify([
    n.metadata?.labels,
    n.metadata?.annotations?.[WEIGHT_ANNOTATION],
    n.spec?.unschedulable ?? false,
    (n.spec?.taints ?? []).map((t) => t.key),
    (n.status?.addresses ?? []).map((a) => `${a.type}=${a.address}`),
    n.status?.conditions?.find((c) => c.type === "Ready")?.status,
  ]);
}

/**
 * The parts of a Pod a desired set can depend on besides its endpoint: labels and annotations, and for a pod with
 * one of our readiness gates the ContainersReady that desired state reads in place of the endpoint's ready.
 */
export function podPrint(p: V1Pod): string {
  const gated = (p.spec?.readinessGates ?? []).some((g) => g.conditionType.startsWith(GATE_PREFIX));
  return JSON.stringify([
    p.metadata?.labels,
    p.metadata?.annotations,
    ...(gated
      ? [
          p.status?.conditions?.find((c) => c.type === "ContainersReady")?.status,
          !!p.metadata?.deletionTimestamp,
        ]
      : []),
  ]);
}

/** The last print per object, forgotten on delete so the maps do not outgrow the caches. */
class Prints {
  private readonly last = new Map<string, string>();

  /** Records `print` for `key`, or forgets `key` when it is undefined; returns the print it replaced. */
  swap(key: string, print: string | undefined): string | undefined {
    const before = this.last.get(key);
    if (print === undefined) this.last.delete(key);
    else this.last.set(key, print);
    return before;
  }
}

export class ChangeFilter {
  private readonly bindings = new Prints();
  private readonly nodes = new Prints();
  private readonly pods = new Prints();

  /** Every add and delete passes; an update only when more than status changed (status writes are mostly ours). */
  binding(kind: EventKind, b: GaapListenerBinding): boolean {
    const print = kind === "delete" ? undefined : bindingPrint(b);
    const before = this.bindings.swap(bindingKey(b), print);
    return kind !== "update" || before !== print;
  }

  /** A node's first sight, its removal, and edits to what nodePrint covers. */
  node(kind: EventKind, n: V1Node): boolean {
    const print = kind === "delete" ? undefined : nodePrint(n);
    const before = this.nodes.swap(n.metadata?.name ?? "", print);
    return print === undefined || before !== print;
  }

  /**
   * Label or annotation edits of a pod already seen. A new pod reaches bindings through its EndpointSlice, and a
   * gone one leaves it, so neither passes here.
   */
  pod(kind: EventKind, p: V1Pod): boolean {
    const print = kind === "delete" ? undefined : podPrint(p);
    const before = this.pods.swap(`${p.metadata?.namespace}/${p.metadata?.name}`, print);
    return print !== undefined && before !== undefined && before !== print;
  }
}
