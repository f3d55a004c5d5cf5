// Who may bind which listener, on the real apiserver: the operator runs with --listener-grants=required and serves
// the grant check as a ValidatingWebhookConfiguration (by URL on 127.0.0.1, failurePolicy Fail). Refused at
// admission without a grant; bound with a grant by listener, by namespace selector or by proxy (decided once GAAP
// says which proxy serves the listener); a revoked grant leaves the binding Degraded with nothing unbound and nothing
// new bound, and its deletion leaves GAAP as it is; a restart never flips a granted binding.
import { AdmissionregistrationV1Api, EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateType } from "../../../src/api/types.ts";
import { INJECT_LABEL } from "../../../src/readiness/mutate.ts";
import { condition } from "../../../testenv/bindings.ts";
import { servingCert } from "../../../testenv/certs.ts";
import { Grants } from "../../../testenv/grants.ts";
import { freePort } from "../../../testenv/net.ts";
import { FAST } from "../../../testenv/operator.ts";
import { loopbackGrantWebhook, loopbackWebhook, loopbackWebhookArgs } from "../../../testenv/webhook.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L,
  mergePatch,
  PROXY,
  readyOrigins,
  type Scenario,
  scale,
  scenario,
  untilBound,
} from "../../support/scenario.ts";

describe("listener grants", () => {
  let s: Scenario;
  let grants: Grants;
  const made: string[] = [];
  const grant = async (suffix: string, spec: Parameters<Grants["create"]>[1]) => {
    const name = `${s.ns}-${suffix}`;
    made.push(name);
    await grants.create(name, spec);
    return name;
  };
  const admission = () => testCluster().kc.makeApiClient(AdmissionregistrationV1Api);
  const webhookName = () => `gaap-operator-grants-${s.ns}`;
  const refusal = async (p: Promise<unknown>) =>
    p.then(
      () => "admitted",
      (err: { code?: number; body?: string }) => `${err.code}: ${err.body}`,
    );
  const notPermitted = (name: string) =>
    eventually(
      async () => {
        const b = await s.bindings.get(name);
        expect(condition(b, "Degraded")).toMatchObject({ status: "True", reason: "NotPermitted" });
        expect(condition(b, "Ready")).toMatchObject({ status: "False", reason: "NotPermitted" });
        return b;
      },
      { what: `${name} NotPermitted` },
    );

  beforeAll(async () => {
    grants = new Grants(testCluster().kc);
    const cert = await servingCert();
    const port = await freePort();
    s = await scenario("grants", {
      start: false,
      args: [...FAST, "--listener-grants", "required", ...loopbackWebhookArgs(port, cert.dir)],
    });
    await admission().createValidatingWebhookConfiguration({
      body: loopbackGrantWebhook({ name: webhookName(), port, caPem: cert.caPem, namespaces: [s.ns] }),
    });
    // The pod webhook too: a pod is gated only on bindings a grant covers.
    await s.c.core.patchNamespace(
      { name: s.ns, body: { metadata: { labels: { [INJECT_LABEL.key]: INJECT_LABEL.value } } } },
      mergePatch,
    );
    await admission().createMutatingWebhookConfiguration({
      body: loopbackWebhook({ name: webhookName(), port, caPem: cert.caPem, namespaces: [s.ns] }),
    });
    s.operator.start();
    // The apiserver calls a new webhook configuration only once its own cache has it: until a dry run is refused.
    await eventually(
      async () =>
        expect(await refusal(s.bindings.create("probe", { listenerId: L.wrr }, { dryRun: true }))).toMatch(
          /^403: /,
        ),
      { what: "the grant webhook answering" },
    );
    await createWeb(s, 2);
  });
  afterAll(async () => {
    await admission()
      .deleteValidatingWebhookConfiguration({ name: webhookName() })
      .catch(() => {});
    await admission()
      .deleteMutatingWebhookConfiguration({ name: webhookName() })
      .catch(() => {});
    for (const name of made) await grants.delete(name);
    await s?.close();
  });

  it("refuses a binding no grant covers at admission, naming the namespace and the listener", async () => {
    const answer = await refusal(s.bindings.create("web", { listenerId: L.wrr }));
    expect(answer).toMatch(/^403: /);
    expect(answer).toContain(`no GaapListenerGrant lets namespace ${s.ns} bind listener ${L.wrr}`);
    expect(await s.bindings.get("web")).toBeUndefined();
    expect(calls(s, { listenerId: L.wrr })).toEqual([]);
  });

  it("binds once a grant names the namespace and the listener", async () => {
    await grant("wrr", { namespaces: [s.ns], targets: [{ listenerId: L.wrr }] });
    // The webhook answers from the operator's cache, which sees the grant a moment after it is created.
    await eventually(
      async () => expect(await refusal(s.bindings.create("web", { listenerId: L.wrr }))).toBe("admitted"),
      {
        what: "admitted",
      },
    );
    await untilBound(s, L.wrr, 8080, { count: 2 });
  });

  it("binds under a grant by namespace selector", async () => {
    const tenant = `t-${s.ns}`.slice(0, 63);
    await s.c.core.patchNamespace({ name: s.ns, body: { metadata: { labels: { tenant } } } }, mergePatch);
    await grant("selector", {
      namespaceSelector: { matchLabels: { tenant } },
      targets: [{ listenerId: L.rr }],
    });
    await eventually(
      async () => expect(await refusal(s.bindings.create("web-rr", { listenerId: L.rr }))).toBe("admitted"),
      {
        what: "admitted",
      },
    );
    await untilBound(s, L.rr, 8080, { count: 2 });
  });

  it("decides a grant by proxy when GAAP names the listener's proxy: another proxy's grant binds nothing", async () => {
    const name = await grant("proxy", { namespaces: [s.ns], targets: [{ proxyId: "link-another1" }] });
    // Admission cannot tell a listener's proxy: admitted (with a warning), then refused by the reconciler.
    await eventually(
      async () =>
        expect(await refusal(s.bindings.create("web-fo", { listenerId: L.failover }))).toBe("admitted"),
      { what: "admitted" },
    );
    const b = await notPermitted("web-fo");
    expect(condition(b, "Degraded")?.message).toContain(
      `no GaapListenerGrant lets namespace ${s.ns} bind listener ${L.failover}`,
    );
    expect(calls(s, { action: "BindListenerRealServers", listenerId: L.failover })).toEqual([]);
    await grants.delete(name);
    const proxy = await grant("proxy2", { namespaces: [s.ns], targets: [{ proxyId: PROXY }] });
    await untilBound(s, L.failover, 8080, { count: 2 });
    // It covers every listener of the proxy: gone, so that the tests below revoke what they mean to.
    await grants.delete(proxy);
    await notPermitted("web-fo");
  });

  it("a revoked grant: Degraded, nothing unbound, nothing new bound; granted again, it binds again", async () => {
    const before = await gaapSet(s, L.wrr);
    const since = s.emu.calls.lastSeq;
    await grants.delete(`${s.ns}-wrr`);
    await notPermitted("web");
    await scale(s, 3);
    // web-rr (still granted) binds the third pod: the operator has seen it, and web bound nothing new.
    await untilBound(s, L.rr, 8080, { count: 3 });
    expect(await gaapSet(s, L.wrr)).toEqual(before);
    expect(calls(s, { since, action: "BindListenerRealServers", listenerId: L.wrr })).toEqual([]);
    await grant("wrr-again", { namespaces: [s.ns], targets: [{ listenerId: L.wrr }] });
    await untilBound(s, L.wrr, 8080, { count: 3 });
    await eventually(
      async () => expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
      {
        what: "web Ready",
      },
    );
  });

  it("a restart with the grants in place never turns a granted binding NotPermitted", async () => {
    const readySince = condition(await s.bindings.get("web-rr"), "Ready")?.lastTransitionTime;
    expect(readySince).toBeDefined();
    await s.operator.stop();
    const since = s.emu.calls.lastSeq;
    s.operator.start();
    // The restarted operator has read the listener (its first pass on web-rr), and found it in sync.
    await eventually(
      () => expect(calls(s, { since, action: "DescribeTCPListeners" }).length).toBeGreaterThan(0),
      { what: "listeners read after the restart" },
    );
    await untilBound(s, L.rr, 8080, { count: 3 });
    const b = await s.bindings.get("web-rr");
    expect(condition(b, "Ready")).toMatchObject({ status: "True", lastTransitionTime: readySince });
    expect(condition(b, "Degraded")?.status).not.toBe("True");
  });

  it("admits edits of a binding whose grant is gone, and its deletion leaves GAAP exactly as it is", async () => {
    const before = await gaapSet(s, L.wrr);
    expect(before).toEqual(await readyOrigins(s, 8080));
    for (const name of made.filter((n) => n.endsWith("wrr-again"))) await grants.delete(name);
    await notPermitted("web");
    // A new pod of the Service is gated on web-rr (granted), not on web or web-fo (no grant: they bind nothing).
    const pod = await s.c.core.createNamespacedPod({
      namespace: s.ns,
      body: {
        metadata: { name: "gated-probe", labels: { app: "web" } },
        spec: { containers: [{ name: "c", image: "example.invalid/c:1" }] },
      },
    });
    await s.c.core.deleteNamespacedPod({ namespace: s.ns, name: "gated-probe", gracePeriodSeconds: 0 });
    expect(pod.spec?.readinessGates).toEqual([{ conditionType: gateType("web-rr") }]);
    const since = s.emu.calls.lastSeq;
    await s.bindings.patchSpec("web", { weight: 5 });
    await s.bindings.delete("web");
    await eventually(async () => expect(await s.bindings.get("web")).toBeUndefined(), {
      what: "web deleted",
    });
    expect(await gaapSet(s, L.wrr)).toEqual(before);
    expect(calls(s, { since, action: "BindListenerRealServers", listenerId: L.wrr })).toEqual([]);
    const events = s.c.kc.makeApiClient(EventsV1Api);
    await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace: s.ns });
      const e = list.items.find((x) => x.reason === "NotPermitted" && x.regarding?.name === "web");
      expect(e?.note).toContain("GAAP left as it is, nothing unbound");
    });
  });
});
