// Layer 7 in the GAAP emulator, through the official SDK: forwarding rules, made, described and deleted, with the
// behaviour settings for what the reference leaves UNCONFIRMED.
import { describe, expect, it } from "vitest";
import { admin, commonClient, sdkError } from "../../testenv/gaap.ts";
import {
  behavior,
  CLOSED,
  CRED,
  createRule,
  emu,
  entry,
  gaap,
  HTTP,
  HTTPS,
  NOHC,
  o,
  RR,
  rule,
  SECURE,
  TCP,
  untilListenerIdle,
  untilRuleIdle,
  useWorld,
  WRR,
} from "./layer7-world.ts";

describe("GAAP emulator layer 7 through the official SDK: rules", () => {
  useWorld();

  describe("rules", () => {
    it("CreateRule answers a RuleId; the rule shows in DescribeRules and DescribeRulesByRuleIds", async () => {
      const { RuleId } = await createRule({ Domain: "api.example.com", Path: "/v1", Scheduler: "lc" });
      expect(RuleId).toMatch(/^rule-[a-z0-9]+$/);
      const byListener = await gaap.DescribeRules({ ListenerId: HTTP });
      const api = byListener.DomainRuleSet?.find((d) => d.Domain === "api.example.com");
      expect(api?.RuleSet?.map((r) => [r.RuleId, r.Path])).toEqual([
        [NOHC, "/"],
        [RuleId, "/v1"],
      ]);
      expect(await rule(RuleId as string)).toEqual({
        RuleId,
        ListenerId: HTTP,
        Domain: "api.example.com",
        Path: "/v1",
        RealServerType: "IP",
        Scheduler: "lc",
        HealthCheck: 1,
        RuleStatus: 0,
        CheckParams: {
          DelayLoop: 5,
          ConnectTimeout: 2,
          Path: "/",
          Method: "HEAD",
          StatusCode: [100, 200, 300, 400, 500],
          Domain: "",
          FailedCountInter: 0,
          FailedThreshold: 0,
          BlockInter: 0,
        },
        RealServerSet: [],
        BindStatus: 1,
        ForwardHost: "default",
        ServerNameIndicationSwitch: "OFF",
        ServerNameIndication: "",
        ForcedRedirect: "OFF",
        ForwardProtocol: "HTTP",
      });
    });

    it("keeps what CreateRule was given, and takes the listener's forward protocol by default", async () => {
      const given = {
        Scheduler: "wrr",
        HealthCheck: 0,
        RealServerType: "DOMAIN",
        ForwardHost: "origin.example.com",
        CheckParams: {
          DelayLoop: 10,
          ConnectTimeout: 3,
          Path: "/healthz",
          Method: "GET",
          StatusCode: [200, 300],
        },
        ServerNameIndicationSwitch: "ON",
        ServerNameIndication: "sni.example.com",
      };
      const { RuleId } = await createRule({
        ListenerId: HTTPS,
        Domain: "secure.example.com",
        Path: "/api",
        ...given,
      });
      expect(await rule(RuleId as string)).toMatchObject({ ...given, ForwardProtocol: "HTTPS" });
      expect((await rule(SECURE)).ForwardProtocol).toBe("HTTPS");
      expect((await rule(WRR)).ForwardProtocol).toBe("HTTP");
      const own = await createRule({ Path: "/tls", ForwardProtocol: "HTTPS" });
      expect((await rule(own.RuleId as string)).ForwardProtocol).toBe("HTTPS");
    });

    it("refuses the same (domain, path) with RuleAlreadyExisted; the same path on another domain is fine", async () => {
      expect((await sdkError(createRule({ Path: "/rr" }))).code).toBe("FailedOperation.RuleAlreadyExisted");
      await createRule({ Domain: "api.example.com", Path: "/rr" });
    });

    it("takes at most 20 rules per domain (FailedOperation.LimitNumofRules)", async () => {
      for (let i = 0; i < 18; i++) await createRule({ Path: `/p${i}` });
      const www = (await gaap.DescribeRules({ ListenerId: HTTP })).DomainRuleSet?.[0];
      expect(www?.RuleSet).toHaveLength(20);
      expect((await sdkError(createRule({ Path: "/one-more" }))).code).toBe(
        "FailedOperation.LimitNumofRules",
      );
      // Other domains have their own 20.
      await createRule({ Domain: "api.example.com", Path: "/one-more" });
    });

    it.each([
      { what: "an empty path", over: { Path: "" } },
      { what: "a path without a leading /", over: { Path: "no-slash" } },
      { what: "a path of 81 characters", over: { Path: `/${"a".repeat(80)}` } },
      { what: "scheduler lrtt", over: { Scheduler: "lrtt" } },
      { what: "RealServerType FQDN", over: { RealServerType: "FQDN" } },
      { what: "HealthCheck 2", over: { HealthCheck: 2 } },
      { what: "ForwardProtocol FTP", over: { ForwardProtocol: "FTP" } },
      { what: "SNI ON without a name", over: { ServerNameIndicationSwitch: "ON" } },
      {
        what: "DelayLoop 1",
        over: {
          CheckParams: { DelayLoop: 1, ConnectTimeout: 2, Path: "/", Method: "HEAD", StatusCode: [200] },
        },
      },
      {
        what: "an empty StatusCode",
        over: { CheckParams: { DelayLoop: 5, ConnectTimeout: 2, Path: "/", Method: "HEAD", StatusCode: [] } },
      },
      { what: "a TCP listener", over: { ListenerId: TCP } },
    ])("refuses $what with InvalidParameterValue", async ({ over }) => {
      expect((await sdkError(createRule(over))).code).toBe("InvalidParameterValue");
    });

    it("takes a path of 80 characters", async () => {
      await createRule({ Path: `/${"a".repeat(79)}` });
    });

    it("refuses a request missing a required field, and an unknown listener", async () => {
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      const missing = await sdkError(
        c.request("CreateRule", {
          ListenerId: HTTP,
          Domain: "www.example.com",
          Path: "/x",
          RealServerType: "IP",
          Scheduler: "rr",
        }),
      );
      expect([missing.code, missing.message]).toEqual([
        "MissingParameter",
        "The request is missing a required parameter `HealthCheck`.",
      ]);
      expect((await sdkError(createRule({ ListenerId: "listener-nothere0" }))).code).toBe("ResourceNotFound");
      expect((await sdkError(createRule({ ListenerId: CLOSED, Domain: "shut.example.com" }))).code).toBe(
        "FailedOperation.ProxyStatusNotInRuning",
      );
    });

    it("createRuleMissingDomain: reject answers ResourceNotFound naming the domain; create makes it", async () => {
      const err = await sdkError(createRule({ Domain: "absent.example.com" }));
      expect(err.code).toBe("ResourceNotFound");
      expect(err.message).toContain("absent.example.com");
      expect((await gaap.DescribeRules({ ListenerId: HTTP })).TotalCount).toBe(2);
      await behavior({ createRuleMissingDomain: "create" });
      const { RuleId } = await createRule({ Domain: "absent.example.com" });
      const sets = (await gaap.DescribeRules({ ListenerId: HTTP })).DomainRuleSet ?? [];
      expect(sets.map((d) => d.Domain)).toContain("absent.example.com");
      expect(sets.find((d) => d.Domain === "absent.example.com")?.RuleSet?.map((r) => r.RuleId)).toEqual([
        RuleId,
      ]);
    });

    it("refuses rule writes while the listener has a task of its own (ListenerStatusError)", async () => {
      await admin(emu.url, "POST", "task", { listenerId: HTTP, durationMs: 500 });
      expect((await sdkError(createRule())).code).toBe("FailedOperation.ListenerStatusError");
      expect((await sdkError(gaap.DeleteRule({ ListenerId: HTTP, RuleId: RR, Force: 1 }))).code).toBe(
        "FailedOperation.ListenerStatusError",
      );
      await untilListenerIdle(HTTP);
      await createRule();
    });
  });

  describe("DescribeRules and DescribeRulesByRuleIds", () => {
    it("DescribeRules counts domains, with or without rules, and groups rules by domain", async () => {
      await gaap.CreateDomain({ ListenerId: HTTP, Domain: "empty.example.com" });
      const res = await gaap.DescribeRules({ ListenerId: HTTP });
      expect(res.TotalCount).toBe(3);
      expect(res.DomainRuleSet?.map((d) => [d.Domain, (d.RuleSet ?? []).map((r) => r.RuleId)])).toEqual([
        ["www.example.com", [WRR, RR]],
        ["api.example.com", [NOHC]],
        ["empty.example.com", []],
      ]);
    });

    it("DescribeRules: unknown listener as configured, a TCP listener is InvalidParameterValue", async () => {
      expect((await sdkError(gaap.DescribeRules({ ListenerId: "listener-nothere0" }))).code).toBe(
        "ResourceNotFound",
      );
      expect((await sdkError(gaap.DescribeRules({ ListenerId: TCP }))).code).toBe("InvalidParameterValue");
      await behavior({ unknownListenerError: "InvalidParameter" });
      const err = await sdkError(gaap.DescribeRules({ ListenerId: "listener-nothere0" }));
      expect([err.code, err.message]).toEqual([
        "InvalidParameter",
        "ListenerId(listener-nothere0) Not Exist.",
      ]);
    });

    it("DescribeRulesByRuleIds takes 1 to 10 IDs", async () => {
      const ten = await gaap.DescribeRulesByRuleIds({
        RuleIds: [WRR, RR, NOHC, SECURE, WRR, WRR, RR, RR, NOHC, SECURE],
      });
      expect(ten.TotalCount).toBe(4);
      expect(ten.RuleSet?.map((r) => r.RuleId)).toEqual([WRR, RR, NOHC, SECURE]);
      const eleven = Array.from({ length: 11 }, () => WRR);
      expect((await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: eleven }))).code).toBe(
        "InvalidParameterValue",
      );
      expect((await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: [] }))).code).toBe(
        "InvalidParameterValue",
      );
    });

    it("unknownRuleInBatch: error fails the whole call with the unknownRuleError answer; omit leaves it out", async () => {
      const ids = [WRR, "rule-nothere0"];
      expect((await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: ids }))).code).toBe("ResourceNotFound");
      await behavior({ unknownRuleError: "InvalidParameter" });
      const err = await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: ids }));
      expect(err.code).toBe("InvalidParameter");
      // Terraform takes InvalidParameter as "gone" only when the message contains "ruleId".
      expect(err.message).toContain("ruleId");
      expect(err.message).toBe("ruleId(rule-nothere0) Not Exist.");
      await behavior({ unknownRuleInBatch: "omit" });
      const res = await gaap.DescribeRulesByRuleIds({ RuleIds: ids });
      expect([res.TotalCount, res.RuleSet?.map((r) => r.RuleId)]).toEqual([1, [WRR]]);
      expect((await gaap.DescribeRulesByRuleIds({ RuleIds: ["rule-nothere0"] })).RuleSet).toEqual([]);
    });
  });

  describe("DeleteRule", () => {
    it("refuses a rule with origins unless forced, then deletes it with its bindings", async () => {
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
      await untilRuleIdle(RR);
      const kept = await sdkError(gaap.DeleteRule({ ListenerId: HTTP, RuleId: RR, Force: 0 }));
      expect(kept.code).toBe("FailedOperation.RealServerAlreadyBound");
      expect((await sdkError(gaap.RemoveRealServers({ RealServerIds: [o(0).id] }))).code).toBe(
        "FailedOperation.RealServerAlreadyBound",
      );
      await gaap.DeleteRule({ ListenerId: HTTP, RuleId: RR, Force: 1 });
      expect((await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: [RR] }))).code).toBe("ResourceNotFound");
      const www = (await gaap.DescribeRules({ ListenerId: HTTP })).DomainRuleSet?.[0];
      expect(www?.RuleSet?.map((r) => r.RuleId)).toEqual([WRR]);
      // Its bindings went with it.
      await gaap.RemoveRealServers({ RealServerIds: [o(0).id] });
    });

    it("deletes a rule without origins with Force 0", async () => {
      await gaap.DeleteRule({ ListenerId: HTTP, RuleId: NOHC, Force: 0 });
      const api = (await gaap.DescribeRules({ ListenerId: HTTP })).DomainRuleSet?.[1];
      expect([api?.Domain, api?.RuleSet]).toEqual(["api.example.com", []]);
    });

    it("refuses a rule of another listener, a TCP listener, and a missing Force", async () => {
      expect((await sdkError(gaap.DeleteRule({ ListenerId: HTTPS, RuleId: RR, Force: 1 }))).code).toBe(
        "InvalidParameterValue",
      );
      expect((await sdkError(gaap.DeleteRule({ ListenerId: TCP, RuleId: RR, Force: 1 }))).code).toBe(
        "InvalidParameterValue",
      );
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      expect((await sdkError(c.request("DeleteRule", { ListenerId: HTTP, RuleId: RR }))).code).toBe(
        "MissingParameter",
      );
    });
  });
});
