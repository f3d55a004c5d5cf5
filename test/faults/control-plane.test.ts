// Fault suite: the control plane fails under the operator. kube-apiserver stopped and restarted (every watch
// breaks), etcd restarted. The operator must recover by itself (same process) and never unbind on the way.
// This file runs its own control plane, so stopping it disturbs no other test.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { Bindings } from "../../testenv/bindings.ts";
import { ControlPlane } from "../../testenv/cluster/control-plane.ts";
import { KubeletSimulator, TEST_MAX_GRACE_MS } from "../../testenv/cluster/kubelet.ts";
import { gaapClient } from "../../testenv/gaap.ts";
import { OperatorProcess } from "../../testenv/operator.ts";
import { deployment, service } from "../../testenv/workload.ts";
import { eventually } from "../support/eventually.ts";
import { assertNoAccidentalShrink } from "../support/invariants.ts";
import { L, mergePatch, scenarioState } from "../support/scenario.ts";

describe("control-plane faults", () => {
  let cp: ControlPlane;
  let kubelet: KubeletSimulator;
  let emu: GaapEmulator;
  let op: OperatorProcess;
  const ns = "faults";

  const ready = async () => {
    const slices = await cp
      .kubeConfig()
      .makeApiClient(DiscoveryV1Api)
      .listNamespacedEndpointSlice({ namespace: ns });
    return slices.items
      .flatMap((x) => x.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .map((e) => `${e.addresses[0]}:8080`)
      .sort();
  };
  const bound = async () => {
    const l = await gaapClient(emu.url).DescribeTCPListeners({ ListenerId: L.wrr });
    return (l.ListenerSet?.[0]?.RealServerSet ?? [])
      .map((r) => `${r.RealServerIP}:${r.RealServerPort}`)
      .sort();
  };
  const converged = (count: number) =>
    eventually(
      async () => {
        const want = await ready();
        expect(want).toHaveLength(count);
        expect(await bound()).toEqual(want);
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `${count} origins bound` },
    );
  const scale = (replicas: number) =>
    cp
      .kubeConfig()
      .makeApiClient(AppsV1Api)
      .patchNamespacedDeployment({ name: "web", namespace: ns, body: { spec: { replicas } } }, mergePatch);

  beforeAll(async () => {
    cp = await ControlPlane.start();
    kubelet = new KubeletSimulator(cp.kubeConfig(), {
      nodes: [{ name: "n1" }, { name: "n2" }],
      maxGraceMs: TEST_MAX_GRACE_MS,
    });
    await kubelet.start();
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    await promisify(execFile)(cp.info.kubectl, [
      "--kubeconfig",
      cp.info.kubeconfigPath,
      "apply",
      "-f",
      "crds/",
    ]);
    await promisify(execFile)(cp.info.kubectl, [
      "--kubeconfig",
      cp.info.kubeconfigPath,
      "wait",
      "--for=condition=Established",
      "crd/gaaplistenerbindings.gaap.operator.dev",
    ]);
    emu = await startEmulator({ state: scenarioState() });
    const kc = cp.kubeConfig();
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
    await kc.makeApiClient(CoreV1Api).createNamespacedService({ namespace: ns, body: service("web") });
    await kc
      .makeApiClient(AppsV1Api)
      .createNamespacedDeployment({ namespace: ns, body: deployment("web", 4) });
    await new Bindings(kc, ns).create("web", { listenerId: L.wrr });
    op = new OperatorProcess({ cluster: cp.info, gaapUrl: emu.url, namespace: ns }).start();
    await converged(4);
  }, 180_000);
  afterAll(async () => {
    await op?.close();
    kubelet?.stop();
    await emu?.close();
    await cp?.stop();
  });

  it("kube-apiserver stopped and restarted: watches break, the same process recovers, nothing is unbound", async () => {
    const before = await bound();
    const since = emu.calls.lastSeq;
    const failedWatches = () => op.logs().filter((l) => l.msg === "watch failed; restarting").length;
    const watchesBefore = failedWatches();
    await cp.stopApiserver();
    try {
      // GAAP keeps its set while the apiserver is away, after the operator has seen its watches break.
      await eventually(() => expect(failedWatches()).toBeGreaterThan(watchesBefore), {
        what: "the operator saw its watches break",
      });
      expect(await bound()).toEqual(before);
    } finally {
      // Back even when a check failed, so the next test does not meet a control plane without its apiserver.
      await cp.startApiserver();
    }
    await scale(6);
    await converged(6);
    expect(op.running).toBe(true);
    expect(op.logs().filter((l) => l.msg === "starting")).toHaveLength(1);
    expect(op.logs().some((l) => l.msg === "watch failed; restarting")).toBe(true);
    assertNoAccidentalShrink({ emu }, L.wrr, 50, since);
  });

  it("etcd restarted: the operator rides through it", async () => {
    const since = emu.calls.lastSeq;
    await cp.stopEtcd();
    try {
      // Away long enough that the apiserver noticed.
      await eventually(async () => expect(await cp.apiserverReady()).toBe(false), {
        what: "apiserver not ready",
      });
    } finally {
      await cp.startEtcd();
    }
    await scale(5);
    await converged(5);
    expect(op.running).toBe(true);
    expect(op.logs().filter((l) => l.msg === "starting")).toHaveLength(1);
    assertNoAccidentalShrink({ emu }, L.wrr, 50, since);
    console.log("faults tried: 1 apiserver stop/restart, 1 etcd stop/restart");
  });
});
