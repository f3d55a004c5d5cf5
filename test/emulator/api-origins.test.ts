// The GAAP emulator driven through the official tencentcloud-sdk-nodejs client, action by action: origin servers,
// channels and listeners.
import { describe, expect, it } from "vitest";
import { admin, sdkError } from "../../testenv/gaap.ts";
import { bindSet, emu, gaap, listener, PROXY, register, untilIdle, useWorld } from "./api-world.ts";

describe("GAAP emulator through the official SDK: origin servers, channels and listeners", () => {
  useWorld();

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
