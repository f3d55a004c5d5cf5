// Layer 7 in the GAAP emulator, through the official SDK: HTTP/HTTPS listeners, domains, forwarding rules and
// rule binds, with the behaviour settings for what the reference leaves UNCONFIRMED, the admin endpoints and
// the call log.
import type { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import type {
  RealServerBindSetReq,
  RuleInfo,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorState } from "../../emulator/account/model.ts";
import { normalizeState } from "../../emulator/account/state.ts";
import type { CallRecord } from "../../emulator/call-log.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { admin, commonClient, gaapClient, sdkError } from "../../testenv/gaap.ts";

const CRED = { secretId: "AKIDtest", secretKey: "test-key" };
const PROXY = "link-l7000001";
const HTTP = "listener-http0001";
const HTTPS = "listener-https001";
const TCP = "listener-tcp00001";
const CLOSED = "listener-closed01";
const OLD = "listener-oldver01";
/** On HTTP, www.example.com: "/" under wrr, "/rr" under rr; api.example.com "/" with the health check off. */
const WRR = "rule-wrr00001";
const RR = "rule-rr000001";
const NOHC = "rule-nohc0001";
/** On HTTPS (forwardProtocol HTTPS), secure.example.com "/". */
const SECURE = "rule-secure001";
/** On an HTTP listener of a CLOSED channel. */
const SHUT = "rule-closed01";

const ORIGINS = 101;
const pad = (i: number) => String(i).padStart(4, "0");
/** Origin i (0-based) of the 101 seeded in project 0. */
const o = (i: number) => ({ id: `rs-o${pad(i)}`, ip: `198.18.${Math.floor(i / 200)}.${(i % 200) + 1}` });
const entry = (i: number, port = 8080, weight?: number): RealServerBindSetReq => ({
  RealServerId: o(i).id,
  RealServerIP: o(i).ip,
  RealServerPort: port,
  ...(weight === undefined ? {} : { RealServerWeight: weight }),
});

function account(extra: Partial<Record<keyof EmulatorState, unknown>> = {}): EmulatorState {
  const rule = (ruleId: string, listenerId: string, domain: string, path: string, more = {}) => ({
    ruleId,
    listenerId,
    domain,
    path,
    ...more,
  });
  return normalizeState({
    credentials: [CRED],
    projects: [0, 7],
    proxies: [
      { proxyId: PROXY },
      { proxyId: "link-closed01", status: "CLOSED" },
      { proxyId: "link-oldver01", version: "2.0" },
    ],
    listeners: [
      { listenerId: HTTP, proxyId: PROXY, protocol: "HTTP", port: 80, name: "web" },
      {
        listenerId: HTTPS,
        proxyId: PROXY,
        protocol: "HTTPS",
        port: 443,
        name: "secure",
        certificateId: "cert-abc",
        forwardProtocol: "HTTPS",
      },
      { listenerId: TCP, proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "rr" },
      { listenerId: CLOSED, proxyId: "link-closed01", protocol: "HTTP", port: 80 },
      { listenerId: OLD, proxyId: "link-oldver01", protocol: "HTTP", port: 80 },
    ],
    domains: [
      { listenerId: HTTP, domain: "www.example.com" },
      { listenerId: HTTP, domain: "api.example.com" },
      { listenerId: HTTPS, domain: "secure.example.com" },
      { listenerId: CLOSED, domain: "shut.example.com" },
    ],
    rules: [
      rule(WRR, HTTP, "www.example.com", "/", { scheduler: "wrr" }),
      rule(RR, HTTP, "www.example.com", "/rr"),
      rule(NOHC, HTTP, "api.example.com", "/", { healthCheck: 0 }),
      rule(SECURE, HTTPS, "secure.example.com", "/"),
      rule(SHUT, CLOSED, "shut.example.com", "/"),
    ],
    realServers: [
      ...Array.from({ length: ORIGINS }, (_, i) => ({ realServerId: o(i).id, ip: o(i).ip, name: "seed" })),
      { realServerId: "rs-p7000001", ip: "198.18.7.1", projectId: 7, name: "other project" },
    ],
    behavior: { bindTaskMs: 300, rateLimits: { default: 1000 } },
    ...extra,
  });
}

const calls = async (url: string, query = "") =>
  (await admin<{ calls: CallRecord[]; lastSeq: number }>(url, "GET", `calls${query}`)).calls;

/** "ip:port" of each origin of a rule, sorted. */
const ipPorts = (r: RuleInfo | undefined) =>
  (r?.RealServerSet ?? []).map((s) => `${s.RealServerIP}:${s.RealServerPort}`).sort();

describe("GAAP emulator layer 7 through the official SDK", () => {
  let emu: GaapEmulator;
  let gaap: Client;

  beforeEach(async () => {
    emu = await startEmulator({ state: account() });
    gaap = gaapClient(emu.url, { credential: CRED });
  });
  afterEach(async () => emu.close());

  const behavior = (patch: Record<string, unknown>) => admin(emu.url, "POST", "behavior", patch);

  async function rule(id: string): Promise<RuleInfo> {
    const r = (await gaap.DescribeRulesByRuleIds({ RuleIds: [id] })).RuleSet?.[0];
    if (!r) throw new Error(`${id} not found`);
    return r;
  }

  /** Polls until the rule's task is over (RuleStatus 0), with a deadline. */
  async function untilRuleIdle(id: string): Promise<RuleInfo> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await rule(id);
      if (r.RuleStatus === 0) return r;
      if (Date.now() > deadline) throw new Error(`${id} still busy`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  async function httpListenerStatus(id: string): Promise<number | undefined> {
    return (await gaap.DescribeHTTPListeners({ ListenerId: id })).ListenerSet?.[0]?.ListenerStatus;
  }

  async function untilListenerIdle(id: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await httpListenerStatus(id)) !== 0) {
      if (Date.now() > deadline) throw new Error(`${id} still busy`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  const createRule = (over: Partial<Parameters<Client["CreateRule"]>[0]> = {}) =>
    gaap.CreateRule({
      ListenerId: HTTP,
      Domain: "www.example.com",
      Path: "/new",
      RealServerType: "IP",
      Scheduler: "rr",
      HealthCheck: 1,
      ...over,
    });

  describe("HTTP and HTTPS listeners", () => {
    it("DescribeHTTPListeners answers HTTPListener objects, and only HTTP listeners", async () => {
      const res = await gaap.DescribeHTTPListeners({ ProxyId: PROXY });
      expect(res.TotalCount).toBe(1);
      expect(res.ListenerSet).toEqual([
        {
          ListenerId: HTTP,
          ListenerName: "web",
          Port: 80,
          CreateTime: 1_700_000_000,
          Protocol: "HTTP",
          ListenerStatus: 0,
          ProxyId: PROXY,
          GroupId: null,
        },
      ]);
      const byPort = await gaap.DescribeHTTPListeners({ ProxyId: PROXY, Port: 443 });
      expect(byPort.TotalCount).toBe(0);
      const fuzzy = await gaap.DescribeHTTPListeners({ ProxyId: PROXY, SearchValue: "we" });
      expect(fuzzy.ListenerSet?.map((l) => l.ListenerId)).toEqual([HTTP]);
    });

    it("DescribeHTTPSListeners adds the certificate, forward protocol, auth and TLS fields", async () => {
      const res = await gaap.DescribeHTTPSListeners({ ListenerId: HTTPS });
      expect(res.TotalCount).toBe(1);
      expect(res.ListenerSet?.[0]).toMatchObject({
        ListenerId: HTTPS,
        Protocol: "HTTPS",
        Port: 443,
        ListenerStatus: 0,
        CertificateId: "cert-abc",
        ForwardProtocol: "HTTPS",
        AuthType: 0,
        Http3Supported: 0,
        ProxyId: PROXY,
        GroupId: null,
      });
      expect(res.ListenerSet?.[0]?.TLSSupportVersion?.length).toBeGreaterThan(0);
      expect(typeof res.ListenerSet?.[0]?.TLSCiphers).toBe("string");
      expect("ClientCertificateId" in (res.ListenerSet?.[0] ?? {})).toBe(true);
      expect((await gaap.DescribeHTTPSListeners({ ProxyId: PROXY, Http3Supported: 1 })).TotalCount).toBe(0);
      expect(
        (await gaap.DescribeHTTPSListeners({ ProxyId: PROXY })).ListenerSet?.map((l) => l.ListenerId),
      ).toEqual([HTTPS]);
    });

    it("checks filters as DescribeTCPListeners does, and takes no Filters[]", async () => {
      expect((await sdkError(gaap.DescribeHTTPListeners({}))).code).toBe("MissingParameter");
      expect((await sdkError(gaap.DescribeHTTPSListeners({ ProxyId: PROXY, GroupId: "lg-1" }))).code).toBe(
        "InvalidParameter",
      );
      expect(
        (await sdkError(gaap.DescribeHTTPListeners({ ProxyId: PROXY, SearchValue: "80", Port: 80 }))).code,
      ).toBe("InvalidParameter");
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      const filters = await sdkError(
        c.request("DescribeHTTPListeners", { ProxyId: PROXY, Filters: [{ Name: "Port", Values: ["80"] }] }),
      );
      expect(filters.code).toBe("UnknownParameter");
      // A listener of another protocol is not found through this action.
      expect((await sdkError(gaap.DescribeHTTPListeners({ ListenerId: HTTPS }))).code).toBe(
        "ResourceNotFound",
      );
      expect((await sdkError(gaap.DescribeHTTPSListeners({ ListenerId: TCP }))).code).toBe(
        "ResourceNotFound",
      );
      expect((await sdkError(gaap.DescribeHTTPListeners({ ProxyId: "link-nothere" }))).code).toBe(
        "ResourceNotFound",
      );
    });

    it("DescribeTCPListeners and DescribeUDPListeners do not list HTTP(S) listeners", async () => {
      const tcp = await gaap.DescribeTCPListeners({ ProxyId: PROXY });
      expect(tcp.ListenerSet?.map((l) => l.ListenerId)).toEqual([TCP]);
      expect((await gaap.DescribeUDPListeners({ ProxyId: PROXY })).TotalCount).toBe(0);
      expect((await sdkError(gaap.DescribeTCPListeners({ ListenerId: HTTP }))).code).toBe("ResourceNotFound");
      expect((await sdkError(gaap.DescribeTCPListeners({ ListenerId: HTTPS }))).code).toBe(
        "ResourceNotFound",
      );
    });

    it("keeps origins off HTTP listeners themselves: they sit on rules", async () => {
      const bind = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: HTTP, RealServerBindSet: [entry(0)] }),
      );
      expect(bind.code).toBe("InvalidParameterValue");
      expect(bind.message).toMatch(/forwarding rules/);
      expect((await sdkError(gaap.DescribeListenerRealServers({ ListenerId: HTTPS }))).code).toBe(
        "InvalidParameterValue",
      );
    });

    it("counts an HTTP listener's port as a TCP port", async () => {
      const err = await sdkError(
        gaap.CreateTCPListeners({
          ListenerName: "clash",
          Ports: [80],
          Scheduler: "rr",
          HealthCheck: 0,
          RealServerType: "IP",
          ProxyId: PROXY,
        }),
      );
      expect(err.code).toBe("InvalidParameterValue");
      expect(err.message).toMatch(/HTTP listener/);
      const udp = await gaap.CreateUDPListeners({
        ListenerName: "udp-80",
        Ports: [80],
        Scheduler: "rr",
        RealServerType: "IP",
        ProxyId: PROXY,
      });
      expect(udp.ListenerIds).toHaveLength(1);
    });

    it("reports ListenerStatus 3 only for a task on the listener itself, not for rule binds", async () => {
      await behavior({ bindTaskMs: 60_000 }); // a bind that outlasts the test
      await gaap.BindRuleRealServers({ RuleId: WRR, RealServerBindSet: [entry(0)] });
      expect((await rule(WRR)).RuleStatus).toBe(3);
      expect(await httpListenerStatus(HTTP)).toBe(0);
      await admin(emu.url, "POST", "task", { listenerId: HTTP, durationMs: 500 });
      expect(await httpListenerStatus(HTTP)).toBe(3);
      await untilListenerIdle(HTTP);
      expect((await rule(WRR)).RuleStatus).toBe(3);
      await admin(emu.url, "POST", "task", { listenerId: HTTPS, durationMs: 60_000 });
      expect(
        (await gaap.DescribeHTTPSListeners({ ListenerId: HTTPS })).ListenerSet?.[0]?.ListenerStatus,
      ).toBe(3);
    });
  });

  describe("domains", () => {
    it("CreateDomain adds a domain DescribeRules shows, running and without rules", async () => {
      await gaap.CreateDomain({ ListenerId: HTTP, Domain: "new.example.com" });
      const res = await gaap.DescribeRules({ ListenerId: HTTP });
      expect(res.TotalCount).toBe(3);
      expect(res.DomainRuleSet?.map((d) => d.Domain)).toEqual([
        "www.example.com",
        "api.example.com",
        "new.example.com",
      ]);
      expect(res.DomainRuleSet?.[2]).toMatchObject({
        Domain: "new.example.com",
        DomainStatus: 0,
        RuleSet: [],
        BanStatus: "RECOVER",
        IsDefaultServer: false,
        Http3Supported: 0,
      });
    });

    it("keeps a domain's certificates on HTTPS listeners (default: the listener's), and IsDefaultServer", async () => {
      await gaap.CreateDomain({ ListenerId: HTTPS, Domain: "own.example.com", CertificateId: "cert-own" });
      await gaap.CreateDomain({ ListenerId: HTTPS, Domain: "dflt.example.com", IsDefaultServer: true });
      const sets = (await gaap.DescribeRules({ ListenerId: HTTPS })).DomainRuleSet ?? [];
      const by = Object.fromEntries(sets.map((d) => [d.Domain, d]));
      expect(by["own.example.com"]).toMatchObject({ CertificateId: "cert-own", IsDefaultServer: false });
      expect(by["dflt.example.com"]).toMatchObject({ CertificateId: "default", IsDefaultServer: true });
      const certOnHttp = await sdkError(
        gaap.CreateDomain({ ListenerId: HTTP, Domain: "c.example.com", CertificateId: "cert-own" }),
      );
      expect(certOnHttp.code).toBe("InvalidParameterValue");
    });

    it.each([
      {
        what: "a domain the listener has",
        listenerId: HTTP,
        domain: "www.example.com",
        code: "FailedOperation.DomainAlreadyExisted",
      },
      {
        what: "a TCP listener",
        listenerId: TCP,
        domain: "t.example.com",
        code: "FailedOperation.InvalidListenerProtocol",
      },
      {
        what: "an unknown listener",
        listenerId: "listener-nothere0",
        domain: "n.example.com",
        code: "ResourceNotFound",
      },
      {
        what: "a CLOSED channel",
        listenerId: CLOSED,
        domain: "c.example.com",
        code: "FailedOperation.ProxyStatusNotInRuning",
      },
      {
        what: "a version 2.0 channel",
        listenerId: OLD,
        domain: "o.example.com",
        code: "FailedOperation.NonStandardProxy",
      },
      {
        what: "a name that is no domain",
        listenerId: HTTP,
        domain: "not a domain",
        code: "InvalidParameterValue",
      },
    ])("refuses $what with $code", async ({ listenerId, domain, code }) => {
      expect((await sdkError(gaap.CreateDomain({ ListenerId: listenerId, Domain: domain }))).code).toBe(code);
    });

    it("takes at most 100 domains per listener (FailedOperation.LimitNumofDomains)", async () => {
      for (let i = 0; i < 98; i++) await gaap.CreateDomain({ ListenerId: HTTP, Domain: `d${i}.example.com` });
      expect((await gaap.DescribeRules({ ListenerId: HTTP })).TotalCount).toBe(100);
      const err = await sdkError(gaap.CreateDomain({ ListenerId: HTTP, Domain: "one-more.example.com" }));
      expect(err.code).toBe("FailedOperation.LimitNumofDomains");
    });

    it("refuses a domain while the listener has a task of its own (ListenerStatusError)", async () => {
      await admin(emu.url, "POST", "task", { listenerId: HTTP, durationMs: 500 });
      expect((await sdkError(gaap.CreateDomain({ ListenerId: HTTP, Domain: "x.example.com" }))).code).toBe(
        "FailedOperation.ListenerStatusError",
      );
      await untilListenerIdle(HTTP);
      await gaap.CreateDomain({ ListenerId: HTTP, Domain: "x.example.com" });
    });
  });

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
