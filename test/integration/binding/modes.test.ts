import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { SIM } from "../../../testenv/cluster/kubelet.ts";
import { deployment } from "../../../testenv/workload.ts";
import { eventually } from "../../support/eventually.ts";
import { addTestNode, setTestNodeStatus, type TestNodeOptions } from "../../support/nodes.ts";
import { gaapSet, L, readyPodIPs, type Scenario, scenario } from "../../support/scenario.ts";

describe("Node mode", () => {
  let s: Scenario;
  const nodes: string[] = [];

  async function addNode(suffix: string, o: TestNodeOptions) {
    const node = await addTestNode(s.c.core, s.ns, suffix, nodes.length + 10, o);
    nodes.push(node.name);
    return node;
  }
  const setNodeStatus = (name: string, idx: number, ready: boolean) =>
    setTestNodeStatus(s.c.core, name, idx, ready);

  beforeAll(async () => {
    s = await scenario("nodes");
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "web" },
        spec: {
          type: "NodePort",
          selector: { app: "web" },
          ports: [
            { name: "http", port: 80, targetPort: 8080, nodePort: 30080 + Math.floor(Math.random() * 2000) },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    for (const n of nodes) await s.c.core.deleteNode({ name: n }).catch(() => {});
    await s?.close();
  });

  it("binds Ready, schedulable nodes' ExternalIP with the NodePort, skipping excluded and deleting ones", async () => {
    const svc = await s.c.core.readNamespacedService({ name: "web", namespace: s.ns });
    const nodePort = svc.spec?.ports?.[0]?.nodePort as number;
    const good = await addNode("a", {});
    const notReady = await addNode("b", { ready: false });
    await addNode("c", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "true" } });
    await addNode("d", { taints: ["ToBeDeletedByClusterAutoscaler"] });
    await addNode("e", { external: false });
    await s.bindings.create("web", {
      listenerId: L.wrr,
      targetType: "Node",
      nodeSelector: { matchLabels: { pool: s.ns } },
    });
    await eventually(async () => expect(await gaapSet(s, L.wrr)).toEqual([`${good.external}:${nodePort}`]), {
      what: "node set",
    });
    const b = await eventually(async () => {
      const b = await s.bindings.get("web");
      expect(condition(b, "Ready")?.status).toBe("True");
      return b;
    });
    // The node without an ExternalIP is named in the status, so nobody needs the logs to find it.
    expect(condition(b, "Ready")?.message).toMatch(/1 node\(s\) without an ExternalIP: .*-e/);

    await setNodeStatus(notReady.name, nodes.indexOf(notReady.name) + 10, true);
    await eventually(
      async () =>
        expect(await gaapSet(s, L.wrr)).toEqual(
          [`${good.external}:${nodePort}`, `${notReady.external}:${nodePort}`].sort(),
        ),
      {
        what: "node became ready",
      },
    );
  });

  it("binds InternalIP when asked (the node without an ExternalIP now counts too)", async () => {
    await s.bindings.patchSpec("web", { nodeAddressType: "InternalIP" });
    await eventually(async () => {
      const set = await gaapSet(s, L.wrr);
      expect(set).toHaveLength(3);
      expect(set.every((x) => x.startsWith("192.0.2."))).toBe(true);
    });
  });

  it("with externalTrafficPolicy Local binds only nodes that run a ready endpoint", async () => {
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "local" },
        spec: {
          type: "NodePort",
          externalTrafficPolicy: "Local",
          selector: { app: "local" },
          ports: [{ name: "http", port: 80, targetPort: 8080 }],
        },
      },
    });
    await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment("local", 1) });
    await s.bindings.create("local", {
      listenerId: L.wrr2,
      targetType: "Node",
      serviceRef: { name: "local", port: "http" },
      nodeSelector: {
        matchExpressions: [
          {
            key: "kubernetes.io/hostname",
            operator: "In",
            values: ["sim-node-1", "sim-node-2", "sim-node-3"],
          },
        ],
      },
    });
    const pods = await eventually(async () => {
      const p = await s.c.core.listNamespacedPod({ namespace: s.ns, labelSelector: "app=local" });
      expect(p.items[0]?.spec?.nodeName).toBeTruthy();
      return p.items;
    });
    const node = await s.c.core.readNode({ name: pods[0]?.spec?.nodeName as string });
    const ext = node.status?.addresses?.find((a) => a.type === "ExternalIP")?.address;
    const svc = await s.c.core.readNamespacedService({ name: "local", namespace: s.ns });
    await eventually(
      async () => expect(await gaapSet(s, L.wrr2)).toEqual([`${ext}:${svc.spec?.ports?.[0]?.nodePort}`]),
      {
        what: "only the pod's node",
      },
    );
  });
});

