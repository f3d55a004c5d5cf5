// Sources: the one object the rest of the operator reads the cluster through. It composes the informer set, the
// binding index (which event affects which binding) and the read-only views the desired-state function gets.

import type { KubeConfig, V1Pod, V1Service } from "@kubernetes/client-node";
import type { GaapListenerGrant } from "../api/grant.ts";
import { bindingKey, type GaapListenerBinding } from "../api/types.ts";
import type { ClusterView } from "../model/cluster-view.ts";
import { selectsPod } from "../model/selectors.ts";
import { BindingIndex } from "./binding-index.ts";
import type { EventKind } from "./change-filters.ts";
import type { InformerHandlers, InformerHealth } from "./informer.ts";
import { InformerSet, type InformerSetOptions } from "./informers.ts";
import { SERVICE_NAME_LABEL } from "./labels.ts";

export { SERVICE_NAME_LABEL } from "./labels.ts";

export type SourcesOptions = InformerSetOptions;

export class Sources {
  private readonly informers: InformerSet;
  private readonly index = new BindingIndex();

  constructor(kc: KubeConfig, enqueue: (key: string) => void, opts: SourcesOptions = {}) {
    this.informers = new InformerSet(kc, opts);
    this.wire(enqueue);
  }

  start(): void {
    this.informers.start();
  }

  stop(): void {
    this.informers.stop();
  }

  /** Resolves when every informer has listed successfully once. */
  get synced(): Promise<void> {
    return this.informers.synced;
  }

  isSynced(): boolean {
    return this.informers.isSynced();
  }

  health(): InformerHealth[] {
    return this.informers.health();
  }

  binding(key: string): GaapListenerBinding | undefined {
    const [namespace, name] = key.split("/");
    return this.informers.bindings.get(name as string, namespace);
  }

  bindingKeys(): string[] {
    return this.informers.bindings.list().map(bindingKey);
  }

  /** Bindings not being deleted: the ones whose origins are still wanted. */
  liveBindingKeys(): string[] {
    return this.informers.bindings
      .list()
      .filter((b) => !b.metadata.deletionTimestamp)
      .map(bindingKey);
  }

  /** Every binding naming this listener, in any namespace. */
  bindingsOnListener(listenerId: string): GaapListenerBinding[] {
    return this.index
      .keysOnListener(listenerId)
      .map((k) => this.binding(k))
      .filter((b): b is GaapListenerBinding => b !== undefined);
  }

  /** Every binding in the cache. */
  allBindings(): readonly GaapListenerBinding[] {
    return this.informers.bindings.list();
  }

  /** Bindings in one namespace. */
  bindingsIn(namespace: string): readonly GaapListenerBinding[] {
    return this.informers.bindings.list(namespace);
  }

  /** The grants (empty when grants are not watched: --listener-grants=open). */
  grants(): readonly GaapListenerGrant[] {
    return this.informers.grants?.list() ?? [];
  }

  /** A namespace's labels; undefined while it is not in the cache (or namespaces are not watched). */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    const n = this.informers.namespaces?.get(namespace);
    return n ? (n.metadata?.labels ?? {}) : undefined;
  }

  service(namespace: string, name: string): V1Service | undefined {
    return this.informers.services.get(name, namespace);
  }

  pod(namespace: string, name: string): V1Pod | undefined {
    return this.informers.pods.get(name, namespace);
  }

  /** Every pod event, for the readiness-gate controller (unfiltered: it keeps its own index). */
  onPod(handler: (kind: EventKind, pod: V1Pod) => void): void {
    this.informers.pods.on(each(handler));
  }

  /** Every binding event, unfiltered. */
  onBinding(handler: (kind: EventKind, b: GaapListenerBinding) => void): void {
    this.informers.bindings.on(each(handler));
  }

  view(b: GaapListenerBinding): ClusterView {
    const ns = b.metadata.namespace as string;
    const svcName = b.spec.serviceRef.name;
    const { services, slices, nodes, pods } = this.informers;
    return {
      service: services.get(svcName, ns),
      slices: slices.list(ns).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === svcName),
      nodes: b.spec.targetType === "Node" ? nodes.list() : [],
      pod: (name) => pods.get(name, ns),
      selectedPods: () => {
        const svc = services.get(svcName, ns);
        return svc ? pods.list(ns).filter((p) => selectsPod(svc, p)) : [];
      },
    };
  }

  /** Every event goes through the index, which filters it and names the bindings to enqueue. */
  private wire(enqueue: (key: string) => void): void {
    const route = <T>(keysFor: (kind: EventKind, obj: T) => string[]): InformerHandlers<T> =>
      each((kind, o) => {
        for (const k of keysFor(kind, o)) enqueue(k);
      });
    const { bindings, services, slices, nodes, pods } = this.informers;
    bindings.on(route((kind, b) => this.index.onBinding(kind, b)));
    services.on(route((_, s) => this.index.onService(s)));
    slices.on(route((_, s) => this.index.onSlice(s)));
    nodes.on(route((kind, n) => this.index.onNode(kind, n)));
    pods.on(route((kind, p) => this.index.onPod(kind, p)));
    // A grant may cover any binding; a namespace's labels, the bindings in it (selectors). Rare events, so no index.
    const enqueueIn = (namespace?: string) => {
      for (const b of bindings.list(namespace)) enqueue(bindingKey(b));
    };
    this.informers.grants?.on(each(() => enqueueIn()));
    this.informers.namespaces?.on(each((kind, n) => kind !== "delete" && enqueueIn(n.metadata?.name)));
  }
}

function each<T>(handler: (kind: EventKind, o: T) => void): InformerHandlers<T> {
  return {
    add: (o) => handler("add", o),
    update: (o) => handler("update", o),
    delete: (o) => handler("delete", o),
  };
}
