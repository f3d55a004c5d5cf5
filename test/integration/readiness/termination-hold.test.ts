// The termination hold on the real apiserver, through the operator's own webhook: how long a new pod's hold is with
// no history, with the account's only, with its listener's, and after a restart; the grace period raised by it; and a
// hold made too short on purpose, seen in the operator's metrics and as an event on the binding.
import { AdmissionregistrationV1Api, EventsV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOLD_ANNOTATION, INJECT_LABEL } from "../../../src/readiness/mutate.ts";
import { servingCert } from "../../../testenv/certs.ts";
import { admin } from "../../../testenv/gaap.ts";
import { freePort } from "../../../testenv/net.ts";
import { FAST } from "../../../testenv/operator.ts";
import { loopbackWebhook, loopbackWebhookArgs } from "../../../testenv/webhook.ts";
import { deployment, service } from "../../../testenv/workload.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { isReady, podsOf } from "../../support/pods.ts";
import { L, mergePatch, type Scenario, scenario } from "../../support/scenario.ts";

describe("the termination hold's length and the grace period", () => {
  let s: Scenario;
  const admission = () => testCluster().kc.makeApiClient(AdmissionregistrationV1Api);
  const configName = () => `gaap-operator-test-${s.ns}`;
  let seq = 0;
  /** A bare pod labelled app=<app> as the webhook admitted it, deleted at once (only its spec matters here). */
  const admit = async (app: string, grace = 30): Promise<V1Pod> => {
    const name = `${app}-probe-${++seq}`;
    const p = await s.c.core.createNamespacedPod({
      namespace: s.ns,
      body: {
        metadata: { name, labels: { app } },
        spec: {
          terminationGracePeriodSeconds: grace,
          containers: [{ name: "c", image: "example.invalid/c:1" }],
        },
      },
    });
    await s.c.core.deleteNamespacedPod({ name, namespace: s.ns, gracePeriodSeconds: 0 });
    return p;
  };
  const sleepOf = (p: V1Pod) => p.spec?.containers[0]?.lifecycle?.preStop?.sleep?.seconds;
  /**
   * The pod's hold was sized from a task seen on the listener or the account: 3 + 2 x the task + 2, the task taken
   * as at least 5 s (the emulator's are under a second, but a starved machine may see one late).
   */
  const expectSizedFrom = (p: V1Pod, basis: "listener" | "account") => {
    const note = p.metadata?.annotations?.[HOLD_ANNOTATION] ?? "";
    const m = new RegExp(`^(\\d+)s, from the ${basis}'s longest bind task, (\\d+)s(, taken as 5s)?;`).exec(
      note,
    );
    expect(m, note).not.toBeNull();
    const [hold, seen] = [Number(m?.[1]), Number(m?.[2])];
    expect(sleepOf(p)).toBe(hold);
    if (seen <= 5) expect(hold).toBe(15);
    else expect(hold).toBeGreaterThanOrEqual(5 + 2 * (seen - 1));
    expect(hold).toBeLessThanOrEqual(5 + 2 * Math.max(5, seen));
  };
  const webhookServing = () =>
    eventually(
      () =>
        expect(s.operator.logs().filter((l) => l.msg === "serving the admission webhook").length).toBe(
          s.operator.logs().filter((l) => l.msg === "starting").length,
        ),
      { what: "webhook serving" },
    );

  beforeAll(async () => {
    await admission()
      .deleteMutatingWebhookConfiguration({ name: "gaap-operator" })
      .catch(() => {});
    const cert = await servingCert();
    const port = await freePort();
    s = await scenario("hold", {
      start: false,
      args: [...FAST, ...loopbackWebhookArgs(port, cert.dir)],
    });
    await s.c.core.patchNamespace(
      { name: s.ns, body: { metadata: { labels: { [INJECT_LABEL.key]: INJECT_LABEL.value } } } },
      mergePatch,
    );
    await admission().createMutatingWebhookConfiguration({
      body: loopbackWebhook({ name: configName(), port, caPem: cert.caPem, namespaces: [s.ns] }),
    });
    s.operator.start();
    await webhookServing();
    for (const app of ["web", "api"])
      await s.c.core.createNamespacedService({ namespace: s.ns, body: service(app) });
    await s.bindings.create("web", { listenerId: L.wrr });
    await s.bindings.create("api", { listenerId: L.wrr2, serviceRef: { name: "api", port: 80 } });
    await eventually(
      async () => {
        for (const name of ["web", "api"])
          expect((await s.bindings.get(name))?.metadata.finalizers).toBeDefined();
      },
      { what: "bindings seen" },
    );
  });
  afterAll(async () => {
    await admission()
      .deleteMutatingWebhookConfiguration({ name: configName() })
      .catch(() => {});
    await s?.close();
  });

  it("with no bind task seen anywhere: sized for slow GAAP (65 s), and the grace raised by it", async () => {
    const p = await admit("web", 30);
    expect(sleepOf(p)).toBe(65);
    expect(p.spec?.terminationGracePeriodSeconds).toBe(95);
    expect(p.metadata?.annotations?.[HOLD_ANNOTATION]).toBe(
      "65s, from no bind task seen yet: sized for 30s tasks; terminationGracePeriodSeconds raised by 65s, 30s to 95s",
    );
  });

  it("the grace raised by the hold keeps the app's own shutdown time, up to the 600 s bound", async () => {
    const p = await admit("web", 560);
    expect(sleepOf(p)).toBe(65);
    expect(p.spec?.terminationGracePeriodSeconds).toBe(600);
    const long = await admit("web", 900);
    expect(sleepOf(long)).toBe(65);
    expect(long.spec?.terminationGracePeriodSeconds).toBe(900);
  });

  it("with the listener's own history: sized from its longest task", async () => {
    await s.c.apps.createNamespacedDeployment({
      namespace: s.ns,
      body: deployment("web", 2, { terminationGracePeriodSeconds: 10 }),
    });
    await eventually(
      async () =>
        expect((await s.bindings.get("web"))?.status?.listener?.longestTaskSeconds).toBeGreaterThan(0),
      { what: "a task recorded in the binding's status", timeoutMs: 60_000 },
    );
    expectSizedFrom(await admit("web"), "listener");
  });

  it("on a listener with no history of its own: sized from the account's", async () => {
    expectSizedFrom(await admit("api"), "account");
  });

  it("a restarted operator sizes holds from what the statuses recorded, not from a guess", async () => {
    await s.operator.stop();
    s.operator.start();
    await webhookServing();
    await eventually(async () => expectSizedFrom(await admit("api"), "account"), {
      what: "the restarted webhook answering from its synced cache",
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expectSizedFrom(await admit("web"), "listener");
  });

  it("a hold too short on purpose: the late removal in the metrics, and an event naming the hold needed", async () => {
    await s.bindings.patchSpec("web", { terminationHoldSeconds: 1 });
    await eventually(async () => expect(sleepOf(await admit("web"))).toBe(1), {
      what: "the webhook giving the binding's 1 s hold",
      intervalMs: 300,
    });
    // Pods made from now on get the 1 s hold; GAAP takes 3 s to apply a removal.
    await s.c.apps.patchNamespacedDeployment(
      { name: "web", namespace: s.ns, body: { spec: { replicas: 3 } } },
      mergePatch,
    );
    const pods = await eventually(
      async () => {
        const ps = (await podsOf(s.c.core, s.ns)).filter((p) => !p.metadata?.deletionTimestamp);
        expect(ps.filter(isReady)).toHaveLength(3);
        return ps;
      },
      { what: "3 pods Ready", timeoutMs: 60_000 },
    );
    const victim = pods.find((p) => sleepOf(p) === 1);
    expect(victim, "a pod with the 1 s hold").toBeDefined();
    await admin(s.emu.url, "POST", "behavior", { bindTaskMs: 3000 });
    await s.c.core.deleteNamespacedPod({ name: victim?.metadata?.name as string, namespace: s.ns });

    const value = async (name: string) => {
      const body = await (await fetch(`${s.operator.urls()[0]}/metrics`)).text();
      return Number(
        body
          .split("\n")
          .find((l) => l.startsWith(`${name} `))
          ?.split(" ")
          .at(-1),
      );
    };
    await eventually(
      async () => expect(await value("gaap_termination_hold_late_removals_total")).toBeGreaterThanOrEqual(1),
      {
        what: "the late removal counted",
        timeoutMs: 30_000,
      },
    );
    expect(await value("gaap_termination_hold_removals_total")).toBeGreaterThanOrEqual(1);
    // The task alone outlasts the 1 s hold by 2 s; counted from the last read that saw it running, and from a
    // second after the hold's end as the whole-second deletionTimestamp allows: at least about 1 s.
    expect(await value("gaap_termination_hold_overrun_seconds_total")).toBeGreaterThanOrEqual(0.5);

    const events = s.c.kc.makeApiClient(EventsV1Api);
    const note = await eventually(
      async () => {
        const list = await events.listNamespacedEvent({ namespace: s.ns });
        const e = list.items.find(
          (x) => x.reason === "TerminationHoldTooShort" && x.regarding?.name === "web",
        );
        expect(e?.type).toBe("Warning");
        return e?.note as string;
      },
      { what: "TerminationHoldTooShort event", timeoutMs: 15_000 },
    );
    expect(note).toContain(`${victim?.metadata?.name} (${victim?.status?.podIP}:8080, hold 1s)`);
    expect(note).toMatch(/a hold of \d+s would have covered it/);
    const needed = Number(/a hold of (\d+)s/.exec(note)?.[1]);
    expect(needed).toBeGreaterThanOrEqual(3);
    expect(needed).toBeLessThanOrEqual(30);
    await admin(s.emu.url, "POST", "behavior", { bindTaskMs: 500 });
  });
});