describe("weights, roles, protocols and public IPs", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("shapes");
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "web" },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    // Pods of two tiers behind one Service: "backup" ones are secondaries, and carry their own weight.
    const main = deployment("web", 2);
    const backup = deployment("backup", 1, {
      labels: { app: "web", tier: "backup" },
      annotations: { "gaap.operator.dev/weight": "3" },
    });
    if (backup.spec) backup.spec.selector = { matchLabels: { app: "web", tier: "backup" } };
    await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: main });
    await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: backup });
    await eventually(async () => expect(await readyPodIPs(s)).toHaveLength(3), { what: "3 ready pods" });
  });
  afterAll(async () => s?.close());

  it("sends master/slave roles and per-pod weights to a failover listener", async () => {
    await s.bindings.create("failover", {
      listenerId: L.failover,
      weight: 40,
      secondarySelector: { matchLabels: { tier: "backup" } },
    });
    await eventually(
      async () => {
        const set = await gaapSet(s, L.failover, true);
        expect(set.filter((x) => x.endsWith("/w40/master"))).toHaveLength(2);
        expect(set.filter((x) => x.endsWith("/w3/slave"))).toHaveLength(1);
      },
      { what: "roles and weights" },
    );
  });

  it("omits weights under rr (GAAP reports 1)", async () => {
    await s.bindings.create("rr", { listenerId: L.rr, weight: 40 });
    await eventually(async () => {
      const set = await gaapSet(s, L.rr, true);
      expect(set).toHaveLength(3);
      expect(set.every((x) => x.endsWith("/w1"))).toBe(true);
    });
    const binds = s.emu.calls.list({ action: "BindListenerRealServers", listenerId: L.rr });
    expect(binds.every((c) => c.code === "Success")).toBe(true);
  });

  it("refuses a TCP Service port on a UDP listener with ProtocolMismatch, and binds a UDP port", async () => {
    await s.bindings.create("mismatch", { listenerId: L.udp });
    const b = await eventually(async () => {
      const b = await s.bindings.get("mismatch");
      expect(condition(b, "Degraded")?.reason).toBe("ProtocolMismatch");
      return b;
    });
    expect(condition(b, "Ready")?.status).toBe("False");
    expect(condition(b, "Degraded")?.message).toMatch(
      /Service port is TCP but listener listener-udp00001 is UDP/,
    );
    expect(await gaapSet(s, L.udp)).toEqual([]);
    // Another binding on the listener would conflict (Exclusive): fix this one instead.
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "dns" },
        spec: {
          selector: { app: "web" },
          ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: 5353 }],
        },
      },
    });
    await s.bindings.patchSpec("mismatch", { serviceRef: { name: "dns", port: 53 } });
    await eventually(
      async () => {
        const set = await gaapSet(s, L.udp);
        expect(set).toHaveLength(3);
        expect(set.every((x) => x.endsWith(":5353"))).toBe(true);
      },
      { what: "UDP set" },
    );
  });

  it("binds each pod's public IP from podAddressAnnotation", async () => {
    await s.c.apps.createNamespacedDeployment({
      namespace: s.ns,
      body: {
        ...deployment("eip", 2, { annotations: { [`${SIM}/public-ip-annotation`]: "example.com/eip" } }),
      },
    });
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "eip" },
        spec: { selector: { app: "eip" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    await s.bindings.create("eip", {
      listenerId: L.wrr,
      serviceRef: { name: "eip", port: 80 },
      podAddressAnnotation: "example.com/eip",
    });
    const pods = await eventually(async () => {
      const p = await s.c.core.listNamespacedPod({ namespace: s.ns, labelSelector: "app=eip" });
      const eips = p.items.map((x) => x.metadata?.annotations?.["example.com/eip"]).filter(Boolean);
      expect(eips).toHaveLength(2);
      return eips as string[];
    });
    await eventually(
      async () => expect(await gaapSet(s, L.wrr)).toEqual(pods.map((ip) => `${ip}:8080`).sort()),
      { what: "public IPs" },
    );
  });
});
