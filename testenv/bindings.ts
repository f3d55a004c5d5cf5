// GaapListenerBindings in tests: create, read, delete, and conditions.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  type Condition,
  type ConditionType,
  type GaapListenerBinding,
  type GaapListenerBindingSpec,
  GROUP,
  PLURAL,
  VERSION,
} from "../src/api/types.ts";

export class Bindings {
  private readonly api: CustomObjectsApi;
  private readonly ns: string;

  constructor(kc: KubeConfig, namespace: string) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.ns = namespace;
  }

  async create(
    name: string,
    spec: Partial<GaapListenerBindingSpec> & Pick<GaapListenerBindingSpec, "listenerId">,
    opts: { dryRun?: boolean } = {},
  ): Promise<GaapListenerBinding> {
    return (await this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: this.ns,
      plural: PLURAL,
      ...(opts.dryRun ? { dryRun: "All" } : {}),
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "GaapListenerBinding",
        metadata: { name },
        spec: { serviceRef: { name: "web", port: 80 }, ...spec },
      },
    })) as GaapListenerBinding;
  }

  async list(): Promise<GaapListenerBinding[]> {
    const list = (await this.api.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: this.ns,
      plural: PLURAL,
    })) as { items: GaapListenerBinding[] };
    return list.items;
  }

  async get(name: string): Promise<GaapListenerBinding | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.ns,
        plural: PLURAL,
        name,
      })) as GaapListenerBinding;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async patchSpec(name: string, spec: Partial<GaapListenerBindingSpec>): Promise<void> {
    const { PatchStrategy, setHeaderOptions } = await import("@kubernetes/client-node");
    await this.api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: this.ns, plural: PLURAL, name, body: { spec } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  async delete(name: string): Promise<void> {
    await this.api.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: this.ns,
      plural: PLURAL,
      name,
    });
  }
}

export function condition(b: GaapListenerBinding | undefined, type: ConditionType): Condition | undefined {
  return b?.status?.conditions?.find((c) => c.type === type);
}
