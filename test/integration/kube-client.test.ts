// The operator's Kubernetes API clients on the real apiserver, through a loopback TCP proxy that counts the
// connections: calls share one connection pool instead of opening a TLS connection each (client-node's default).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, loadKubeConfig } from "../../src/kube/client.ts";
import { kubeconfigYaml } from "../../testenv/cluster/control-plane.ts";
import { testCluster } from "../support/cluster.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";

describe("Kubernetes API clients", () => {
  let proxy: TcpProxy;
  let kubeconfig: string;
  beforeAll(async () => {
    const c = testCluster();
    proxy = new TcpProxy(Number(new URL(c.info.server).port));
    await proxy.listen();
    kubeconfig = join(c.info.dir, `counting-${process.pid}.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigYaml({ ...c.info, server: `https://127.0.0.1:${proxy.port}` }));
  });
  afterAll(async () => proxy?.close());

  it("reuse connections across calls and across API groups: no more than the calls in flight at once", async () => {
    const kc = loadKubeConfig(kubeconfig);
    const core = apiClient(kc, CoreV1Api);
    const discovery = apiClient(kc, DiscoveryV1Api);
    const before = proxy.accepted;
    const inFlight = 5;
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: inFlight }, (_, i) =>
          i % 2 === 0 ? core.listNamespace() : discovery.listEndpointSliceForAllNamespaces({ limit: 1 }),
        ),
      );
    }
    // 40 calls; client-node alone opens one TLS connection per call.
    expect(proxy.accepted - before).toBeGreaterThan(0);
    expect(proxy.accepted - before).toBeLessThanOrEqual(inFlight);
  });
});
