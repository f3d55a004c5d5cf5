// A binding on a forwarding rule of an HTTP/HTTPS listener: holds, drift, health, a rule deleted and made again,
// deletion, Node mode, gates, and the reasons a rule cannot be bound.
import { EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateType } from "../../../src/api/types.ts";
import { condition } from "../../../testenv/bindings.ts";
import { SETTLED_MS, TIMING } from "../../../testenv/deadlines.ts";
import { admin } from "../../../testenv/gaap.ts";
import { deployment, service } from "../../../testenv/workload.ts";
import { eventually } from "../../support/eventually.ts";
import { addTestNode } from "../../support/nodes.ts";
import { isReady, podCondition, podsOf } from "../../support/pods.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L,
  L7,
  RULE,
  readyOrigins,
  type Scenario,
  scale,
  scenario,
  untilBound,
} from "../../support/scenario.ts";

import { manualService, origins, setEndpoints } from "./layer7-world.ts";

describe("a binding on a forwarding rule", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("l7");
  });
  afterAll(async () => s?.close());

  /** As a person would: CreateRule answers ListenerHasTask while a rule of the listener binds, so try again. */
  const createRule = (path: string) =>
    eventually(
      () =>
        s.gaap.CreateRule({
          ListenerId: L7.http,
          Domain: L7.domain,
          Path: path,
          RealServerType: "IP",
          Scheduler: "rr",
          HealthCheck: 1,
        }),
      { what: `rule for ${path} created`, timeoutMs: 30_000 },
    );

  it("slows a mass removal on a rule to maxUnbindPercent and empties it only with allowEmpty", async () => {
    const ips = Array.from({ length: 6 }, (_, i) => `198.18.70.${i + 1}`);
    await manualService(s, "mass", ips);
    await s.bindings.create("mass", {
      listenerId: L7.http,
      rule: { domain: L7.domain, path: "/" },
      serviceRef: { name: "mass", port: 80 },
    });
    await eventually(async () => expect(await gaapSet(s, RULE.root)).toEqual(origins(ips)), {
      what: "6 bound",
    });
    const since = s.emu.calls.lastSeq;
    await setEndpoints(s, "mass", ips.slice(0, 2));
    // One bind removes 3 of the 6 (50%); the last waits for the peak of 6 to leave the window.
    await eventually(
      async () => {
        const b = await s.bindings.get("mass");
        expect(condition(b, "Degraded")?.reason).toBe("MassUnbind");
        expect(await gaapSet(s, RULE.root)).toEqual(origins([...ips.slice(0, 2), ips[5] as string]));
        expect(condition(b, "Degraded")?.message).toMatch(
          /removing 1 would leave 2 bound origin\(s\), more than maxUnbindPercent \(50%\) below the recent peak of 6/,
        );
      },
      { what: "MassUnbind, 3 bound", timeoutMs: 60_000 },
    );
    const binds = calls(s, { since, action: "BindRuleRealServers" });
    expect(binds.filter((c) => c.code === "Success").map((c) => (c.bindSet ?? []).length)).toEqual([3]);
    // No endpoints at all: the set stays (EmptyEndpoints) until allowEmpty.
    await s.bindings.patchSpec("mass", { maxUnbindPercent: 100 });
    await eventually(async () => expect(await gaapSet(s, RULE.root)).toEqual(origins(ips.slice(0, 2))));
    await setEndpoints(s, "mass", []);
    await eventually(async () =>
      expect(condition(await s.bindings.get("mass"), "Degraded")?.reason).toBe("EmptyEndpoints"),
    );
    expect(await gaapSet(s, RULE.root)).toEqual(origins(ips.slice(0, 2)));
    await s.bindings.patchSpec("mass", { allowEmpty: true });
    await eventually(async () => expect(await gaapSet(s, RULE.root)).toEqual([]), { what: "emptied" });
    const empties = calls(s, { action: "BindRuleRealServers", ruleId: RULE.root }).filter(
      (c) => (c.bindSet ?? []).length === 0,
    );
    expect(empties).toHaveLength(1);
    await s.bindings.delete("mass");
    await eventually(async () => expect(await s.bindings.get("mass")).toBeUndefined());
  });

  it("repairs drift on a rule and reports it", async () => {
    await createWeb(s, 3);
    await s.bindings.create("web", { listenerId: L7.http, rule: { ruleId: RULE.api } });
    await untilBound(s, RULE.api, 8080, { count: 3 });
    await eventually(async () =>
      expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
    );
    const rule = (await s.gaap.DescribeRulesByRuleIds({ RuleIds: [RULE.api] })).RuleSet?.[0];
    const keep = (rule?.RealServerSet ?? []).slice(1).map((r) => ({
      RealServerId: r.RealServerId as string,
      RealServerIP: r.RealServerIP as string,
      RealServerPort: r.RealServerPort as number,
    }));
    // Someone removes one origin in the console.
    await s.gaap.BindRuleRealServers({ RuleId: RULE.api, RealServerBindSet: keep });
    await eventually(async () => expect(await gaapSet(s, RULE.api)).toHaveLength(2), {
      what: "removal applied",
    });
    await untilBound(s, RULE.api, 8080, { count: 3, timeoutMs: 30_000 });
    const events = s.c.kc.makeApiClient(EventsV1Api);
    await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace: s.ns });
      expect(list.items.some((e) => e.reason === "DriftRepaired" && e.regarding?.name === "web")).toBe(true);
    });
  });

  it("reports the health GAAP's check gives the rule's origins", async () => {
    const [first] = (await readyOrigins(s, 8080)).map((o) => o.split(":")[0] as string);
    for (const [status, unhealthy, health] of [
      [1, 1, "Abnormal"],
      [0, 0, "Normal"],
    ] as const) {
      await admin(s.emu.url, "POST", "health", { ip: first, ruleId: RULE.api, status });
      await eventually(
        async () => {
          const b = await s.bindings.get("web");
          expect(b?.status?.unhealthyCount).toBe(unhealthy);
          expect(b?.status?.rule?.health).toBe(health);
        },
        { what: `rule health ${health}`, timeoutMs: 2 * TIMING.verifyMs + SETTLED_MS },
      );
    }
  });

  it("reports a rule deleted in GAAP, and follows a rule made again for the same domain and path", async () => {
    await s.c.core.createNamespacedService({ namespace: s.ns, body: service("docs") });
    await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment("docs", 1) });
    await createRule("/docs");
    await s.bindings.create("docs", {
      listenerId: L7.http,
      rule: { domain: L7.domain, path: "/docs" },
      serviceRef: { name: "docs", port: 80 },
    });
    const first = await eventually(
      async () => {
        const b = await s.bindings.get("docs");
        expect(condition(b, "Ready")?.status).toBe("True");
        return b?.status?.rule?.ruleId as string;
      },
      { what: "docs bound", timeoutMs: 60_000 },
    );
    await admin(s.emu.url, "POST", "delete-rule", { ruleId: first });
    await admin(s.emu.url, "POST", "delete-rule", { ruleId: RULE.api });
    for (const name of ["docs", "web"]) {
      await eventually(
        async () => {
          const b = await s.bindings.get(name);
          expect(condition(b, "Degraded")?.reason).toBe("RuleNotFound");
          expect(condition(b, "Ready")?.status).toBe("False");
        },
        { what: `${name} RuleNotFound`, timeoutMs: 2 * TIMING.verifyMs + SETTLED_MS },
      );
    }
    const again = await createRule("/docs");
    expect(again.RuleId).not.toBe(first);
    await eventually(
      async () => {
        const b = await s.bindings.get("docs");
        expect(b?.status?.rule?.ruleId).toBe(again.RuleId);
        expect(condition(b, "Ready")?.status).toBe("True");
      },
      { what: "docs on the new rule", timeoutMs: 60_000 },
    );
    expect(await gaapSet(s, again.RuleId as string)).toHaveLength(1);
    // The binding by ID cannot follow: its rule is gone for good. Deleting it does not wait for GAAP.
    await s.bindings.delete("web");
    await eventually(async () => expect(await s.bindings.get("web")).toBeUndefined(), {
      what: "web deleted",
    });
  });

  it("unbinds only its own rule on deletion, and Retain leaves its rule as it is", async () => {
    await s.bindings.create("keep", {
      listenerId: L7.https,
      rule: { ruleId: RULE.secure },
      serviceRef: { name: "docs", port: 80 },
      deletionPolicy: "Retain",
    });
    const kept = await untilBound(s, RULE.secure, 8080, { count: 1, service: "docs" });
    const docsRule = (await s.bindings.get("docs"))?.status?.rule?.ruleId as string;
    const docsSet = await gaapSet(s, docsRule);
    await s.bindings.delete("keep");
    await eventually(async () => expect(await s.bindings.get("keep")).toBeUndefined(), {
      what: "keep deleted",
    });
    expect(await gaapSet(s, RULE.secure)).toEqual(kept);
    await s.bindings.delete("docs");
    await eventually(async () => expect(await s.bindings.get("docs")).toBeUndefined(), {
      what: "docs deleted",
    });
    expect(await gaapSet(s, docsRule)).toEqual([]);
    expect(docsSet).toHaveLength(1);
    // The other rule of the HTTPS listener's channel, and the listener's other rules, untouched.
    expect(await gaapSet(s, RULE.secure)).toEqual(kept);
  });

  it("binds Node mode on a rule: the nodes' addresses with the NodePort", async () => {
    const nodes: string[] = [];
    try {
      for (const idx of [41, 42]) nodes.push((await addTestNode(s.c.core, s.ns, `n${idx}`, idx)).name);
      const nodePort = 30080 + Math.floor(Math.random() * 2000);
      await s.c.core.createNamespacedService({
        namespace: s.ns,
        body: {
          metadata: { name: "edge" },
          spec: {
            type: "NodePort",
            selector: { app: "edge" },
            ports: [{ name: "http", port: 80, targetPort: 8080, nodePort }],
          },
        },
      });
      await s.bindings.create("edge", {
        listenerId: L7.http,
        rule: { ruleId: RULE.node },
        serviceRef: { name: "edge", port: 80 },
        targetType: "Node",
        nodeSelector: { matchLabels: { pool: s.ns } },
      });
      await eventually(
        async () =>
          expect(await gaapSet(s, RULE.node, true)).toEqual([
            `203.0.113.41:${nodePort}/w10`,
            `203.0.113.42:${nodePort}/w10`,
          ]),
        { what: "nodes bound to the rule", timeoutMs: 60_000 },
      );
    } finally {
      for (const n of nodes) await s.c.core.deleteNode({ name: n }).catch(() => {});
    }
  });

  it("gates pods on the rule's applied set", async () => {
    const GATE = gateType("gated");
    await s.bindings.create("gated", {
      listenerId: L7.https,
      rule: { domain: L7.secureDomain, path: "/" },
      serviceRef: { name: "gated", port: 80 },
    });
    await s.c.core.createNamespacedService({ namespace: s.ns, body: service("gated") });
    await s.c.apps.createNamespacedDeployment({
      namespace: s.ns,
      body: deployment("gated", 2, { readinessGates: [GATE] }),
    });
    const pods = await eventually(
      async () => {
        const ps = (await podsOf(s.c.core, s.ns, "gated")).filter((p) => !p.metadata?.deletionTimestamp);
        expect(ps.filter(isReady)).toHaveLength(2);
        return ps;
      },
      { what: "2 gated pods Ready", timeoutMs: 60_000 },
    );
    const held = await gaapSet(s, RULE.secure);
    for (const p of pods) {
      const origin = `${p.status?.podIP}:8080`;
      expect(held).toContain(origin);
      expect(podCondition(p, GATE)).toMatchObject({
        status: "True",
        reason: "Bound",
        message: `rule ${RULE.secure} (${L7.secureDomain}/) of ${L7.https} holds ${origin}`,
      });
    }
  });

  it("reports a rule's domain being changed, and a channel that takes no rule, each with its own reason", async () => {
    await admin(s.emu.url, "POST", "domain", { listenerId: L7.https, domain: L7.secureDomain, status: 1 });
    await scale(s, 3, "gated");
    await eventually(
      async () => {
        const b = await s.bindings.get("gated");
        expect(condition(b, "Synced")).toMatchObject({
          status: "False",
          reason: "FailedOperation_DomainStatusNotInRunning",
        });
        expect(b?.status?.lastError?.code).toBe("FailedOperation.DomainStatusNotInRunning");
      },
      { what: "DomainStatusNotInRunning reported", timeoutMs: 60_000 },
    );
    await admin(s.emu.url, "POST", "faults", {
      faults: [
        {
          action: "BindRuleRealServers",
          ruleId: RULE.secure,
          errorCode: "FailedOperation.NotSupportProxyGroup",
        },
      ],
    });
    await admin(s.emu.url, "POST", "domain", { listenerId: L7.https, domain: L7.secureDomain, status: 0 });
    await eventually(
      async () =>
        expect(condition(await s.bindings.get("gated"), "Degraded")).toMatchObject({
          status: "True",
          reason: "FailedOperation_NotSupportProxyGroup",
        }),
      { what: "NotSupportProxyGroup reported", timeoutMs: 60_000 },
    );
    await admin(s.emu.url, "DELETE", "faults");
    // Both retried: once GAAP takes the bind, the rule follows the pods again.
    await untilBound(s, RULE.secure, 8080, {
      count: 3,
      service: "gated",
      timeoutMs: 2 * TIMING.verifyMs + SETTLED_MS,
    });
  });

  it("reports a rule named on a TCP listener, and an HTTP listener without a rule, as Degraded, binding nothing", async () => {
    const before = s.emu.calls.lastSeq;
    const tcpBefore = await gaapSet(s, L.rr);
    await s.bindings.create("rule-on-tcp", { listenerId: L.rr, rule: { ruleId: RULE.root } });
    await s.bindings.create("no-rule", { listenerId: L7.http });
    const expected = { "rule-on-tcp": "RuleNotApplicable", "no-rule": "RuleRequired" };
    for (const [name, reason] of Object.entries(expected)) {
      await eventually(
        async () => {
          const b = await s.bindings.get(name);
          expect(condition(b, "Degraded")).toMatchObject({ status: "True", reason });
          expect(condition(b, "Ready")?.status).toBe("False");
        },
        { what: `${name} ${reason}`, timeoutMs: 60_000 },
      );
    }
    expect(condition(await s.bindings.get("rule-on-tcp"), "Degraded")?.message).toMatch(
      /is TCP: spec.rule applies only to HTTP\/HTTPS listeners/,
    );
    // Other bindings of this namespace may bind meanwhile; nothing may reach the TCP listener, the rule named on it,
    // or the HTTP listener itself.
    const touches = (c: { action: string; listenerId?: string; ruleId?: string }) =>
      c.action.startsWith("Bind") &&
      (c.listenerId === L.rr || c.ruleId === RULE.root || c.action === "BindListenerRealServers");
    const writes = calls(s, { since: before }).filter(touches);
    expect(writes).toEqual([]);
    expect(await gaapSet(s, L.rr)).toEqual(tcpBefore);
    // Deleting them touches nothing either.
    await s.bindings.delete("rule-on-tcp");
    await s.bindings.delete("no-rule");
    await eventually(async () => {
      expect(await s.bindings.get("rule-on-tcp")).toBeUndefined();
      expect(await s.bindings.get("no-rule")).toBeUndefined();
    });
    expect(calls(s, { since: before }).filter(touches)).toEqual([]);
  });
});
