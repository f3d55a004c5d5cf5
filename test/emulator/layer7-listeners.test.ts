// Layer 7 in the GAAP emulator, through the official SDK: HTTP/HTTPS listeners and their domains.
import { describe, expect, it } from "vitest";
import { admin, commonClient, sdkError } from "../../testenv/gaap.ts";
import {
  behavior,
  CLOSED,
  CRED,
  emu,
  entry,
  gaap,
  HTTP,
  HTTPS,
  httpListenerStatus,
  OLD,
  PROXY,
  rule,
  TCP,
  untilListenerIdle,
  useWorld,
  WRR,
} from "./layer7-world.ts";

describe("GAAP emulator layer 7 through the official SDK: listeners and domains", () => {
  useWorld();

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
});
