// Clients for the shared test control plane, and a namespace per test file.
import { randomBytes } from "node:crypto";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";
import { type ClusterInfo, kubeConfigFor } from "../../testenv/cluster/control-plane.ts";

export interface TestCluster {
  info: ClusterInfo;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  discovery: DiscoveryV1Api;
}

export function testCluster(): TestCluster {
  const info = inject("cluster");
  const kc = kubeConfigFor(info);
  return {
    info,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
  };
}

/** Creates a uniquely named namespace; the returned function deletes it. */
export async function tempNamespace(
  core: CoreV1Api,
  prefix: string,
): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name }).catch(() => {});
    },
  };
}
