// Layer 7 in the GAAP emulator, through the official SDK: rule binds, their tasks and the origins' health.
import type { RuleInfo } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { describe, expect, it } from "vitest";
import { admin, sdkError } from "../../testenv/gaap.ts";
import {
  behavior,
  createRule,
  emu,
  entry,
  gaap,
  HTTP,
  HTTPS,
  httpListenerStatus,
  ipPorts,
  NOHC,
  ORIGINS,
  o,
  RR,
  rule,
  SECURE,
  SHUT,
  untilListenerIdle,
  untilRuleIdle,
  useWorld,
  WRR,
} from "./layer7-world.ts";

describe("GAAP emulator layer 7 through the official SDK: binds and health", () => {
  useWorld();

  describe("BindRuleRealServers", () => {
    it("runs a task: RuleStatus 3 for the task time, then 0 with the new set", async () => {
      await gaap.BindRuleRealServers({
        RuleId: WRR,
        RealServerBindSet: [entry(0, 8080, 10), entry(1, 8080, 20)],
      });
      const busy = await rule(WRR);
      expect(busy.RuleStatus).toBe(3);
      // bindVisibility onComplete: the old (empty) set shows until the task is over.
      expect(busy.RealServerSet).toEqual([]);
      const done = await untilRuleIdle(WRR);
      expect(
        done.RealServerSet?.map((s) => [
          s.RealServerId,
          s.RealServerIP,
          s.RealServerPort,
          s.RealServerWeight,
        ]),
      ).toEqual([
        [o(0).id, o(0).ip, 8080, 10],
        [o(1).id, o(1).ip, 8080, 20],
      ]);
      expect(done.RealServerSet?.[0]).toEqual({
        RealServerId: o(0).id,
        RealServerIP: o(0).ip,
        RealServerWeight: 10,
        RealServerStatus: 0,
        RealServerPort: 8080,
        DownIPList: [],
        RealServerFailoverRole: "",
      });
    });

    it("shows the new set at once under bindVisibility immediate, while RuleStatus is still 3", async () => {
      await behavior({ bindVisibility: "immediate" });
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
      const busy = await rule(RR);
      expect([busy.RuleStatus, ipPorts(busy)]).toEqual([3, [`${o(0).ip}:8080`]]);
    });

    it("replaces the whole set", async () => {
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0), entry(1)] });
      await untilRuleIdle(RR);
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(1, 9090), entry(2, 9090)] });
      expect(ipPorts(await untilRuleIdle(RR))).toEqual([`${o(1).ip}:9090`, `${o(2).ip}:9090`]);
      const detail = await gaap.DescribeRuleRealServers({ RuleId: RR });
      expect(detail.BindRealServerTotalCount).toBe(2);
    });

    it("omitting RealServerBindSet unbinds everything, whatever emptyBindSet says", async () => {
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
      await untilRuleIdle(RR);
      await behavior({ emptyBindSet: "reject" });
      await gaap.BindRuleRealServers({ RuleId: RR });
      expect((await untilRuleIdle(RR)).RealServerSet).toEqual([]);
    });

    it("an empty list follows emptyBindSet: unbind (default) or reject", async () => {
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
      await untilRuleIdle(RR);
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [] });
      expect((await untilRuleIdle(RR)).RealServerSet).toEqual([]);
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
      await untilRuleIdle(RR);
      await behavior({ emptyBindSet: "reject" });
      expect((await sdkError(gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [] }))).code).toBe(
        "InvalidParameter",
      );
      expect(ipPorts(await rule(RR))).toEqual([`${o(0).ip}:8080`]);
    });

    it("ruleTaskScope listener (default): a task on one rule refuses every rule write on the listener", async () => {
      await behavior({ bindTaskMs: 60_000 }); // a bind that outlasts the test
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0)] });
      const refused = [
        gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(1)] }),
        gaap.BindRuleRealServers({ RuleId: NOHC, RealServerBindSet: [entry(1)] }),
        createRule({ Path: "/sibling" }),
        gaap.CreateDomain({ ListenerId: HTTP, Domain: "sibling.example.com" }),
        gaap.DeleteRule({ ListenerId: HTTP, RuleId: RR, Force: 1 }),
        gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(1)] }),
      ];
      for (const call of refused) expect((await sdkError(call)).code).toBe("FailedOperation.ListenerHasTask");
      // Another listener's rules are not held.
      await gaap.BindRuleRealServers({ RuleId: SECURE, RealServerBindSet: [entry(1)] });
      // The busy rule gone, its siblings take writes again.
      await admin(emu.url, "POST", "delete-rule", { ruleId: WRR });
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(1)] });
    });

    it("ruleTaskScope rule: a task on one rule refuses writes to that rule only", async () => {
      await behavior({ ruleTaskScope: "rule", bindTaskMs: 60_000 });
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0)] });
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(1)] });
      await createRule({ Path: "/sibling" });
      await gaap.CreateDomain({ ListenerId: HTTP, Domain: "sibling.example.com" });
      expect(
        (await sdkError(gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(2)] }))).code,
      ).toBe("FailedOperation.ListenerHasTask");
      expect((await sdkError(gaap.DeleteRule({ ListenerId: HTTP, RuleId: WRR, Force: 1 }))).code).toBe(
        "FailedOperation.ListenerHasTask",
      );
      expect([(await rule(WRR)).RuleStatus, (await rule(RR)).RuleStatus]).toEqual([3, 3]);
    });

    it("a task started from outside on a rule (admin task) shows as RuleStatus 3 and refuses binds", async () => {
      await admin(emu.url, "POST", "task", { ruleId: RR, durationMs: 1000 });
      expect((await rule(RR)).RuleStatus).toBe(3);
      expect(await httpListenerStatus(HTTP)).toBe(0);
      expect(
        (await sdkError(gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] }))).code,
      ).toBe("FailedOperation.ListenerHasTask");
      await untilRuleIdle(RR);
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
    });

    it("checks in order: rule, channel, the listener's own task, the domain's status, rule tasks", async () => {
      // An unknown rule comes first.
      expect((await sdkError(gaap.BindRuleRealServers({ RuleId: "rule-nothere0" }))).code).toBe(
        "ResourceNotFound",
      );
      const shut = await sdkError(gaap.BindRuleRealServers({ RuleId: SHUT, RealServerBindSet: [entry(0)] }));
      expect([shut.code, shut.message]).toEqual([
        "FailedOperation.ProxyStatusNotInRuning",
        "Proxy link-closed01 is CLOSED.",
      ]);
      // A rule task that outlasts the test, on a sibling of the rule bound.
      await admin(emu.url, "POST", "task", { ruleId: RR, durationMs: 60_000 });
      await admin(emu.url, "POST", "domain", { listenerId: HTTP, domain: "www.example.com", status: 1 });
      await admin(emu.url, "POST", "task", { listenerId: HTTP, durationMs: 500 });
      const bind = () => gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(1)] });
      expect((await sdkError(bind())).code).toBe("FailedOperation.ListenerStatusError");
      await untilListenerIdle(HTTP);
      expect((await sdkError(bind())).code).toBe("FailedOperation.DomainStatusNotInRunning");
      await admin(emu.url, "POST", "domain", { listenerId: HTTP, domain: "www.example.com", status: 0 });
      const blocked = await sdkError(bind());
      expect(blocked.code).toBe("FailedOperation.ListenerHasTask");
      // The busy sibling gone, the bind goes through.
      await admin(emu.url, "POST", "delete-rule", { ruleId: RR });
      await bind();
    });

    it.each([1, 2])(
      "refuses binds while the domain's status is %i (DomainStatusNotInRunning)",
      async (status) => {
        await admin(emu.url, "POST", "domain", { listenerId: HTTPS, domain: "secure.example.com", status });
        const sets = (await gaap.DescribeRules({ ListenerId: HTTPS })).DomainRuleSet ?? [];
        expect(sets[0]?.DomainStatus).toBe(status);
        expect(
          (await sdkError(gaap.BindRuleRealServers({ RuleId: SECURE, RealServerBindSet: [entry(0)] }))).code,
        ).toBe("FailedOperation.DomainStatusNotInRunning");
      },
    );

    it("unknownRuleError: ResourceNotFound (default) or InvalidParameter mentioning ruleId", async () => {
      const calls = [
        () => gaap.BindRuleRealServers({ RuleId: "rule-nothere0", RealServerBindSet: [] }),
        () => gaap.DescribeRuleRealServers({ RuleId: "rule-nothere0" }),
        () => gaap.DeleteRule({ ListenerId: HTTP, RuleId: "rule-nothere0", Force: 1 }),
      ];
      for (const call of calls) expect((await sdkError(call())).code).toBe("ResourceNotFound");
      await behavior({ unknownRuleError: "InvalidParameter" });
      for (const call of calls) {
        const err = await sdkError(call());
        expect([err.code, err.message]).toEqual(["InvalidParameter", "ruleId(rule-nothere0) Not Exist."]);
      }
    });

    it("ruleOverLimit: more than maxRealServersPerRule origins is InvalidParameterValue under reject (default)", async () => {
      const all = Array.from({ length: ORIGINS }, (_, i) => entry(i, 80, 1));
      const err = await sdkError(gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: all }));
      expect(err.code).toBe("InvalidParameterValue");
      expect(err.message).toContain("at most 100 origins per rule");
      // Exactly the limit is fine.
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: all.slice(0, 100) });
      expect((await untilRuleIdle(WRR)).RealServerSet).toHaveLength(100);
    });

    it("ruleOverLimit accept applies a set over maxRealServersPerRule", async () => {
      await behavior({ maxRealServersPerRule: 2 });
      const three = [entry(0), entry(1), entry(2)];
      const err = await sdkError(gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: three }));
      expect([err.code, err.message]).toEqual([
        "InvalidParameterValue",
        "RealServerBindSet has 3 entries; at most 2 origins per rule.",
      ]);
      await behavior({ ruleOverLimit: "accept" });
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: three });
      expect((await untilRuleIdle(RR)).RealServerSet).toHaveLength(3);
    });

    it.each([
      {
        what: "an unknown origin",
        e: { ...entry(0), RealServerId: "rs-nobody00" },
        code: "InvalidParameterValue.RealServerNotBelong",
      },
      {
        what: "an origin with another IP",
        e: { ...entry(0), RealServerIP: "198.18.9.9" },
        code: "InvalidParameterValue.RealServerNotBelong",
      },
      { what: "port 0", e: entry(0, 0), code: "InvalidParameterValue" },
      { what: "port 65536", e: entry(0, 65536), code: "InvalidParameterValue" },
      {
        what: "a failover role",
        e: { ...entry(0), RealServerFailoverRole: "master" },
        code: "InvalidParameterValue",
      },
    ])("refuses $what with $code", async ({ e, code }) => {
      expect((await sdkError(gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [e] }))).code).toBe(
        code,
      );
    });

    it("refuses the same origin twice, on the same port and (unless allowed) on another", async () => {
      const same = await sdkError(
        gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0), entry(0)] }),
      );
      expect(same.code).toBe("InvalidParameterValue");
      const ports = [entry(0, 80), entry(0, 81)];
      expect((await sdkError(gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: ports }))).code).toBe(
        "InvalidParameterValue",
      );
      await behavior({ allowSameIpDifferentPorts: true });
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: ports });
    });

    it.each([
      { ruleId: WRR, weight: 0, ok: false },
      { ruleId: WRR, weight: 101, ok: false },
      { ruleId: WRR, weight: 100, ok: true },
      { ruleId: RR, weight: 2, ok: false },
      { ruleId: RR, weight: 1, ok: true },
    ])("weight $weight on $ruleId -> ok=$ok", async ({ ruleId, weight, ok }) => {
      const call = gaap.BindRuleRealServers({ RuleId: ruleId, RealServerBindSet: [entry(0, 80, weight)] });
      if (!ok) {
        expect((await sdkError(call)).code).toBe("InvalidParameterValue");
        return;
      }
      await call;
      expect((await untilRuleIdle(ruleId)).RealServerSet?.[0]?.RealServerWeight).toBe(weight);
    });

    it("gives a weight of 1 when none is sent", async () => {
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0)] });
      expect((await untilRuleIdle(WRR)).RealServerSet?.[0]?.RealServerWeight).toBe(1);
    });
  });

  describe("health: RealServerStatus (0 normal) and BindStatus (1 normal)", () => {
    async function bound() {
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0), entry(1)] });
      await gaap.BindRuleRealServers({ RuleId: SECURE, RealServerBindSet: [entry(0), entry(1)] });
      await untilRuleIdle(WRR);
      await untilRuleIdle(SECURE);
    }
    const statuses = (r: RuleInfo) =>
      Object.fromEntries((r.RealServerSet ?? []).map((s) => [s.RealServerIP, s.RealServerStatus]));

    it("encodes them oppositely: all normal is RealServerStatus 0 and BindStatus 1; one down is 1 and 0", async () => {
      await bound();
      const healthy = await rule(WRR);
      expect(statuses(healthy)).toEqual({ [o(0).ip]: 0, [o(1).ip]: 0 });
      expect(healthy.BindStatus).toBe(1);
      await admin(emu.url, "POST", "health", { ip: o(1).ip, ruleId: WRR, status: 1 });
      const sick = await rule(WRR);
      expect(statuses(sick)).toEqual({ [o(0).ip]: 0, [o(1).ip]: 1 });
      expect(sick.BindStatus).toBe(0);
      // The same in DescribeRules and DescribeRuleRealServers.
      const viaListener = (await gaap.DescribeRules({ ListenerId: HTTP })).DomainRuleSet?.[0]?.RuleSet?.[0];
      expect([viaListener?.RuleId, viaListener?.BindStatus]).toEqual([WRR, 0]);
      const detail = await gaap.DescribeRuleRealServers({ RuleId: WRR });
      expect(detail.BindRealServerSet?.find((s) => s.RealServerIP === o(1).ip)?.RealServerStatus).toBe(1);
      await admin(emu.url, "POST", "health", { realServerId: o(1).id, ruleId: WRR, status: 0 });
      expect((await rule(WRR)).BindStatus).toBe(1);
    });

    it("keeps health per rule; account-wide health applies to every rule; listener health not to rules", async () => {
      await bound();
      await admin(emu.url, "POST", "health", { ip: o(0).ip, ruleId: WRR, status: 1 });
      expect(statuses(await rule(SECURE))).toEqual({ [o(0).ip]: 0, [o(1).ip]: 0 });
      await admin(emu.url, "POST", "health", { ip: o(1).ip, listenerId: HTTP, status: 1 });
      expect(statuses(await rule(WRR))).toEqual({ [o(0).ip]: 1, [o(1).ip]: 0 });
      await admin(emu.url, "POST", "health", { ip: o(1).ip, status: 1 });
      expect(statuses(await rule(SECURE))).toEqual({ [o(0).ip]: 0, [o(1).ip]: 1 });
      expect((await rule(SECURE)).BindStatus).toBe(0);
      // A per-rule value wins over the account-wide one.
      await admin(emu.url, "POST", "health", { ip: o(1).ip, ruleId: SECURE, status: 0 });
      expect((await rule(SECURE)).BindStatus).toBe(1);
    });

    it("is always normal with the health check off", async () => {
      await gaap.BindRuleRealServers({ RuleId: NOHC, RealServerBindSet: [entry(0)] });
      await untilRuleIdle(NOHC);
      await admin(emu.url, "POST", "health", { ip: o(0).ip, status: 1 });
      await admin(emu.url, "POST", "health", { ip: o(0).ip, ruleId: NOHC, status: 1 });
      const r = await rule(NOHC);
      expect([r.HealthCheck, r.RealServerSet?.[0]?.RealServerStatus, r.BindStatus]).toEqual([0, 0, 1]);
    });
  });

  describe("DescribeRuleRealServers", () => {
    it("lists the bindable origins of the channel's project, paged, and every bound one", async () => {
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(5), entry(6)] });
      await untilRuleIdle(RR);
      const first = await gaap.DescribeRuleRealServers({ RuleId: RR });
      expect(first.TotalCount).toBe(ORIGINS); // project 0 only: rs-p7000001 is in project 7
      expect(first.RealServerSet).toHaveLength(20);
      expect(first.RealServerSet?.[0]).toEqual({
        RealServerIP: o(0).ip,
        RealServerId: o(0).id,
        RealServerName: "seed",
        ProjectId: 0,
        InBanBlacklist: 0,
      });
      expect(first.BindRealServerTotalCount).toBe(2);
      expect(first.BindRealServerSet?.map((s) => s.RealServerId)).toEqual([o(5).id, o(6).id]);
      const page = await gaap.DescribeRuleRealServers({ RuleId: RR, Offset: 100, Limit: 1000 });
      expect(page.RealServerSet?.map((s) => s.RealServerId)).toEqual([o(100).id]);
      expect((await sdkError(gaap.DescribeRuleRealServers({ RuleId: RR, Limit: 1001 }))).code).toBe(
        "InvalidParameterValue",
      );
    });
  });
});
