// Sources: resilient informers over GaapListenerBindings, Services, EndpointSlices, Nodes and Pods, mapping every
// event to the binding keys it affects, and read-only views of the caches for the desired-state function.

import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type V1EndpointSlice,
  type V1Node,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import {
  bindingKey,
  type GaapListenerBinding,
  GROUP,
  PLURAL,
  resolveSpec,
  VERSION,
  WEIGHT_ANNOTATION,
} from "../api/types.ts";
import type { ClusterView } from "../controller/desired.ts";
import { apiClient } from "./client.ts";
import { Informer, type InformerHealth } from "./informer.ts";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface SourcesOptions {
  /** Watch one namespace only (Nodes are always cluster-wide). */
  namespace?: string;
  onError?: (informer: string, err: unknown) => void;
}

export class Sources {
  readonly bindings: Informer<GaapListenerBinding>;
  readonly services: Informer<V1Service>;
  readonly slices: Informer<V1EndpointSlice>;
  readonly nodes: Informer<V1Node>;
  readonly pods: Informer<V1Pod>;
  private readonly all: Informer<never>[];
  private readonly enqueue: (key: string) => void;
  /** Service key -> binding keys, listener id -> binding keys, binding key -> what it was indexed under. */
  private readonly byService = new Map<string, Set<string>>();
  private readonly byListener = new Map<string, Set<string>>();
  private readonly indexed = new Map<
    string,
    { service: string; listener: string; node: boolean; ns: string }
  >();
  /** Only changes that can alter a desired set reach the queue (node heartbeats do not). */
  private readonly nodePrints = new Map<string, string>();
  private readonly podPrints = new Map<string, string>();
  private readonly bindingPrints = new Map<string, string>();

