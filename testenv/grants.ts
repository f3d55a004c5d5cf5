// GaapListenerGrants in tests: cluster-scoped, so every test names its own and deletes it.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { type GaapListenerGrant, GRANT_KIND, GRANT_PLURAL } from "../src/api/grant.ts";
import { GROUP, VERSION } from "../src/api/types.ts";

export class Grants {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async create(name: string, spec: GaapListenerGrant["spec"]): Promise<void> {
    await this.api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: GRANT_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: GRANT_KIND, metadata: { name }, spec },
    });
  }

  async delete(name: string): Promise<void> {
    await this.api
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: GRANT_PLURAL, name })
      .catch((err) => {
        if ((err as { code?: number }).code !== 404) throw err;
      });
  }
}
