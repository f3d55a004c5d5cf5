// Forwarding rules of HTTP/HTTPS listeners in the pure steps: which binding writes which rule, a rule's reading
// into the origin set a binding writes (BindStatus and RealServerStatus decoded the right way round), the plan's
// holds for a rule named on the wrong kind of listener, the status a rule's pass writes, and the gates' words.
import type { RuleInfo } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { describe, expect, it } from "vitest";
import {
  type GaapListenerBinding,
  type GaapListenerBindingSpec,
  type GaapListenerBindingStatus,
  resolveSpec,
} from "../../../../src/api/types.ts";
import type { Desired, Origin } from "../../../../src/binding/logic/desired.ts";
import { holderOf, onSameTarget, ruleIdentity } from "../../../../src/binding/logic/ownership.ts";
import { plan, planRelease } from "../../../../src/binding/logic/plan.ts";
import { composeStatus } from "../../../../src/binding/logic/status.ts";
import { targetQuery } from "../../../../src/binding/logic/target-query.ts";
import { toRuleTarget } from "../../../../src/gaap/convert.ts";
import type { BoundOrigin, TargetState } from "../../../../src/gaap/types.ts";
import { gateState } from "../../../../src/readiness/gates.ts";
import { listenerState } from "../../fixtures.ts";

const http = listenerState({ listenerId: "listener-h", protocol: "HTTP", port: 8000, scheduler: "" });

const info = (extra: Partial<RuleInfo> = {}): RuleInfo => ({
  RuleId: "rule-a",
  ListenerId: "listener-h",
  Domain: "www.example.com",
  Path: "/api",
  RealServerType: "IP",
  Scheduler: "wrr",
  HealthCheck: 1,
  RuleStatus: 0,
  BindStatus: 1,
  RealServerSet: [],
  ...extra,
});

const bound = (n: number, health = 0): BoundOrigin => ({
  realServerId: `rs-${n}`,
  ip: `10.0.0.${n}`,
  port: 8080,
  weight: 10,
  health,
});
const wire = (o: BoundOrigin) => ({
  RealServerId: o.realServerId,
  RealServerIP: o.ip,
  RealServerPort: o.port,
  RealServerWeight: o.weight,
  RealServerStatus: o.health,
});

describe("a rule read as the set a binding writes (toRuleTarget)", () => {
  it("takes the rule's scheduler, health check, origins and status, on its listener", () => {
    const t = toRuleTarget(http, info({ RealServerSet: [wire(bound(1))] }), []);
    expect(t).toMatchObject({
      listenerId: "listener-h",
      protocol: "HTTP",
      port: 8000,
      scheduler: "wrr",
      failoverSwitch: 0,
      healthCheck: true,
      status: 0,
      rule: { ruleId: "rule-a", domain: "www.example.com", path: "/api", status: 0, healthy: true },
    });
    expect(t.bound).toEqual([bound(1)]);
  });

  it("decodes BindStatus (0 abnormal) and RealServerStatus (1 abnormal) each its own way", () => {
    const sick = toRuleTarget(
      http,
      info({ BindStatus: 0, RealServerSet: [wire(bound(1, 1)), wire(bound(2))] }),
      [],
    );
    expect(sick.rule?.healthy).toBe(false);
    expect(sick.bound.map((o) => o.health)).toEqual([1, 0]);
    const well = toRuleTarget(http, info({ BindStatus: 1, RealServerSet: [wire(bound(1))] }), []);
    expect(well.rule?.healthy).toBe(true);
    expect(well.bound[0]?.health).toBe(0);
  });

  it.each([
    {
      name: "its own task",
      rule: { RuleStatus: 3 },
      siblings: [],
      listener: 0,
      status: 3,
      busyWith: undefined,
    },
    {
      name: "a sibling rule's task",
      rule: {},
      siblings: [info({ RuleId: "rule-b", RuleStatus: 3 })],
      listener: 0,
      status: 3,
      busyWith: "a task on its rule rule-b",
    },
    {
      name: "an idle sibling",
      rule: {},
      siblings: [info({ RuleId: "rule-b", RuleStatus: 0 })],
      listener: 0,
      status: 0,
      busyWith: undefined,
    },
    {
      name: "the listener's own task",
      rule: {},
      siblings: [],
      listener: 4,
      status: 4,
      busyWith: "the listener's own task",
    },
    {
      name: "itself read again among the siblings",
      rule: { RuleStatus: 0 },
      siblings: [info({ RuleStatus: 3 })],
      listener: 0,
      status: 0,
      busyWith: undefined,
    },
  ])("waits for $name", ({ rule, siblings, listener, status, busyWith }) => {
    const t = toRuleTarget({ ...http, status: listener }, info(rule), siblings);
    expect(t.status).toBe(status);
    expect(t.busyWith).toBe(busyWith);
  });
});

