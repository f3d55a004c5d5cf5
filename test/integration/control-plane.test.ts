// Proof that the test control plane is the real thing: real Deployments, ReplicaSets, Pods, the real
// EndpointSlice controller, driven only through @kubernetes/client-node.
import { PatchStrategy, setHeaderOptions, type V1EndpointSlice } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, service } from "../../testenv/workload.ts";
import { type TestCluster, tempNamespace, testCluster } from "../support/cluster.ts";
import { eventually } from "../support/eventually.ts";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("local control plane", () => {
  let c: TestCluster;
  let ns: { name: string; remove: () => Promise<void> };

  beforeAll(async () => {
    c = testCluster();
    ns = await tempNamespace(c.core, "cp");
  });
  afterAll(async () => ns?.remove());

  async function endpoints(): Promise<NonNullable<V1EndpointSlice["endpoints"]>> {
    const slices = await c.discovery.listNamespacedEndpointSlice({
      namespace: ns.name,
      labelSelector: "kubernetes.io/service-name=web",
    });
    return slices.items.flatMap((s) => s.endpoints ?? []);
  }

  const readyIPs = async () =>
    (await endpoints())
      .filter((e) => e.conditions?.ready)
      .flatMap((e) => e.addresses)
      .sort();

  it("serves the API over TLS with the CA it wrote into the kubeconfig", async () => {
    const names = (await c.core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toContain("kube-system");
    expect(names).toContain(ns.name);
  });

  it("registers simulated nodes with both address types and a Ready condition", async () => {
    const nodes = (await c.core.listNode()).items.filter((n) => n.metadata?.name?.startsWith("sim-node-"));
    expect(nodes).toHaveLength(3);
    for (const n of nodes) {
      const types = (n.status?.addresses ?? []).map((a) => a.type).sort();
      expect(types).toEqual(["ExternalIP", "Hostname", "InternalIP"]);
      expect(n.status?.conditions?.find((x) => x.type === "Ready")?.status).toBe("True");
    }
  });

  it("turns a 3-replica Deployment behind a Service into an EndpointSlice with 3 ready endpoints", async () => {
    await c.core.createNamespacedService({ namespace: ns.name, body: service("web") });
    await c.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: deployment("web", 3, { terminationGracePeriodSeconds: 2 }),
    });
    const ips = await eventually(
      async () => {
        const ready = await readyIPs();
        expect(ready).toHaveLength(3);
        return ready;
      },
      { timeoutMs: 60_000, what: "3 ready endpoints" },
    );
    for (const ip of ips) expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
    const slices = await c.discovery.listNamespacedEndpointSlice({
      namespace: ns.name,
      labelSelector: "kubernetes.io/service-name=web",
    });
    // The real EndpointSlice controller resolved the named target port.
    expect(slices.items[0]?.ports?.[0]?.port).toBe(8080);
    expect(slices.items[0]?.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"]).toBe(
      "endpointslice-controller.k8s.io",
    );
  });

  it("follows scaling to 5 and then to 1", async () => {
    for (const replicas of [5, 1]) {
      await c.apps.patchNamespacedDeployment(
        { name: "web", namespace: ns.name, body: { spec: { replicas } } },
        mergePatch,
      );
      await eventually(
        async () => {
          const eps = await endpoints();
          // Scaled-down pods terminate first, then vanish: wait until only the survivors remain.
          expect(eps.filter((e) => e.conditions?.ready)).toHaveLength(replicas);
          expect(eps).toHaveLength(replicas);
        },
        { timeoutMs: 60_000, what: `${replicas} endpoints` },
      );
    }
  });

  it("shows a deleted pod as a terminating endpoint that then disappears", async () => {
    const pods = await c.core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=web" });
    const pod = pods.items.find((p) => !p.metadata?.deletionTimestamp);
    const ip = pod?.status?.podIP as string;
    expect(ip).toBeTruthy();
    await c.core.deleteNamespacedPod({ name: pod?.metadata?.name as string, namespace: ns.name });
    await eventually(
      async () => {
        const ep = (await endpoints()).find((e) => e.addresses.includes(ip));
        expect(ep?.conditions?.terminating).toBe(true);
        expect(ep?.conditions?.ready).toBe(false);
      },
      { timeoutMs: 30_000, what: "terminating endpoint" },
    );
    await eventually(
      async () => {
        expect((await endpoints()).some((e) => e.addresses.includes(ip))).toBe(false);
        // The ReplicaSet replaced the pod with a new ready one.
        expect(await readyIPs()).toHaveLength(1);
      },
      { timeoutMs: 30_000, what: "terminated endpoint removed" },
    );
  });
});
