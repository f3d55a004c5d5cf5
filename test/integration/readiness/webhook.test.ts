// The pod admission webhook on the real apiserver: a MutatingWebhookConfiguration whose clientConfig.url points at
// the operator on 127.0.0.1 with a caBundle made here. Pods created by a Deployment in an opted-in namespace get the
// gate and the termination hold; a namespace without the label does not; with the operator down, pods are still
// created (failurePolicy Ignore); a rotated certificate is picked up without a restart. And the hold itself: a
// deleted pod gets SIGTERM only after GAAP has let it go.
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateType } from "../../../src/api/types.ts";
import { HOLD_ANNOTATION, INJECT_LABEL } from "../../../src/readiness/mutate.ts";
import { servingCert } from "../../../testenv/certs.ts";
import { SIM, TEST_MAX_GRACE_MS } from "../../../testenv/cluster/kubelet.ts";
import { freePort } from "../../../testenv/net.ts";
import { FAST } from "../../../testenv/operator.ts";
import { loopbackWebhook, loopbackWebhookArgs } from "../../../testenv/webhook.ts";
import { tempNamespace, testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { isReady, podCondition, podsOf } from "../../support/pods.ts";
import { calls, createWeb, gaapSet, L, mergePatch, type Scenario, scenario } from "../../support/scenario.ts";

const GATE = gateType("web");
// The hold the binding asks for: long enough that the removal bind and its task finish inside it on a loaded
// runner (the test asserts the unbind came first), and under the suite's kubelet grace cap (TEST_MAX_GRACE_MS, 5 s)
// with room for the app's exit.
const HOLD_S = 4;

describe("the pod admission webhook", () => {
  let s: Scenario;
  let plain: { name: string; remove: () => Promise<void> };
  let cert: Awaited<ReturnType<typeof servingCert>>;
  let port: number;
  const admission = () => testCluster().kc.makeApiClient(AdmissionregistrationV1Api);
  /** Creates a bare pod labelled app=web and returns it as admitted (after any mutation). */
  const admit = (namespace: string, name: string) =>
    s.c.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name, labels: { app: "web" } },
        spec: { containers: [{ name: "c", image: "example.invalid/c:1" }] },
      },
    });
  const configName = () => `gaap-operator-test-${s.ns}`;
  const webhookConfig = (caPem: string) =>
    loopbackWebhook({ name: configName(), port, caPem, namespaces: [s.ns, plain.name] });

  beforeAll(async () => {
    // deploy.test applies deploy/, whose webhook calls a Service no test may reach: make sure it is gone first.
    await admission()
      .deleteMutatingWebhookConfiguration({ name: "gaap-operator" })
      .catch(() => {});
    await eventually(
      async () => {
        const all = await admission().listMutatingWebhookConfiguration();
        expect(all.items.map((w) => w.metadata?.name)).not.toContain("gaap-operator");
      },
      { what: "deploy/'s webhook gone" },
    );
    cert = await servingCert();
    port = await freePort();
    s = await scenario("webhook", {
      start: false,
      args: [...FAST, ...loopbackWebhookArgs(port, cert.dir), "--webhook-cert-poll", "200ms"],
    });
    plain = await tempNamespace(s.c.core, "webhook-off");
    await s.c.core.patchNamespace(
      { name: s.ns, body: { metadata: { labels: { [INJECT_LABEL.key]: INJECT_LABEL.value } } } },
      mergePatch,
    );
    await admission().createMutatingWebhookConfiguration({ body: webhookConfig(cert.caPem) });
    s.operator.start();
    await eventually(
      () => expect(s.operator.logs().some((l) => l.msg === "serving the admission webhook")).toBe(true),
      {
        what: "webhook serving",
      },
    );
    await s.bindings.create("web", { listenerId: L.wrr, terminationHoldSeconds: HOLD_S });
    // The webhook answers from the operator's cache: pods created before it has seen the binding get no gate.
    await eventually(async () => expect((await s.bindings.get("web"))?.metadata.finalizers).toBeDefined(), {
      what: "binding seen",
    });
  });
  afterAll(async () => {
    await admission()
      .deleteMutatingWebhookConfiguration({ name: configName() })
      .catch(() => {});
    await plain?.remove();
    await s?.close();
  });

  it("gives pods a Deployment creates in an opted-in namespace the gate and the hold, and they go Ready once bound", async () => {
    await createWeb(s, 3, {
      terminationGracePeriodSeconds: 10,
      annotations: { [`${SIM}/exit-after-ms`]: "300" },
    });
    const pods = await eventually(
      async () => {
        const ps = await podsOf(s.c.core, s.ns);
        expect(ps.filter(isReady)).toHaveLength(3);
        return ps;
      },
      { what: "3 pods Ready", timeoutMs: 60_000 },
    );
    for (const p of pods) {
      expect(p.spec?.readinessGates).toEqual([{ conditionType: GATE }]);
      expect(p.spec?.containers[0]?.lifecycle?.preStop).toEqual({ sleep: { seconds: HOLD_S } });
      expect(p.metadata?.annotations?.[HOLD_ANNOTATION]).toBe(
        `${HOLD_S}s, from terminationHoldSeconds; terminationGracePeriodSeconds raised by ${HOLD_S}s, 10s to ${10 + HOLD_S}s`,
      );
      expect(p.spec?.terminationGracePeriodSeconds).toBe(10 + HOLD_S);
      expect(podCondition(p, GATE)).toMatchObject({ status: "True", reason: "Bound" });
    }
    expect((await gaapSet(s, L.wrr)).sort()).toEqual(pods.map((p) => `${p.status?.podIP}:8080`).sort());
  });

  it("holds a deleted pod's exit until GAAP has let it go", async () => {
    // SIGTERM after the hold, and the pod gone 300 ms later (exit-after-ms): both within the suite's grace cap, or
    // the kubelet removes the pod at the cap before the test can see SIGTERM noted.
    expect(HOLD_S * 1000 + 300).toBeLessThan(TEST_MAX_GRACE_MS);
    const [victim] = await podsOf(s.c.core, s.ns);
    const ip = victim?.status?.podIP as string;
    const name = victim?.metadata?.name as string;
    const deletedAt = Date.now();
    await s.c.core.deleteNamespacedPod({ name, namespace: s.ns });
    // The simulator notes when the container got SIGTERM (after the preStop sleep) on the terminating pod.
    const sigtermAt = await eventually(
      async () => {
        const p = await s.c.core.readNamespacedPod({ name, namespace: s.ns });
        const at = Number(p.metadata?.annotations?.[`${SIM}/sigterm-at`]);
        expect(at).toBeGreaterThan(0);
        return at;
      },
      { what: "SIGTERM noted", timeoutMs: 30_000, intervalMs: 50 },
    );
    expect(sigtermAt - deletedAt).toBeGreaterThanOrEqual(HOLD_S * 1000 - 100);
    const removal = calls(s, { action: "BindListenerRealServers" }).find(
      (c) => Date.parse(c.time) >= deletedAt - 1000 && !c.bindSet?.includes(`${ip}:8080`),
    );
    expect(removal, "a bind without the deleted pod").toBeDefined();
    // Unbound (the bind's task over) before the app was told to stop.
    expect(Date.parse(removal?.endTime as string) + 500).toBeLessThanOrEqual(sigtermAt);
  });

  it("leaves pods alone in a namespace without the label", async () => {
    const p = await admit(plain.name, "p");
    expect(p.spec?.readinessGates).toBeUndefined();
    expect(p.spec?.containers[0]?.lifecycle).toBeUndefined();
  });

  it("picks up a rotated certificate without a restart", async () => {
    const loads = () =>
      s.operator.logs().filter((l) => l.msg === "admission webhook certificate loaded").length;
    const before = loads();
    const next = await servingCert(cert.dir);
    await eventually(() => expect(loads()).toBe(before + 1), {
      what: "certificate reloaded",
      timeoutMs: 10_000,
    });
    await admission().patchMutatingWebhookConfiguration(
      { name: configName(), body: { webhooks: [{ ...webhookConfig(next.caPem).webhooks?.[0] }] } },
      mergePatch,
    );
    // The apiserver now trusts only the new CA: a gate on a new pod proves the new certificate is served.
    await eventually(
      async () => {
        const name = `rotated-${Date.now()}`;
        const p = await admit(s.ns, name);
        await s.c.core.deleteNamespacedPod({ name, namespace: s.ns, gracePeriodSeconds: 0 });
        expect(p.spec?.readinessGates).toEqual([{ conditionType: GATE }]);
      },
      { what: "a pod gated through the new certificate", timeoutMs: 15_000, intervalMs: 500 },
    );
  });

  it("with the operator down, pods are still created, without the gate", async () => {
    await s.operator.stop();
    const p = await admit(s.ns, "while-down");
    expect(p.spec?.readinessGates).toBeUndefined();
  });
});
