// Layer 7 in the GAAP emulator, through the official SDK: what origins and listeners count of rule bindings, the
// admin endpoints and the call log.
import { describe, expect, it } from "vitest";
import type { EmulatorState } from "../../emulator/account/model.ts";
import { startEmulator } from "../../emulator/server.ts";
import { admin, gaapClient, sdkError } from "../../testenv/gaap.ts";
import {
  behavior,
  CRED,
  calls,
  createRule,
  emu,
  entry,
  gaap,
  HTTP,
  HTTPS,
  ipPorts,
  NOHC,
  o,
  PROXY,
  RR,
  rule,
  SECURE,
  SHUT,
  untilRuleIdle,
  useWorld,
  WRR,
} from "./layer7-world.ts";

describe("GAAP emulator layer 7 through the official SDK: accounting, admin, call log", () => {
  useWorld();

  describe("origins and listeners count rule bindings", () => {
    it("RemoveRealServers and DescribeRealServersStatus see origins on rules, binds in progress included", async () => {
      await behavior({ bindTaskMs: 1000 });
      await gaap.BindRuleRealServers({ RuleId: SECURE, RealServerBindSet: [entry(3)] });
      // Still in progress: the origin already counts as bound.
      expect((await rule(SECURE)).RuleStatus).toBe(3);
      expect((await sdkError(gaap.RemoveRealServers({ RealServerIds: [o(3).id] }))).code).toBe(
        "FailedOperation.RealServerAlreadyBound",
      );
      const status = await gaap.DescribeRealServersStatus({ RealServerIds: [o(3).id, o(4).id] });
      expect(status.RealServerStatusSet?.map((s) => [s.RealServerId, s.BindStatus, s.ProxyId])).toEqual([
        [o(3).id, 1, PROXY],
        [o(4).id, 0, ""],
      ]);
      await untilRuleIdle(SECURE);
      await gaap.BindRuleRealServers({ RuleId: SECURE });
      // The unbind is in progress: the origin is still bound.
      expect((await sdkError(gaap.RemoveRealServers({ RealServerIds: [o(3).id] }))).code).toBe(
        "FailedOperation.RealServerAlreadyBound",
      );
      await untilRuleIdle(SECURE);
      await gaap.RemoveRealServers({ RealServerIds: [o(3).id] });
    });

    it("DeleteListeners keeps an HTTP listener with origins on a rule unless forced, and deletes its rules", async () => {
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0)] });
      const busy = await gaap.DeleteListeners({ ListenerIds: [HTTP], Force: 1 });
      expect(busy.InvalidStatusListenerSet).toEqual([HTTP]);
      await untilRuleIdle(WRR);
      const kept = await gaap.DeleteListeners({ ListenerIds: [HTTP], Force: 0 });
      expect(kept.OperationFailedListenerSet).toEqual([HTTP]);
      const forced = await gaap.DeleteListeners({ ListenerIds: [HTTP], Force: 1 });
      expect(forced.OperationSucceedListenerSet).toEqual([HTTP]);
      expect((await sdkError(gaap.DescribeRules({ ListenerId: HTTP }))).code).toBe("ResourceNotFound");
      expect((await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: [WRR] }))).code).toBe("ResourceNotFound");
      const state = await admin<EmulatorState>(emu.url, "GET", "state");
      expect(state.domains.filter((d) => d.listenerId === HTTP)).toEqual([]);
      expect(state.rules.map((r) => r.ruleId).sort()).toEqual([SECURE, SHUT].sort());
      expect(state.bindings).toEqual([]);
      await gaap.RemoveRealServers({ RealServerIds: [o(0).id] });
    });

    it("DeleteListeners deletes an HTTPS listener without origins with Force 0", async () => {
      const res = await gaap.DeleteListeners({ ListenerIds: [HTTPS], Force: 0 });
      expect(res.OperationSucceedListenerSet).toEqual([HTTPS]);
      expect((await gaap.DescribeHTTPSListeners({ ProxyId: PROXY })).TotalCount).toBe(0);
    });
  });

  describe("admin endpoints", () => {
    it("delete-rule removes a rule and its bindings behind everyone's back", async () => {
      await gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] });
      // No task and no Force check: even a rule in the middle of a bind goes.
      await admin(emu.url, "POST", "delete-rule", { ruleId: RR });
      expect((await sdkError(gaap.DescribeRulesByRuleIds({ RuleIds: [RR] }))).code).toBe("ResourceNotFound");
      expect(
        (await sdkError(gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] }))).code,
      ).toBe("ResourceNotFound");
      await gaap.RemoveRealServers({ RealServerIds: [o(0).id] });
      await expect(admin(emu.url, "POST", "delete-rule", { ruleId: RR })).rejects.toThrow(/400/);
      await expect(admin(emu.url, "POST", "delete-rule", {})).rejects.toThrow(/need ruleId/);
    });

    it("refuses malformed domain, task and health requests", async () => {
      const bad: Array<[string, unknown, RegExp]> = [
        ["domain", { listenerId: HTTP, domain: "www.example.com", status: 3 }, /status must be 0/],
        ["domain", { listenerId: HTTP, domain: "nowhere.example.com", status: 1 }, /no domain nowhere/],
        ["domain", { listenerId: HTTP }, /need listenerId, domain and status/],
        ["task", { ruleId: "rule-nothere0", durationMs: 100 }, /400/],
        ["task", { ruleId: RR, listenerId: HTTP, durationMs: 100 }, /exactly one/],
        ["task", { ruleId: RR }, /durationMs/],
        ["health", { ip: o(0).ip, ruleId: "rule-nothere0", status: 1 }, /400/],
        ["health", { ip: o(0).ip, ruleId: RR, listenerId: HTTP, status: 1 }, /not both/],
      ];
      for (const [path, body, message] of bad) {
        await expect(admin(emu.url, "POST", path, body)).rejects.toThrow(message);
      }
    });

    it("snapshots domains, rules and rule bindings, and loads the snapshot back", async () => {
      await gaap.CreateDomain({ ListenerId: HTTP, Domain: "snap.example.com" });
      const { RuleId } = await createRule({ Domain: "snap.example.com", Path: "/s", Scheduler: "wrr" });
      await gaap.BindRuleRealServers({
        RuleId: RuleId as string,
        RealServerBindSet: [entry(7, 8081, 3)],
      });
      await untilRuleIdle(RuleId as string);
      const state = await admin<EmulatorState>(emu.url, "GET", "state");
      expect(state.domains).toContainEqual({ listenerId: HTTP, domain: "snap.example.com", status: 0 });
      expect(state.rules.find((r) => r.ruleId === RuleId)).toMatchObject({
        listenerId: HTTP,
        domain: "snap.example.com",
        path: "/s",
        scheduler: "wrr",
      });
      expect(state.bindings).toEqual([{ ruleId: RuleId, realServerId: o(7).id, port: 8081, weight: 3 }]);
      expect(state.listeners.find((l) => l.listenerId === HTTPS)).toMatchObject({
        protocol: "HTTPS",
        certificateId: "cert-abc",
        forwardProtocol: "HTTPS",
      });
      await admin(emu.url, "POST", "reset", { ...state, credentials: [CRED] });
      expect(ipPorts(await rule(RuleId as string))).toEqual([`${o(7).ip}:8081`]);
      expect(await admin(emu.url, "GET", "state")).toEqual({
        ...state,
        credentials: [{ ...CRED, secretKey: "(redacted)" }],
      });
    });

    it("the demo account has an HTTP listener with a wrr rule", async () => {
      const demo = await startEmulator();
      try {
        const c = gaapClient(demo.url);
        const l = await c.DescribeHTTPListeners({ ListenerId: "listener-eeee5555" });
        expect(l.ListenerSet?.[0]).toMatchObject({ Port: 8080, Protocol: "HTTP", ProxyId: "link-aaaa1111" });
        const rules = await c.DescribeRules({ ListenerId: "listener-eeee5555" });
        expect(
          rules.DomainRuleSet?.map((d) => [d.Domain, d.RuleSet?.map((r) => [r.RuleId, r.Path, r.Scheduler])]),
        ).toEqual([["www.example.com", [["rule-aaaa1111", "/", "wrr"]]]]);
      } finally {
        await demo.close();
      }
    });
  });

  describe("call log and faults", () => {
    it("records ruleId, the rule's listener and the bind set of rule calls", async () => {
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0, 80), entry(1, 81)] });
      await gaap.DescribeRuleRealServers({ RuleId: WRR });
      await gaap.BindRuleRealServers({ RuleId: SECURE });
      await untilRuleIdle(WRR);
      await gaap.DeleteRule({ ListenerId: HTTP, RuleId: WRR, Force: 1 });
      await gaap.DescribeRules({ ListenerId: HTTP });
      const byRule = await calls(emu.url, `?ruleId=${WRR}`);
      expect(byRule.map((c) => [c.action, c.listenerId, c.ruleId, c.code])).toEqual([
        ["BindRuleRealServers", HTTP, WRR, "Success"],
        ["DescribeRuleRealServers", HTTP, WRR, "Success"],
        ["DeleteRule", HTTP, WRR, "Success"],
      ]);
      expect(byRule[0]?.bindSet).toEqual([`${o(0).ip}:80`, `${o(1).ip}:81`]);
      // A listener filter shows the calls about its rules, and listener-addressed ones.
      const byListener = await calls(emu.url, `?listenerId=${HTTP}`);
      expect(byListener.map((c) => c.action)).toEqual([
        "BindRuleRealServers",
        "DescribeRuleRealServers",
        "DeleteRule",
        "DescribeRules",
      ]);
      const [unbind] = await calls(emu.url, `?ruleId=${SECURE}`);
      expect([unbind?.listenerId, unbind?.bindSet]).toEqual([HTTPS, []]);
      // An unknown rule is still recorded with its ID.
      await sdkError(gaap.BindRuleRealServers({ RuleId: "rule-nothere0" }));
      const [unknown] = await calls(emu.url, "?ruleId=rule-nothere0");
      expect([unknown?.code, unknown?.listenerId]).toEqual(["ResourceNotFound", undefined]);
    });

    it("fault rules match a ruleId, and a listenerId matches the calls about its rules", async () => {
      await admin(emu.url, "POST", "faults", {
        faults: [
          { action: "BindRuleRealServers", ruleId: RR, errorCode: "InternalError" },
          { action: "DescribeRuleRealServers", listenerId: HTTPS, errorCode: "FailedOperation" },
        ],
      });
      expect(
        (await sdkError(gaap.BindRuleRealServers({ RuleId: RR, RealServerBindSet: [entry(0)] }))).code,
      ).toBe("InternalError");
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0)] });
      expect((await sdkError(gaap.DescribeRuleRealServers({ RuleId: SECURE }))).code).toBe("FailedOperation");
      await gaap.DescribeRuleRealServers({ RuleId: NOHC });
      const injected = (await calls(emu.url)).filter((c) => c.injected);
      expect(injected.map((c) => [c.action, c.ruleId, c.listenerId])).toEqual([
        ["BindRuleRealServers", RR, HTTP],
        ["DescribeRuleRealServers", SECURE, HTTPS],
      ]);
      // The fault came before the bind: RR has no task.
      expect((await rule(RR)).RuleStatus).toBe(0);
    });
  });
});
