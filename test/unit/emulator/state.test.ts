import { describe, expect, it } from "vitest";
import { Account } from "../../../emulator/account/account.ts";
import {
  DEFAULT_BEHAVIOR,
  defaultState,
  mergeBehavior,
  normalizeState,
} from "../../../emulator/account/state.ts";

/** A channel with an HTTP and an HTTPS listener, a TCP one, a domain on each layer-7 listener, and an origin. */
const layer7 = (extra: Record<string, unknown> = {}) => ({
  proxies: [{ proxyId: "link-x" }],
  listeners: [
    { listenerId: "listener-h1", proxyId: "link-x", protocol: "HTTP", port: 80 },
    { listenerId: "listener-s1", proxyId: "link-x", protocol: "HTTPS", port: 443, certificateId: "cert-1" },
    { listenerId: "listener-t1", proxyId: "link-x", protocol: "TCP", port: 81 },
  ],
  domains: [
    { listenerId: "listener-h1", domain: "a.example.com" },
    { listenerId: "listener-s1", domain: "b.example.com", status: 1 },
  ],
  realServers: [{ realServerId: "rs-1", ip: "198.18.0.1" }],
  ...extra,
});

describe("emulator state files", () => {
  it("fills defaults: behaviour, projects, listener settings", () => {
    const s = normalizeState({
      proxies: [{ proxyId: "link-x", projectId: 3 }],
      listeners: [{ listenerId: "listener-x1", proxyId: "link-x", protocol: "TCP" }],
    });
    expect(s.behavior).toEqual(DEFAULT_BEHAVIOR);
    expect(s.projects.sort()).toEqual([0, 3]);
    expect(s.listeners[0]).toMatchObject({
      scheduler: "rr",
      realServerType: "IP",
      failoverSwitch: 0,
      healthCheck: 1,
    });
    expect(s.proxies[0]?.status).toBe("RUNNING");
  });

  it.each([
    { input: { nonsense: 1 }, message: /unknown key "nonsense"/ },
    { input: { listeners: {} }, message: /"listeners" must be a list/ },
    { input: { credentials: [{ secretId: "a" }] }, message: /credentials\[0\] needs secretId and secretKey/ },
    {
      input: { listeners: [{ listenerId: "listener-a", proxyId: "link-none", protocol: "SCTP" }] },
      message: /unknown proxy link-none.*TCP, UDP, HTTP or HTTPS/,
    },
    {
      input: { bindings: [{ listenerId: "listener-a", realServerId: "rs-a" }] },
      message: /unknown listener.*unknown realServer/,
    },
    { input: { behavior: { bindTaskMs: "2s" } }, message: /behavior.bindTaskMs must be a number/ },
    {
      input: { behavior: { emptyBindSet: "ignore" } },
      message: /emptyBindSet must be one of unbind, reject/,
    },
    {
      input: { behavior: { rateLimits: { default: 0 } } },
      message: /rateLimits must map actions to positive numbers/,
    },
  ])("refuses $input with a message naming the problem", ({ input, message }) => {
    expect(() => normalizeState(input)).toThrow(message);
  });

  it("merges behaviour patches, keeping unnamed rate limits", () => {
    const b = mergeBehavior(DEFAULT_BEHAVIOR, { bindTaskMs: 10, rateLimits: { BindListenerRealServers: 5 } });
    expect(b.bindTaskMs).toBe(10);
    expect(b.rateLimits).toEqual({ default: 20, DescribeRealServers: 1000, BindListenerRealServers: 5 });
  });

  it("embeds a demo account with a listener of each kind and an HTTP rule", () => {
    const s = defaultState();
    expect(s.listeners.map((l) => `${l.listenerId}/${l.protocol}/${l.port}`)).toEqual([
      "listener-aaaa1111/TCP/80",
      "listener-bbbb2222/TCP/443",
      "listener-cccc3333/UDP/53",
      "listener-dddd4444/TCP/8443",
      "listener-eeee5555/HTTP/8080",
    ]);
    expect(s.listeners.slice(0, 4).map((l) => `${l.scheduler}/${l.failoverSwitch}`)).toEqual([
      "wrr/0",
      "rr/0",
      "wrr/0",
      "wrr/1",
    ]);
    expect(s.domains).toEqual([{ listenerId: "listener-eeee5555", domain: "www.example.com", status: 0 }]);
    expect(s.rules).toMatchObject([
      { ruleId: "rule-aaaa1111", listenerId: "listener-eeee5555", domain: "www.example.com", path: "/" },
    ]);
    expect(s.rules[0]?.scheduler).toBe("wrr");
  });

  describe("layer 7", () => {
    it("fills defaults for HTTPS listeners, domains and rules", () => {
      const s = normalizeState(
        layer7({
          rules: [{ ruleId: "rule-r1", listenerId: "listener-h1", domain: "a.example.com", path: "/" }],
        }),
      );
      expect(s.listeners[1]).toMatchObject({
        protocol: "HTTPS",
        certificateId: "cert-1",
        forwardProtocol: "HTTP",
      });
      expect(s.listeners[0]?.forwardProtocol).toBeUndefined();
      expect(s.domains.map((d) => d.status)).toEqual([0, 1]);
      expect(s.rules[0]).toEqual({
        ruleId: "rule-r1",
        listenerId: "listener-h1",
        domain: "a.example.com",
        path: "/",
        scheduler: "rr",
        healthCheck: 1,
        realServerType: "IP",
        forwardHost: "default",
        checkParams: {
          delayLoop: 5,
          connectTimeout: 2,
          path: "/",
          method: "HEAD",
          statusCode: [100, 200, 300, 400, 500],
          domain: "",
        },
        serverNameIndicationSwitch: "OFF",
        serverNameIndication: "",
        forcedRedirect: "OFF",
      });
    });

    it("takes bindings on rules (ruleId) beside bindings on TCP/UDP listeners", () => {
      const s = normalizeState(
        layer7({
          rules: [{ ruleId: "rule-r1", listenerId: "listener-h1", domain: "a.example.com", path: "/" }],
          bindings: [
            { ruleId: "rule-r1", realServerId: "rs-1", port: 8080 },
            { listenerId: "listener-t1", realServerId: "rs-1", port: 8081, weight: 3 },
          ],
        }),
      );
      expect(s.bindings).toEqual([
        { weight: 1, ruleId: "rule-r1", realServerId: "rs-1", port: 8080 },
        { weight: 3, listenerId: "listener-t1", realServerId: "rs-1", port: 8081 },
      ]);
    });

    it("refuses every layer-7 problem together", () => {
      const rule = (over: Record<string, unknown>) => ({
        ruleId: "rule-ok",
        listenerId: "listener-h1",
        domain: "a.example.com",
        path: "/",
        ...over,
      });
      const input = layer7({
        listeners: [
          ...layer7().listeners,
          {
            listenerId: "listener-t2",
            proxyId: "link-x",
            protocol: "TCP",
            port: 82,
            forwardProtocol: "HTTP",
          },
          {
            listenerId: "listener-s2",
            proxyId: "link-x",
            protocol: "HTTPS",
            port: 444,
            forwardProtocol: "FTP",
          },
        ],
        domains: [
          ...layer7().domains,
          { listenerId: "listener-t1", domain: "c.example.com" },
          { listenerId: "listener-h1", domain: "a.example.com" },
          { listenerId: "listener-h1", domain: "d.example.com", status: 7 },
          { listenerId: "listener-none", domain: "e.example.com" },
        ],
        rules: [
          rule({}),
          rule({ ruleId: "rule-ok" }),
          rule({ ruleId: "RULE_1" }),
          rule({ ruleId: "rule-r2", domain: "nowhere.example.com" }),
          rule({ ruleId: "rule-r3", path: "no-slash" }),
          rule({ ruleId: "rule-r4", path: "/" }),
          rule({ ruleId: "rule-r5", path: "/x", scheduler: "lrtt", healthCheck: 2, realServerType: "FQDN" }),
          rule({ ruleId: "rule-r6", path: "/y", checkParams: { delayLoop: 1 } }),
        ],
        bindings: [
          { listenerId: "listener-h1", realServerId: "rs-1", port: 80 },
          { ruleId: "rule-none", realServerId: "rs-1", port: 80 },
          { ruleId: "rule-ok", listenerId: "listener-t1", realServerId: "rs-1", port: 80 },
        ],
      });
      const message = (() => {
        try {
          normalizeState(input);
        } catch (err) {
          return (err as Error).message;
        }
        return "";
      })();
      for (const part of [
        "listeners[3]: certificateId and forwardProtocol are for HTTPS listeners",
        "listeners[4].forwardProtocol must be HTTP or HTTPS",
        "domains[2] is on TCP listener listener-t1",
        "domains[3]: a.example.com is on listener-h1 twice",
        "domains[4].status must be 0 (running), 1 (changing) or 2 (deleting)",
        "domains[5] names unknown listener listener-none",
        "rules[1]: rule-ok appears twice",
        "rules[2] needs a ruleId",
        "rules[3] names domain nowhere.example.com, which listener listener-h1 does not have",
        "rules[4].path must be 1-80 characters starting with /",
        "rules[5]: a.example.com/ is on listener-h1 twice",
        "rules[6].scheduler must be rr, wrr or lc",
        "rules[6].healthCheck must be 0 or 1",
        "rules[6].realServerType must be IP or DOMAIN",
        "rules[7].checkParams: CheckParams.DelayLoop must be in 5-300",
        "bindings[0] names HTTP listener listener-h1: its origins sit on rules",
        "bindings[1] names unknown rule rule-none",
        "bindings[2] names exactly one of listenerId and ruleId",
      ]) {
        expect(message).toContain(part);
      }
    });

    it("limits domains to 100 per listener and rules to 20 per domain", () => {
      const domains = Array.from({ length: 101 }, (_, i) => ({
        listenerId: "listener-h1",
        domain: `d${i}.example.com`,
      }));
      const rules = Array.from({ length: 21 }, (_, i) => ({
        ruleId: `rule-n${i}`,
        listenerId: "listener-s1",
        domain: "b.example.com",
        path: `/p${i}`,
      }));
      expect(() => normalizeState(layer7({ domains: [...layer7().domains, ...domains], rules }))).toThrow(
        /listener-h1 has more than 100 domains.*b\.example\.com on listener-s1 has more than 20 rules/,
      );
      expect(() =>
        normalizeState(
          layer7({ domains: [...layer7().domains, ...domains.slice(2)], rules: rules.slice(1) }),
        ),
      ).not.toThrow();
    });

    it.each([
      ["ruleTaskScope", "domain"],
      ["ruleOverLimit", "truncate"],
      ["unknownRuleError", "NotFound"],
      ["unknownRuleInBatch", "skip"],
      ["createRuleMissingDomain", "ignore"],
    ])("refuses behavior.%s = %s", (key, value) => {
      expect(() => normalizeState({ behavior: { [key]: value } })).toThrow(
        new RegExp(`behavior.${key} must be one of`),
      );
    });

    it("defaults every layer-7 behaviour to the stricter answer", () => {
      expect(DEFAULT_BEHAVIOR).toMatchObject({
        ruleTaskScope: "listener",
        maxRealServersPerRule: 100,
        ruleOverLimit: "reject",
        unknownRuleError: "ResourceNotFound",
        unknownRuleInBatch: "error",
        createRuleMissingDomain: "reject",
      });
      expect(() => normalizeState({ behavior: { maxRealServersPerRule: "100" } })).toThrow(
        /maxRealServersPerRule must be a number/,
      );
    });

    it("loads a snapshot with domains, rules and rule bindings back as it was", () => {
      const s = normalizeState(
        layer7({
          rules: [
            {
              ruleId: "rule-r1",
              listenerId: "listener-s1",
              domain: "b.example.com",
              path: "/api",
              scheduler: "wrr",
              forwardProtocol: "HTTPS",
              checkParams: { method: "GET", statusCode: [200] },
            },
          ],
          bindings: [{ ruleId: "rule-r1", realServerId: "rs-1", port: 8443, weight: 7 }],
        }),
      );
      const snap = new Account(s, () => 0).snapshot();
      expect(snap.domains).toEqual(s.domains);
      expect(snap.rules).toEqual(s.rules);
      expect(snap.bindings).toEqual([{ ruleId: "rule-r1", realServerId: "rs-1", port: 8443, weight: 7 }]);
      const again = normalizeState(snap);
      expect(new Account(again, () => 0).snapshot()).toEqual(snap);
    });
  });
});
