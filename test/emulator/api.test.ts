// The GAAP emulator driven through the official tencentcloud-sdk-nodejs client, action by action.
import type { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmulatorState } from "../../emulator/account/model.ts";
import { normalizeState } from "../../emulator/account/state.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { admin, commonClient, gaapClient, sdkError } from "../../testenv/gaap.ts";

const PROXY = "link-aaaa1111";

function account(extra: Partial<Record<keyof EmulatorState, unknown>> = {}): EmulatorState {
  return normalizeState({
    credentials: [{ secretId: "AKIDtest", secretKey: "test-key" }],
    projects: [0, 7],
    proxies: [
      { proxyId: PROXY, projectId: 0, status: "RUNNING" },
      { proxyId: "link-closed01", projectId: 0, status: "CLOSED" },
    ],
    listeners: [
      { listenerId: "listener-wrr00001", proxyId: PROXY, protocol: "TCP", port: 80, scheduler: "wrr" },
      { listenerId: "listener-rr000001", proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "rr" },
      { listenerId: "listener-udp00001", proxyId: PROXY, protocol: "UDP", port: 53, scheduler: "wrr" },
      {
        listenerId: "listener-fo000001",
        proxyId: PROXY,
        protocol: "TCP",
        port: 82,
        scheduler: "wrr",
        failoverSwitch: 1,
      },
      {
        listenerId: "listener-closed01",
        proxyId: "link-closed01",
        protocol: "TCP",
        port: 80,
        scheduler: "rr",
      },
    ],
    behavior: { bindTaskMs: 300 },
    ...extra,
  });
}

const CRED = { secretId: "AKIDtest", secretKey: "test-key" };

