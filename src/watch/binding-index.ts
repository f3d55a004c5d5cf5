// BindingIndex: which binding keys an informer event affects. It indexes bindings by the Service they read, the
// listener they name and their target mode, runs events through the change filters, and returns the keys to
// enqueue, in order. Pure and I/O-free, so the whole event-to-key mapping is testable without an apiserver.

import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from "@kubernetes/client-node";
import { bindingKey, type GaapListenerBinding, resolveSpec } from "../api/types.ts";
import { ChangeFilter, type EventKind } from "./change-filters.ts";
import { SERVICE_NAME_LABEL } from "./labels.ts";

/** What a binding was indexed under, kept so that an update or delete can unindex it. */
interface Entry {
  service: string;
  listener: string;
  node: boolean;
  ns: string;
}

export class BindingIndex {
  private readonly byService = new Map<string, Set<string>>();
  private readonly byListener = new Map<string, Set<string>>();
  private readonly indexed = new Map<string, Entry>();
  private readonly changes = new ChangeFilter();

  /** The binding itself, then every other binding on its old and new listener: a listener's holder depends on all. */
  onBinding(kind: EventKind, b: GaapListenerBinding): string[] {
    if (!this.changes.binding(kind, b)) return [];
    const key = bindingKey(b);
    const old = this.indexed.get(key);
    if (old) {
      removeFrom(this.byService, old.service, key);
      removeFrom(this.byListener, old.listener, key);
      this.indexed.delete(key);
    }
    if (kind !== "delete") {
      const ns = b.metadata.namespace as string;
      const entry: Entry = {
        service: `${ns}/${b.spec?.serviceRef?.name}`,
        listener: b.spec?.listenerId,
        node: resolveSpec(b.spec).targetType === "Node",
        ns,
      };
      this.indexed.set(key, entry);
      addTo(this.byService, entry.service, key);
      addTo(this.byListener, entry.listener, key);
    }
    const keys = [key];
    for (const listener of new Set([old?.listener, b.spec?.listenerId])) {
      for (const k of this.byListener.get(listener as string) ?? []) if (k !== key) keys.push(k);
    }
    return keys;
  }

  /** Bindings reading this Service. */
  onService(s: V1Service): string[] {
    return this.forService(s.metadata?.namespace, s.metadata?.name);
  }

  /** Bindings reading the Service this slice belongs to. */
  onSlice(s: V1EndpointSlice): string[] {
    return this.forService(s.metadata?.namespace, s.metadata?.labels?.[SERVICE_NAME_LABEL]);
  }

  /** Every Node-mode binding, in any namespace, when a node changes in a way that matters. */
  onNode(kind: EventKind, n: V1Node): string[] {
    if (!this.changes.node(kind, n)) return [];
    return this.where((e) => e.node);
  }

  /** The Pod-mode bindings of the pod's namespace, when its labels or annotations change. */
  onPod(kind: EventKind, p: V1Pod): string[] {
    if (!this.changes.pod(kind, p)) return [];
    return this.where((e) => !e.node && e.ns === p.metadata?.namespace);
  }

  /** The keys of every binding naming this listener, in any namespace. */
  keysOnListener(listenerId: string): string[] {
    return [...(this.byListener.get(listenerId) ?? [])];
  }

  private forService(ns: string | undefined, name: string | undefined): string[] {
    return [...(this.byService.get(`${ns}/${name}`) ?? [])];
  }

  private where(pick: (e: Entry) => boolean): string[] {
    const keys: string[] = [];
    for (const [k, e] of this.indexed) if (pick(e)) keys.push(k);
    return keys;
  }
}

/** Removes v, and the entry once empty: names of Services and listeners long gone are not kept. */
function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k) ?? new Set<string>();
  s.add(v);
  m.set(k, s);
}
