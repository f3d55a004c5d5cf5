// InformerSet: the resilient informers the operator watches (GaapListenerBindings, Services, EndpointSlices,
// Nodes, Pods, and with grants required GaapListenerGrants and Namespaces), each with its list call and watch path,
// optionally confined to one namespace, and started, stopped and health-checked together.

import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Namespace,
  type V1Node,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import { type GaapListenerGrant, GRANT_PLURAL } from "../api/grant.ts";
import { type GaapListenerBinding, GROUP, PLURAL, VERSION } from "../api/types.ts";
import { apiClient } from "../kube/client.ts";
import { Informer, type InformerHealth, type InformerOptions } from "./informer.ts";
import { SERVICE_NAME_LABEL } from "./labels.ts";
import { trimNamespace, trimNode, trimObject, trimPod } from "./trim.ts";

export interface InformerSetOptions {
  /** Watch one namespace only (Nodes are always cluster-wide). */
  namespace?: string;
  /** Watch GaapListenerGrants and Namespaces too (--listener-grants=required). */
  grants?: boolean;
  onError?: (informer: string, err: unknown) => void;
}

export class InformerSet {
  readonly bindings: Informer<GaapListenerBinding>;
  readonly services: Informer<V1Service>;
  readonly slices: Informer<V1EndpointSlice>;
  readonly nodes: Informer<V1Node>;
  readonly pods: Informer<V1Pod>;
  readonly grants: Informer<GaapListenerGrant> | undefined;
  readonly namespaces: Informer<V1Namespace> | undefined;
  private readonly all: Array<
    Pick<Informer<KubernetesObject>, "start" | "stop" | "synced" | "isSynced" | "health">
  >;

  constructor(kc: KubeConfig, opts: InformerSetOptions = {}) {
    const ns = opts.namespace;
    const core = apiClient(kc, CoreV1Api, 60_000);
    const discovery = apiClient(kc, DiscoveryV1Api, 60_000);
    const custom = apiClient(kc, CustomObjectsApi, 60_000);
    const onError = opts.onError;
    const nsPath = (group: string, plural: string) =>
      `${group}${ns ? `/namespaces/${encodeURIComponent(ns)}` : ""}/${plural}`;

    // Every informer reports its failures the same way; only the slices add a selector.
    const make = <T extends KubernetesObject>(
      name: string,
      path: string,
      modelType: string | undefined,
      list: () => Promise<KubernetesListObject<T>>,
      more: Partial<InformerOptions<T>> = {},
    ) =>
      new Informer<T>(kc, {
        name,
        path,
        list,
        ...(modelType ? { modelType } : {}),
        onError,
        transform: trimObject,
        ...more,
      });

    this.bindings = make<GaapListenerBinding>(
      "gaaplistenerbindings",
      nsPath(`/apis/${GROUP}/${VERSION}`, PLURAL),
      undefined,
      async () =>
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
    );
    this.services = make<V1Service>("services", nsPath("/api/v1", "services"), "V1Service", () =>
      ns ? core.listNamespacedService({ namespace: ns }) : core.listServiceForAllNamespaces(),
    );
    this.slices = make<V1EndpointSlice>(
      "endpointslices",
      nsPath("/apis/discovery.k8s.io/v1", "endpointslices"),
      "V1EndpointSlice",
      () =>
        ns
          ? discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: SERVICE_NAME_LABEL })
          : discovery.listEndpointSliceForAllNamespaces({ labelSelector: SERVICE_NAME_LABEL }),
      // Slices without the label belong to no Service, so no binding can read them.
      { labelSelector: SERVICE_NAME_LABEL },
    );
    this.nodes = make<V1Node>("nodes", "/api/v1/nodes", "V1Node", () => core.listNode(), {
      transform: trimNode,
    });
    this.pods = make<V1Pod>(
      "pods",
      nsPath("/api/v1", "pods"),
      "V1Pod",
      () => (ns ? core.listNamespacedPod({ namespace: ns }) : core.listPodForAllNamespaces()),
      { transform: trimPod },
    );
    if (opts.grants) {
      this.grants = make<GaapListenerGrant>(
        "gaaplistenergrants",
        `/apis/${GROUP}/${VERSION}/${GRANT_PLURAL}`,
        undefined,
        async () =>
          (await custom.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: GRANT_PLURAL,
          })) as KubernetesListObject<GaapListenerGrant>,
      );
      // Their labels, for grants by namespace selector: of the one watched namespace, or of all.
      const only = ns ? { fieldSelector: `metadata.name=${ns}` } : {};
      this.namespaces = make<V1Namespace>(
        "namespaces",
        "/api/v1/namespaces",
        "V1Namespace",
        () => core.listNamespace(only),
        { transform: trimNamespace, ...only },
      );
    }
    this.all = [this.bindings, this.services, this.slices, this.nodes, this.pods];
    if (this.grants && this.namespaces) this.all.push(this.grants, this.namespaces);
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
}