  constructor(kc: KubeConfig, enqueue: (key: string) => void, opts: SourcesOptions = {}) {
    this.enqueue = enqueue;
    const ns = opts.namespace;
    const core = apiClient(kc, CoreV1Api, 60_000);
    const discovery = apiClient(kc, DiscoveryV1Api, 60_000);
    const custom = apiClient(kc, CustomObjectsApi, 60_000);
    const onError = opts.onError;
    const nsPath = (group: string, plural: string) =>
      `${group}${ns ? `/namespaces/${encodeURIComponent(ns)}` : ""}/${plural}`;

    this.bindings = new Informer<GaapListenerBinding>(kc, {
      name: "gaaplistenerbindings",
      path: nsPath(`/apis/${GROUP}/${VERSION}`, PLURAL),
      list: async () =>
        (ns
          ? await custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: ns,
              plural: PLURAL,
            })
          : await custom.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
            })) as KubernetesListObject<GaapListenerBinding>,
      onError,
    });
    this.services = new Informer<V1Service>(kc, {
      name: "services",
      path: nsPath("/api/v1", "services"),
      list: () => (ns ? core.listNamespacedService({ namespace: ns }) : core.listServiceForAllNamespaces()),
      modelType: "V1Service",
      onError,
    });
    this.slices = new Informer<V1EndpointSlice>(kc, {
      name: "endpointslices",
      path: nsPath("/apis/discovery.k8s.io/v1", "endpointslices"),
      labelSelector: SERVICE_NAME_LABEL,
      list: () =>
        ns
          ? discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: SERVICE_NAME_LABEL })
          : discovery.listEndpointSliceForAllNamespaces({ labelSelector: SERVICE_NAME_LABEL }),
      modelType: "V1EndpointSlice",
      onError,
    });
    this.nodes = new Informer<V1Node>(kc, {
      name: "nodes",
      path: "/api/v1/nodes",
      list: () => core.listNode(),
      modelType: "V1Node",
      onError,
    });
    this.pods = new Informer<V1Pod>(kc, {
      name: "pods",
      path: nsPath("/api/v1", "pods"),
      list: () => (ns ? core.listNamespacedPod({ namespace: ns }) : core.listPodForAllNamespaces()),
      modelType: "V1Pod",
      onError,
    });
    this.all = [this.bindings, this.services, this.slices, this.nodes, this.pods] as Informer<never>[];
    this.wire();
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  stop(): void {
    for (const i of this.all) i.stop();
  }

  /** Resolves when every informer has listed successfully once. */
  get synced(): Promise<void> {
    return Promise.all(this.all.map((i) => i.synced)).then(() => undefined);
  }

  isSynced(): boolean {
    return this.all.every((i) => i.isSynced());
  }

  health(): InformerHealth[] {
    return this.all.map((i) => i.health());
  }

  binding(key: string): GaapListenerBinding | undefined {
    const [namespace, name] = key.split("/");
    return this.bindings.get(name as string, namespace);
  }

  bindingKeys(): string[] {
    return this.bindings.list().map(bindingKey);
  }

  /** Bindings not being deleted: the ones whose origins are still wanted. */
  liveBindingKeys(): string[] {
    return this.bindings
      .list()
      .filter((b) => !b.metadata.deletionTimestamp)
      .map(bindingKey);
  }

  /** Every binding naming this listener, in any namespace. */
  bindingsOnListener(listenerId: string): GaapListenerBinding[] {
    return [...(this.byListener.get(listenerId) ?? [])]
      .map((k) => this.binding(k))
      .filter((b): b is GaapListenerBinding => b !== undefined);
  }

  view(b: GaapListenerBinding): ClusterView {
    const ns = b.metadata.namespace as string;
    const svcName = b.spec.serviceRef.name;
    return {
      service: this.services.get(svcName, ns),
      slices: this.slices.list(ns).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === svcName),
      nodes: b.spec.targetType === "Node" ? this.nodes.list() : [],
      pod: (name) => this.pods.get(name, ns),
    };
  }

  private wire(): void {
    this.bindings.on({
      add: (b) => this.bindingChanged(b, false),
      update: (b) => {
        // Status writes (most of them our own) are not a reason to reconcile: only spec and metadata are.
        const key = bindingKey(b);
        const print = bindingPrint(b);
        if (this.bindingPrints.get(key) === print) return;
        this.bindingChanged(b, false);
      },
      delete: (b) => this.bindingChanged(b, true),
    });
    const bySvc = (ns: string | undefined, name: string | undefined) => {
      for (const k of this.byService.get(`${ns}/${name}`) ?? []) this.enqueue(k);
    };
    const svcEvent = (s: V1Service) => bySvc(s.metadata?.namespace, s.metadata?.name);
    this.services.on({ add: svcEvent, update: svcEvent, delete: svcEvent });
    const sliceEvent = (s: V1EndpointSlice) =>
      bySvc(s.metadata?.namespace, s.metadata?.labels?.[SERVICE_NAME_LABEL]);
    this.slices.on({ add: sliceEvent, update: sliceEvent, delete: sliceEvent });
    const nodeEvent = (n: V1Node, gone = false) => {
      const name = n.metadata?.name ?? "";
      const print = gone ? "" : nodePrint(n);
      if (this.nodePrints.get(name) === print) return;
      if (gone) this.nodePrints.delete(name);
      else this.nodePrints.set(name, print);
      for (const [k, idx] of this.indexed) if (idx.node) this.enqueue(k);
    };
    this.nodes.on({
      add: (n) => nodeEvent(n),
      update: (n) => nodeEvent(n),
      delete: (n) => nodeEvent(n, true),
    });
    const podEvent = (p: V1Pod, gone = false) => {
      const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
      if (gone) {
        this.podPrints.delete(key);
        return;
      }
      const print = podPrint(p);
      const before = this.podPrints.get(key);
      this.podPrints.set(key, print);
      // A new pod reaches bindings through its EndpointSlice; only later label or annotation edits come from here.
      if (before === undefined || before === print) return;
      for (const [k, idx] of this.indexed) if (!idx.node && idx.ns === p.metadata?.namespace) this.enqueue(k);
    };
    this.pods.on({ add: (p) => podEvent(p), update: (p) => podEvent(p), delete: (p) => podEvent(p, true) });
  }

  private bindingChanged(b: GaapListenerBinding, gone: boolean): void {
    const key = bindingKey(b);
    if (gone) this.bindingPrints.delete(key);
    else this.bindingPrints.set(key, bindingPrint(b));
    const old = this.indexed.get(key);
    if (old) {
      this.byService.get(old.service)?.delete(key);
      this.byListener.get(old.listener)?.delete(key);
      this.indexed.delete(key);
    }
    if (!gone) {
      const ns = b.metadata.namespace as string;
      const entry = {
        service: `${ns}/${b.spec?.serviceRef?.name}`,
        listener: b.spec?.listenerId,
        node: resolveSpec(b.spec).targetType === "Node",
        ns,
      };
      this.indexed.set(key, entry);
      addTo(this.byService, entry.service, key);
      addTo(this.byListener, entry.listener, key);
    }
    this.enqueue(key);
    // Who holds a listener depends on every binding naming it.
    for (const listener of new Set([old?.listener, b.spec?.listenerId])) {
      for (const k of this.byListener.get(listener as string) ?? []) if (k !== key) this.enqueue(k);
    }
  }
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k) ?? new Set<string>();
  s.add(v);
  m.set(k, s);
}

/** Everything of a binding but its status. */
function bindingPrint(b: GaapListenerBinding): string {
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
function nodePrint(n: V1Node): string {
  return JSON.stringify([
    n.metadata?.labels,
    n.metadata?.annotations?.[WEIGHT_ANNOTATION],
    n.spec?.unschedulable ?? false,
    (n.spec?.taints ?? []).map((t) => t.key),
    (n.status?.addresses ?? []).map((a) => `${a.type}=${a.address}`),
    n.status?.conditions?.find((c) => c.type === "Ready")?.status,
  ]);
}

/** The parts of a Pod a desired set can depend on besides its endpoint: labels and annotations. */
function podPrint(p: V1Pod): string {
  return JSON.stringify([p.metadata?.labels, p.metadata?.annotations]);
}