const spec = (s: Partial<GaapListenerBindingSpec> = {}) =>
  resolveSpec({ listenerId: "listener-h", serviceRef: { name: "web", port: 80 }, ...s });
const origin = (n: number): Origin => ({
  ip: `10.0.0.${n}`,
  port: 8080,
  weight: 10,
  secondary: false,
  ready: true,
});
const desired = (...origins: Origin[]): Desired => ({ ok: true, origins, protocol: "TCP", notes: [] });
const ruleTarget = (extra: Partial<TargetState> = {}): TargetState => ({
  ...toRuleTarget(http, info(), []),
  ...extra,
});
const ids = new Map([1, 2, 3].map((n) => [`10.0.0.${n}`, `rs-${n}`]));

describe("plan on forwarding rules", () => {
  const run = (s: ReturnType<typeof spec>, l: TargetState, d: Desired = desired(origin(1))) =>
    plan({ spec: s, desired: d, target: l, owned: new Set(), originIds: ids, maxOrigins: 100 });

  it("holds RuleNotApplicable for a rule named on a TCP listener, and claims none of its origins", () => {
    const tcp = listenerState({ bound: [bound(9)] });
    const p = run(spec({ rule: { ruleId: "rule-a" } }), tcp);
    expect(p).toMatchObject({ kind: "hold", reason: "RuleNotApplicable" });
    expect(p.kind === "hold" && p.message).toMatch(/is TCP: spec.rule applies only to HTTP\/HTTPS/);
    // Deleting such a binding must never unbind the TCP listener's origins, even under Exclusive.
    expect(planRelease(spec({ rule: { ruleId: "rule-a" } }), tcp, new Set(["10.0.0.9:8080"]))).toEqual({
      kind: "inSync",
      owned: [],
    });
  });

  it("holds RuleRequired for an HTTP or HTTPS listener without a rule, before waiting on its status", () => {
    const p = run(spec(), { ...http, status: 3 });
    expect(p).toMatchObject({ kind: "hold", reason: "RuleRequired" });
    expect(p.kind === "hold" && p.message).toMatch(/set spec.rule \(ruleId, or domain and path\)/);
    expect(run(spec(), { ...http, protocol: "HTTPS" })).toMatchObject({
      kind: "hold",
      reason: "RuleRequired",
    });
  });

  it("binds a TCP Service port to a rule, and refuses a UDP one", () => {
    const p = run(spec({ rule: { ruleId: "rule-a" } }), ruleTarget());
    expect(p).toMatchObject({ kind: "bind", change: { added: 1, removed: 0, updated: 0 } });
    // wrr on the rule: weights are sent.
    expect(p.kind === "bind" && p.set).toEqual([
      { ip: "10.0.0.1", port: 8080, weight: 10, realServerId: "rs-1" },
    ]);
    const udp: Desired = { ok: true, origins: [origin(1)], protocol: "UDP", notes: [] };
    const q = run(spec({ rule: { ruleId: "rule-a" } }), ruleTarget(), udp);
    expect(q).toMatchObject({ kind: "hold", reason: "ProtocolMismatch" });
    expect(q.kind === "hold" && q.message).toMatch(/is HTTP \(over TCP\)/);
  });

  it("waits while a sibling rule's task holds the listener, and says which", () => {
    const t = toRuleTarget(http, info(), [info({ RuleId: "rule-b", RuleStatus: 3 })]);
    const p = run(spec({ rule: { ruleId: "rule-a" } }), t);
    expect(p).toEqual({
      kind: "wait",
      reason: "ListenerBusy",
      message: "a task on its rule rule-b (status 3); rule writes on listener-h wait for it",
    });
  });

  it("keeps the breaker and the empty-set rule on a rule", () => {
    const three = ruleTarget({ bound: [bound(1), bound(2), bound(3)] });
    // 2 of 3 would go: 1 does, the other is held back.
    expect(run(spec({ rule: { ruleId: "rule-a" } }), three)).toMatchObject({
      kind: "bind",
      change: { added: 0, removed: 1, updated: 0 },
      held: { removals: 1 },
    });
    expect(run(spec({ rule: { ruleId: "rule-a" } }), three, desired())).toMatchObject({
      kind: "hold",
      reason: "EmptyEndpoints",
    });
    expect(run(spec({ rule: { ruleId: "rule-a" }, allowEmpty: true }), three, desired())).toMatchObject({
      kind: "bind",
      set: [],
    });
  });

  it("names the rule's limit when its origins do not fit", () => {
    const many = desired(...Array.from({ length: 3 }, (_, i) => origin(i + 1)));
    const p = plan({
      spec: spec({ rule: { ruleId: "rule-a" } }),
      desired: many,
      target: ruleTarget(),
      owned: new Set(),
      originIds: ids,
      maxOrigins: 2,
    });
    expect(p).toMatchObject({ kind: "hold", reason: "TooManyOrigins" });
    expect(p.kind === "hold" && p.message).toMatch(/exceed the rule's limit of 2/);
  });
});

const binding = (
  name: string,
  rule: GaapListenerBindingSpec["rule"],
  status?: GaapListenerBindingStatus,
  created = "2026-01-01",
): GaapListenerBinding => ({
  metadata: { namespace: "a", name, creationTimestamp: created as unknown as Date },
  spec: { listenerId: "listener-h", serviceRef: { name: "web", port: 80 }, ...(rule ? { rule } : {}) },
  ...(status ? { status } : {}),
});
const resolved = (ruleId: string, domain: string, path: string): GaapListenerBindingStatus => ({
  rule: { ruleId, domain, path, scheduler: "rr", status: 0, healthCheck: false, health: "Normal" },
});

describe("which bindings write the same rule (onSameTarget)", () => {
  const byId = binding("by-id", { ruleId: "rule-a" }, undefined, "2026-01-01");
  const byRoute = binding("by-route", { domain: "www.example.com", path: "/api" }, undefined, "2026-02-01");
  const other = binding("other", { ruleId: "rule-b" });
  const plain = binding("plain", undefined);

  it.each([
    { name: "two rules of one listener are two sets", rule: { ruleId: "rule-a" }, want: ["by-id"] },
    { name: "the listener's own set is not a rule's", rule: undefined, want: ["plain"] },
    {
      name: "a rule known by ID and by route meets both namings",
      rule: { ruleId: "rule-a", domain: "www.example.com", path: "/api" },
      want: ["by-id", "by-route"],
    },
    {
      name: "a route alone meets the route",
      rule: { domain: "www.example.com", path: "/api" },
      want: ["by-route"],
    },
  ])("$name", ({ rule, want }) => {
    const on = onSameTarget([byId, byRoute, other, plain], rule);
    expect(on.map((b) => b.metadata.name).sort()).toEqual(want);
  });

  it("learns a route's ID from the status, so the older binding holds the rule before either reads GAAP", () => {
    const seen = { ...byRoute, ...{ status: resolved("rule-a", "www.example.com", "/api") } };
    const on = onSameTarget([byId, seen, other], ruleIdentity(seen));
    expect(holderOf(on)).toBe("a/by-id");
  });

  it("asks for the binding's rule with the rules of the other bindings on the listener", () => {
    const seen = { ...byRoute, ...{ status: resolved("rule-c", "www.example.com", "/api") } };
    const cache = { bindingsOnListener: () => [byId, seen, other, plain] };
    const q = targetQuery(seen, cache, { lastWritten: () => undefined });
    expect(q).toEqual({
      listenerId: "listener-h",
      rule: { domain: "www.example.com", path: "/api" },
      knownRuleId: "rule-c",
      siblingRules: ["rule-a", "rule-b"],
    });
    expect(targetQuery(plain, cache, { lastWritten: () => undefined })).toEqual({ listenerId: "listener-h" });
    // Our bind in flight on the listener is read too; a deletion reads the rule it bound, not one found again.
    expect(
      targetQuery(seen, cache, { lastWritten: () => undefined }, { inflightRule: "rule-z" }).siblingRules,
    ).toEqual(["rule-a", "rule-b", "rule-z"]);
    expect(targetQuery(seen, cache, { lastWritten: () => undefined }, { bound: true }).rule).toEqual({
      ruleId: "rule-c",
    });
  });
});

describe("the status of a rule's pass", () => {
  it("reports the rule beside its listener, and counts the origins GAAP reports unhealthy", () => {
    const t = toRuleTarget(
      http,
      info({ BindStatus: 0, RealServerSet: [wire(bound(1, 1)), wire(bound(2))] }),
      [],
    );
    const status = composeStatus(
      undefined,
      1,
      { phase: "inSync", target: t, ours: t.bound, owned: [], desiredCount: 2, notes: [] },
      new Date("2026-12-01T00:00:00Z"),
    );
    expect(status.listener).toEqual({ protocol: "HTTP", port: 8000 });
    expect(status.rule).toEqual({
      ruleId: "rule-a",
      domain: "www.example.com",
      path: "/api",
      scheduler: "wrr",
      status: 0,
      healthCheck: true,
      health: "Abnormal",
    });
    expect(status.unhealthyCount).toBe(1);
    expect(status.boundCount).toBe(2);
  });

  it("counts no origin unhealthy with the health check off", () => {
    const t = toRuleTarget(http, info({ HealthCheck: 0, RealServerSet: [wire(bound(1, 1))] }), []);
    const status = composeStatus(
      undefined,
      1,
      { phase: "inSync", target: t, ours: t.bound, owned: [], desiredCount: 1, notes: [] },
      new Date(),
    );
    expect(status.unhealthyCount).toBe(0);
  });
});

describe("gates of pods behind a rule", () => {
  it("speak of the rule, and wait for a sibling's task", () => {
    const held = toRuleTarget(http, info({ RealServerSet: [wire(bound(1))] }), []);
    const facts = { bindingName: "web", target: held, podOrigins: new Map([["p1", "10.0.0.1:8080"]]) };
    expect(gateState("p1", facts, undefined)).toEqual({
      status: "True",
      reason: "Bound",
      message: "rule rule-a (www.example.com/api) of listener-h holds 10.0.0.1:8080",
    });
    const sick = toRuleTarget(http, info({ BindStatus: 0, RealServerSet: [wire(bound(1, 1))] }), []);
    expect(gateState("p1", { ...facts, target: sick }, undefined)?.reason).toBe("Unhealthy");
    const blocked = toRuleTarget(http, info(), [info({ RuleId: "rule-b", RuleStatus: 3 })]);
    expect(gateState("p1", { ...facts, target: blocked }, undefined)).toMatchObject({
      status: "False",
      reason: "ListenerBusy",
    });
  });
});