describe("GAAP emulator through the official SDK", () => {
  let emu: GaapEmulator;
  let gaap: Client;

  beforeEach(async () => {
    emu = await startEmulator({ state: account() });
    gaap = gaapClient(emu.url, { credential: CRED });
  });
  afterEach(async () => emu.close());

  async function register(ips: string[], project = 0, name = "test") {
    const res = await gaap.AddRealServers({ ProjectId: project, RealServerIP: ips, RealServerName: name });
    return (res.RealServerSet ?? []).map((r) => ({
      id: r.RealServerId as string,
      ip: r.RealServerIP as string,
    }));
  }

  const bindSet = (rs: Array<{ id: string; ip: string }>, port = 8080, weight?: number) =>
    rs.map((r) => ({
      RealServerId: r.id,
      RealServerIP: r.ip,
      RealServerPort: port,
      ...(weight === undefined ? {} : { RealServerWeight: weight }),
    }));

  async function listener(id: string, protocol: "TCP" | "UDP" = "TCP") {
    const res =
      protocol === "TCP"
        ? await gaap.DescribeTCPListeners({ ListenerId: id })
        : await gaap.DescribeUDPListeners({ ListenerId: id });
    return res.ListenerSet?.[0];
  }

  async function untilIdle(id: string, protocol: "TCP" | "UDP" = "TCP") {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const l = await listener(id, protocol);
      if (l?.ListenerStatus === 0) return l;
      if (Date.now() > deadline) throw new Error(`${id} still busy`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  describe("signatures", () => {
    it("accepts the SDK's TC3 signature (host without port, scope service '127')", async () => {
      const res = await gaap.DescribeProxies({});
      expect(res.TotalCount).toBe(2);
      expect(res.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("refuses a wrong key with AuthFailure.SignatureFailure", async () => {
      const bad = gaapClient(emu.url, { credential: { ...CRED, secretKey: "not-the-key" } });
      const err = await sdkError(bad.DescribeProxies({}));
      expect(err.code).toBe("AuthFailure.SignatureFailure");
      expect(err.requestId).toBeTruthy();
    });

    it("refuses an unknown SecretId with AuthFailure.SecretIdNotFound", async () => {
      const bad = gaapClient(emu.url, { credential: { secretId: "AKIDnobody", secretKey: "x" } });
      expect((await sdkError(bad.DescribeProxies({}))).code).toBe("AuthFailure.SecretIdNotFound");
    });

    it.each([
      { skewMin: 6, code: "AuthFailure.SignatureExpire" },
      { skewMin: -6, code: "AuthFailure.SignatureExpire" },
      { skewMin: 4, code: undefined },
    ])("a clock $skewMin minutes off -> $code", async ({ skewMin, code }) => {
      const skewed = await startEmulator({ state: account(), now: () => Date.now() + skewMin * 60_000 });
      try {
        const call = gaapClient(skewed.url, { credential: CRED }).DescribeProxies({});
        if (code) expect((await sdkError(call)).code).toBe(code);
        else expect((await call).TotalCount).toBe(2);
      } finally {
        await skewed.close();
      }
    });

    it.each([
      { maxSkewSec: 300, skewSec: 360, says: "5 minutes" },
      { maxSkewSec: 30, skewSec: 60, says: "30 seconds" },
    ])(
      "says the configured skew ($says) when a timestamp is too far off",
      async ({ maxSkewSec, skewSec, says }) => {
        const state = account({ behavior: { bindTaskMs: 300, signatureMaxSkewSec: maxSkewSec } });
        const skewed = await startEmulator({ state, now: () => Date.now() + skewSec * 1000 });
        try {
          const err = await sdkError(gaapClient(skewed.url, { credential: CRED }).DescribeProxies({}));
          expect(err.code).toBe("AuthFailure.SignatureExpire");
          expect(err.message).toContain(`more than ${says} from the server time`);
        } finally {
          await skewed.close();
        }
      },
    );

    it("checks temporary credentials' token", async () => {
      await admin(emu.url, "POST", "reset", {
        ...account(),
        credentials: [{ secretId: "AKIDtmp", secretKey: "tmp-key", token: "session-1" }],
      });
      const ok = gaapClient(emu.url, {
        credential: { secretId: "AKIDtmp", secretKey: "tmp-key", token: "session-1" },
      });
      expect((await ok.DescribeProxies({})).TotalCount).toBe(2);
      const stale = gaapClient(emu.url, {
        credential: { secretId: "AKIDtmp", secretKey: "tmp-key", token: "session-0" },
      });
      expect((await sdkError(stale.DescribeProxies({}))).code).toBe("AuthFailure.TokenFailure");
    });
  });

  describe("gateway errors", () => {
    it("InvalidAction for an action GAAP does not have", async () => {
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      expect((await sdkError(c.request("DescribeNothing", {}))).code).toBe("InvalidAction");
    });

    it("NoSuchVersion for another API version", async () => {
      const c = commonClient(emu.url, "2017-03-12", { credential: CRED });
      expect((await sdkError(c.request("DescribeProxies", {}))).code).toBe("NoSuchVersion");
    });

    it.each([
      { params: { RealServerBindSet: [] }, code: "MissingParameter", message: /ListenerId/ },
      { params: { ListenerId: 7 }, code: "InvalidParameter", message: /ListenerId.*string/ },
      { params: { ListenerId: "listener-wrr00001", Weight: 1 }, code: "UnknownParameter", message: /Weight/ },
      {
        params: {
          ListenerId: "listener-wrr00001",
          RealServerBindSet: [{ RealServerId: "rs-1", RealServerIP: "1.1.1.1", RealServerPort: "80" }],
        },
        code: "InvalidParameter",
        message: /RealServerBindSet\.0\.RealServerPort/,
      },
    ])("$code for $params", async ({ params, code, message }) => {
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      const err = await sdkError(c.request("BindListenerRealServers", params));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    });

    it("RequestLimitExceeded for the 21st bind in one second", async () => {
      const frozen = Date.now();
      const limited = await startEmulator({ state: account(), now: () => frozen });
      try {
        const c = gaapClient(limited.url, { credential: CRED });
        const rs = (
          await c.AddRealServers({ ProjectId: 0, RealServerIP: ["198.18.1.1"], RealServerName: "x" })
        ).RealServerSet?.[0];
        const set = [
          { RealServerId: rs?.RealServerId as string, RealServerIP: "198.18.1.1", RealServerPort: 80 },
        ];
        const codes: Array<string | undefined> = [];
        for (let i = 0; i < 21; i++) {
          codes.push(
            await c.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: set }).then(
              () => "Success",
              (e) => e.code,
            ),
          );
        }
        // The first bind starts a task; the next 19 find the listener busy; the 21st is over the limit.
        expect(codes[0]).toBe("Success");
        expect(codes.slice(1, 20)).toEqual(Array(19).fill("FailedOperation.ListenerHasTask"));
        expect(codes[20]).toBe("RequestLimitExceeded");
        // Other actions have buckets of their own.
        expect((await c.DescribeProxies({})).TotalCount).toBe(2);
      } finally {
        await limited.close();
      }
    });
  });

  describe("binding", () => {
    it("replaces the whole set, keeps the listener busy for the task time, then shows the new set", async () => {
      const [a, b, c] = await register(["198.18.0.1", "198.18.0.2", "198.18.0.3"]);
      if (!a || !b || !c) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet([a, b], 8080, 10),
      });
      const busy = await listener("listener-wrr00001");
      expect(busy?.ListenerStatus).toBe(3);
      // During the task another bind is refused.
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-wrr00001", RealServerBindSet: bindSet([c]) }),
      );
      expect(err.code).toBe("FailedOperation.ListenerHasTask");
      const done = await untilIdle("listener-wrr00001");
      expect(
        done.RealServerSet?.map((r) => [r.RealServerIP, r.RealServerPort, r.RealServerWeight]).sort(),
      ).toEqual([
        ["198.18.0.1", 8080, 10],
        ["198.18.0.2", 8080, 10],
      ]);
      // After it, a bind of {b, c} succeeds and replaces {a, b}.
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet([b, c], 9090, 5),
      });
      const after = await untilIdle("listener-wrr00001");
      expect(after.RealServerSet?.map((r) => `${r.RealServerIP}:${r.RealServerPort}`).sort()).toEqual([
        "198.18.0.2:9090",
        "198.18.0.3:9090",
      ]);
    });

    it("an empty set unbinds everything (the documented replace semantics)", async () => {
      const [a] = await register(["198.18.0.9"]);
      if (!a) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-rr000001",
        RealServerBindSet: bindSet([a]),
      });
      await untilIdle("listener-rr000001");
      await gaap.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: [] });
      expect((await untilIdle("listener-rr000001")).RealServerSet).toEqual([]);
    });

    it("refuses more origins than the per-listener limit with FailedOperation.LimitRealServerNum", async () => {
      const ips = Array.from({ length: 101 }, (_, i) => `198.18.${Math.floor(i / 200)}.${(i % 200) + 10}`);
      const rs = [];
      for (let i = 0; i < ips.length; i += 20) rs.push(...(await register(ips.slice(i, i + 20))));
      expect(rs).toHaveLength(101);
      const err = await sdkError(
        gaap.BindListenerRealServers({
          ListenerId: "listener-wrr00001",
          RealServerBindSet: bindSet(rs, 80, 1),
        }),
      );
      expect(err.code).toBe("FailedOperation.LimitRealServerNum");
      // Exactly the limit is fine.
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet(rs.slice(0, 100), 80, 1),
      });
      expect((await untilIdle("listener-wrr00001")).RealServerSet).toHaveLength(100);
    });

    it.each([
      {
        what: "an unknown id",
        mutate: (e: Record<string, unknown>) => ({ ...e, RealServerId: "rs-nobody00" }),
      },
      {
        what: "an id with another IP",
        mutate: (e: Record<string, unknown>) => ({ ...e, RealServerIP: "198.18.9.9" }),
      },
    ])("refuses $what with InvalidParameterValue.RealServerNotBelong", async ({ mutate }) => {
      const [a] = await register(["198.18.0.20"]);
      if (!a) throw new Error("registration failed");
      const entry = mutate(bindSet([a])[0] as Record<string, unknown>);
      const err = await sdkError(
        gaap.BindListenerRealServers({
          ListenerId: "listener-rr000001",
          RealServerBindSet: [entry as never],
        }),
      );
      expect(err.code).toBe("InvalidParameterValue.RealServerNotBelong");
    });

    it.each([
      { listenerId: "listener-wrr00001", weight: 0, ok: false },
      { listenerId: "listener-wrr00001", weight: 101, ok: false },
      { listenerId: "listener-wrr00001", weight: 100, ok: true },
      { listenerId: "listener-rr000001", weight: 2, ok: false },
      { listenerId: "listener-rr000001", weight: 1, ok: true },
    ])("weight $weight on $listenerId -> ok=$ok", async ({ listenerId, weight, ok }) => {
      const [a] = await register(["198.18.0.30"]);
      if (!a) throw new Error("registration failed");
      const call = gaap.BindListenerRealServers({
        ListenerId: listenerId,
        RealServerBindSet: bindSet([a], 80, weight),
      });
      if (ok) {
        await call;
        expect((await untilIdle(listenerId)).RealServerSet?.[0]?.RealServerWeight).toBe(weight);
      } else {
        expect((await sdkError(call)).code).toBe("InvalidParameterValue");
      }
    });

    it("takes failover roles only on a FailoverSwitch=1 listener and reports them", async () => {
      const [a, b] = await register(["198.18.0.40", "198.18.0.41"]);
      if (!a || !b) throw new Error("registration failed");
      const withRoles = [
        { ...bindSet([a])[0], RealServerFailoverRole: "master" },
        { ...bindSet([b])[0], RealServerFailoverRole: "slave" },
      ] as never[];
      const refused = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-wrr00001", RealServerBindSet: withRoles }),
      );
      expect(refused.code).toBe("InvalidParameterValue");
      await gaap.BindListenerRealServers({ ListenerId: "listener-fo000001", RealServerBindSet: withRoles });
      const l = await untilIdle("listener-fo000001");
      expect(l.FailoverSwitch).toBe(1);
      expect(
        Object.fromEntries((l.RealServerSet ?? []).map((r) => [r.RealServerIP, r.RealServerFailoverRole])),
      ).toEqual({
        "198.18.0.40": "master",
        "198.18.0.41": "slave",
      });
    });

    it("refuses binds on a channel that is not RUNNING", async () => {
      const [a] = await register(["198.18.0.50"]);
      if (!a) throw new Error("registration failed");
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-closed01", RealServerBindSet: bindSet([a]) }),
      );
      expect(err.code).toBe("FailedOperation.ProxyStatusNotInRuning");
      expect(err.message).toBe("Proxy link-closed01 is CLOSED.");
    });

    it("ResourceNotFound for an unknown listener, or InvalidParameter when so configured", async () => {
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-nothere0", RealServerBindSet: [] }),
      );
      expect(err.code).toBe("ResourceNotFound");
      await admin(emu.url, "POST", "behavior", { unknownListenerError: "InvalidParameter" });
      const err2 = await sdkError(gaap.DescribeTCPListeners({ ListenerId: "listener-nothere0" }));
      expect(err2.code).toBe("InvalidParameter");
      expect(err2.message).toBe("ListenerId(listener-nothere0) Not Exist.");
    });

    it("a task started from outside makes binds fail with ListenerHasTask until it ends", async () => {
      await admin(emu.url, "POST", "task", { listenerId: "listener-rr000001", durationMs: 400 });
      const [a] = await register(["198.18.0.60"]);
      if (!a) throw new Error("registration failed");
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: bindSet([a]) }),
      );
      expect(err.code).toBe("FailedOperation.ListenerHasTask");
      await untilIdle("listener-rr000001");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-rr000001",
        RealServerBindSet: bindSet([a]),
      });
    });
  });

  describe("origin servers", () => {
    it("registers, refuses a duplicate with DuplicateRS, and looks it up again", async () => {
      const [a] = await register(["198.18.2.1"], 0, "web");
      const dup = await sdkError(
        gaap.AddRealServers({ ProjectId: 0, RealServerIP: ["198.18.2.1"], RealServerName: "x" }),
      );
      expect(dup.code).toBe("InvalidParameterValue.DuplicateRS");
      const found = await gaap.DescribeRealServers({
        ProjectId: -1,
        Filters: [{ Name: "RealServerIP", Values: ["198.18.2.1"] }],
      });
      expect(found.RealServerSet?.map((r) => r.RealServerId)).toEqual([a?.id]);
    });

    it("searches fuzzily, filters exactly, matches any tag, and caps Limit at 50", async () => {
      await gaap.AddRealServers({
        ProjectId: 0,
        RealServerIP: ["198.18.3.4", "198.18.3.40"],
        RealServerName: "fuzzy",
        TagSet: [{ TagKey: "cluster", TagValue: "a" }],
      });
      await gaap.AddRealServers({
        ProjectId: 7,
        RealServerIP: ["198.18.3.5"],
        RealServerName: "other",
        TagSet: [{ TagKey: "owner", TagValue: "b" }],
      });
      const fuzzy = await gaap.DescribeRealServers({ ProjectId: -1, SearchValue: "198.18.3.4" });
      expect(fuzzy.RealServerSet.map((r) => r.RealServerIP).sort()).toEqual(["198.18.3.4", "198.18.3.40"]);
      const byProject = await gaap.DescribeRealServers({ ProjectId: 7 });
      expect(byProject.RealServerSet.map((r) => r.RealServerIP)).toEqual(["198.18.3.5"]);
      const anyTag = await gaap.DescribeRealServers({
        ProjectId: -1,
        TagSet: [
          { TagKey: "owner", TagValue: "b" },
          { TagKey: "nope", TagValue: "x" },
        ],
      });
      expect(anyTag.RealServerSet.map((r) => r.RealServerIP)).toEqual(["198.18.3.5"]);
      expect(anyTag.RealServerSet[0]?.TagSet).toEqual([{ TagKey: "owner", TagValue: "b" }]);
      const byName = await gaap.DescribeRealServers({
        ProjectId: -1,
        Filters: [{ Name: "RealServerName", Values: ["fuzzy"] }],
      });
      expect(byName.TotalCount).toBe(2);
      const paged = await gaap.DescribeRealServers({ ProjectId: -1, Limit: 1, Offset: 1 });
      expect(paged.TotalCount).toBe(3);
      expect(paged.RealServerSet).toHaveLength(1);
      expect((await sdkError(gaap.DescribeRealServers({ ProjectId: -1, Limit: 51 }))).code).toBe(
        "InvalidParameterValue",
      );
    });

    it("refuses to remove a bound origin with RealServerAlreadyBound, removes it once unbound", async () => {
      const [a, b] = await register(["198.18.4.1", "198.18.4.2"]);
      if (!a || !b) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-rr000001",
        RealServerBindSet: bindSet([a]),
      });
      const status = await gaap.DescribeRealServersStatus({ RealServerIds: [a.id, b.id] });
      expect(status.RealServerStatusSet?.map((s) => [s.RealServerId, s.BindStatus, s.ProxyId])).toEqual([
        [a.id, 1, PROXY],
        [b.id, 0, ""],
      ]);
      const err = await sdkError(gaap.RemoveRealServers({ RealServerIds: [a.id, b.id] }));
      expect(err.code).toBe("FailedOperation.RealServerAlreadyBound");
      // All or nothing: b is still there.
      expect((await gaap.DescribeRealServers({ ProjectId: 0, SearchValue: b.ip })).TotalCount).toBe(1);
      await untilIdle("listener-rr000001");
      await gaap.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: [] });
      // Still bound while the unbind task runs.
      expect((await sdkError(gaap.RemoveRealServers({ RealServerIds: [a.id] }))).code).toBe(
        "FailedOperation.RealServerAlreadyBound",
      );
      await untilIdle("listener-rr000001");
      await gaap.RemoveRealServers({ RealServerIds: [a.id, b.id] });
      expect((await gaap.DescribeRealServers({ ProjectId: -1 })).TotalCount).toBe(0);
    });

    it("renames an origin", async () => {
      const [a] = await register(["198.18.5.1"], 0, "before");
      await gaap.ModifyRealServerName({ RealServerId: a?.id as string, RealServerName: "after" });
      const res = await gaap.DescribeRealServers({ ProjectId: 0 });
      expect(res.RealServerSet[0]?.RealServerName).toBe("after");
    });

    it("refuses addresses that are neither IPs nor domains, and unknown projects", async () => {
      const bad = await sdkError(
        gaap.AddRealServers({ ProjectId: 0, RealServerIP: ["not an ip"], RealServerName: "x" }),
      );
      expect(bad.code).toBe("InvalidParameterValue");
      const proj = await sdkError(
        gaap.AddRealServers({ ProjectId: 99, RealServerIP: ["198.18.6.1"], RealServerName: "x" }),
      );
      expect(proj.code).toBe("InvalidParameterValue.ProjectIdNotBelong");
      const domain = await register(["origin.example.com"]);
      expect(domain[0]?.ip).toBe("origin.example.com");
    });

    it("reports per-origin health set through the admin API", async () => {
      const [a, b] = await register(["198.18.7.1", "198.18.7.2"]);
      if (!a || !b) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet([a, b], 80, 1),
      });
      await untilIdle("listener-wrr00001");
      await admin(emu.url, "POST", "health", { ip: "198.18.7.2", status: 1 });
      const l = await listener("listener-wrr00001");
      expect(
        Object.fromEntries((l?.RealServerSet ?? []).map((r) => [r.RealServerIP, r.RealServerStatus])),
      ).toEqual({
        "198.18.7.1": 0,
        "198.18.7.2": 1,
      });
      expect(l?.BindStatus).toBe(0); // TCP: 0 = abnormal
      const detail = await gaap.DescribeListenerRealServers({ ListenerId: "listener-wrr00001" });
      expect(detail.BindRealServerTotalCount).toBe(2);
      expect(detail.TotalCount).toBe(2);
      expect(detail.BindRealServerSet?.find((r) => r.RealServerIP === "198.18.7.2")?.RealServerStatus).toBe(
        1,
      );
    });
  });

  describe("channels and listeners", () => {
    it("describes proxies, their status and detail", async () => {
      const all = await gaap.DescribeProxies({ Filters: [{ Name: "ProjectId", Values: ["0"] }] });
      expect(all.ProxySet?.map((p) => p.ProxyId).sort()).toEqual(["link-aaaa1111", "link-closed01"]);
      const status = await gaap.DescribeProxiesStatus({ ProxyIds: ["link-closed01"] });
      expect(status.InstanceStatusSet).toEqual([{ InstanceId: "link-closed01", Status: "CLOSED" }]);
      const detail = await gaap.DescribeProxyDetail({ ProxyId: PROXY });
      expect(detail.ProxyDetail?.Status).toBe("RUNNING");
      expect((await sdkError(gaap.DescribeProxyDetail({ ProxyId: "link-nothere" }))).code).toBe(
        "ResourceNotFound",
      );
    });

    it("creates, lists and deletes TCP and UDP listeners", async () => {
      const tcp = await gaap.CreateTCPListeners({
        ListenerName: "made",
        Ports: [9001, 9002],
        Scheduler: "wrr",
        HealthCheck: 1,
        RealServerType: "IP",
        ProxyId: PROXY,
      });
      expect(tcp.ListenerIds).toHaveLength(2);
      const udp = await gaap.CreateUDPListeners({
        ListenerName: "made-udp",
        Ports: [9001],
        Scheduler: "rr",
        RealServerType: "IP",
        ProxyId: PROXY,
      });
      const listed = await gaap.DescribeTCPListeners({ ProxyId: PROXY, ListenerName: "made" });
      expect(listed.ListenerSet?.map((l) => l.Port).sort()).toEqual([9001, 9002]);
      const udpListed = await gaap.DescribeUDPListeners({ ProxyId: PROXY, Port: 9001 });
      expect(udpListed.ListenerSet?.[0]?.ListenerId).toBe(udp.ListenerIds?.[0]);
      expect(udpListed.ListenerSet?.[0]?.Protocol).toBe("UDP");
      const dup = await sdkError(
        gaap.CreateTCPListeners({
          ListenerName: "again",
          Ports: [9001],
          Scheduler: "rr",
          HealthCheck: 0,
          RealServerType: "IP",
          ProxyId: PROXY,
        }),
      );
      expect(dup.code).toBe("InvalidParameterValue");
      const domainWrr = await sdkError(
        gaap.CreateTCPListeners({
          ListenerName: "d",
          Ports: [9100],
          Scheduler: "wrr",
          HealthCheck: 0,
          RealServerType: "DOMAIN",
          ProxyId: PROXY,
        }),
      );
      expect(domainWrr.code).toBe("InvalidParameterValue");
      const del = await gaap.DeleteListeners({
        ListenerIds: [...(tcp.ListenerIds ?? []), "listener-nothere0"],
        Force: 0,
      });
      expect(del.OperationSucceedListenerSet?.sort()).toEqual([...(tcp.ListenerIds ?? [])].sort());
      expect(del.OperationFailedListenerSet).toEqual(["listener-nothere0"]);
      expect((await gaap.DescribeTCPListeners({ ProxyId: PROXY, ListenerName: "made" })).TotalCount).toBe(0);
    });

    it("keeps a listener with bound origins unless forced, and does not delete a busy one", async () => {
      const [a] = await register(["198.18.8.1"]);
      if (!a) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-rr000001",
        RealServerBindSet: bindSet([a]),
      });
      const busy = await gaap.DeleteListeners({ ListenerIds: ["listener-rr000001"], Force: 1 });
      expect(busy.InvalidStatusListenerSet).toEqual(["listener-rr000001"]);
      await untilIdle("listener-rr000001");
      const kept = await gaap.DeleteListeners({ ListenerIds: ["listener-rr000001"], Force: 0 });
      expect(kept.OperationFailedListenerSet).toEqual(["listener-rr000001"]);
      const forced = await gaap.DeleteListeners({ ListenerIds: ["listener-rr000001"], Force: 1 });
      expect(forced.OperationSucceedListenerSet).toEqual(["listener-rr000001"]);
      expect((await sdkError(gaap.DescribeTCPListeners({ ListenerId: "listener-rr000001" }))).code).toBe(
        "ResourceNotFound",
      );
    });

    it("describes a UDP listener only through DescribeUDPListeners, with UDP's BindStatus encoding", async () => {
      const udp = await listener("listener-udp00001", "UDP");
      expect(udp?.Protocol).toBe("UDP");
      expect(udp?.BindStatus).toBe(0); // UDP: 0 = normal
      expect((await sdkError(gaap.DescribeTCPListeners({ ListenerId: "listener-udp00001" }))).code).toBe(
        "ResourceNotFound",
      );
    });
  });
});
