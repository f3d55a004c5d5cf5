// The SDK-shaped objects that Describe* actions answer with: TCP/UDP listener info with its bound origins,
// channel (proxy) info, and origin info. Key order follows the SDK's typings, so answers read like GAAP's.
import type { Account, ListenerState, Result } from "./account.ts";
import type { ProxySpec, RealServer } from "./state.ts";

/** A listener's bound origins as Describe*Listeners and DescribeListenerRealServers show them. */
export function boundInfo(a: Account, l: ListenerState): Result[] {
  return a.visibleSet(l).map((b) => ({
    RealServerId: b.realServerId,
    RealServerIP: a.realServers.get(b.realServerId)?.ip ?? "",
    RealServerWeight: b.weight,
    RealServerStatus: a.healthOn(l, b.realServerId),
    RealServerPort: b.port,
    DownIPList: [],
    RealServerFailoverRole: b.role ?? "",
  }));
}

export function listenerInfo(a: Account, l: ListenerState): Result {
  const bound = boundInfo(a, l);
  const anyDown = bound.some((b) => b.RealServerStatus === 1);
  const common = {
    ListenerId: l.listenerId,
    ListenerName: l.name ?? "",
    Port: l.port,
    RealServerPort: null,
    RealServerType: l.realServerType,
    Protocol: l.protocol,
    ListenerStatus: a.status(l),
    Scheduler: l.scheduler,
    ConnectTimeout: l.connectTimeout ?? 2,
    DelayLoop: l.delayLoop ?? 5,
    HealthCheck: l.healthCheck,
    RealServerSet: bound,
    CreateTime: l.createTime ?? 0,
    HealthyThreshold: 1,
    UnhealthyThreshold: 1,
    FailoverSwitch: l.failoverSwitch,
    SessionPersist: 0,
    ProxyId: l.proxyId,
    GroupId: null,
  };
  // BindStatus encodings differ by protocol: TCP 1 = normal; UDP 0 = normal, 1 = IP abnormal.
  if (l.protocol === "TCP") return { ...common, BindStatus: anyDown ? 0 : 1, ClientIPMethod: 0 };
  return { ...common, BindStatus: anyDown ? 1 : 0, CheckType: "PORT", CheckPort: -1, ContextType: "TEXT" };
}

export function proxyInfo(proxy: ProxySpec): Result {
  return {
    ProxyId: proxy.proxyId,
    InstanceId: proxy.proxyId,
    ProjectId: proxy.projectId,
    ProxyName: proxy.name ?? proxy.proxyId,
    AccessRegion: proxy.accessRegion ?? "SouthChina",
    RealServerRegion: proxy.realServerRegion ?? "NorthChina",
    Bandwidth: 10,
    Concurrent: 2,
    Status: proxy.status,
    Domain: `${proxy.proxyId}.gaap.example.invalid`,
    IP: "192.0.2.250",
    Version: proxy.version ?? "3.0",
    Scalarable: 1,
    SupportProtocols: ["TCP", "UDP"],
    GroupId: null,
    IPAddressVersion: "IPv4",
    NetworkType: "normal",
    PackageType: "Thunder",
    BanStatus: "RECOVER",
    InBanBlacklist: 0,
    TagSet: [],
    CreateTime: 1_700_000_000,
  };
}

/** An origin as DescribeRealServers lists it. */
export function realServerInfo(r: RealServer): Result {
  return { ...realServerBase(r), TagSet: r.tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) };
}

/** An origin as DescribeListenerRealServers offers it for binding. */
export function bindableRealServerInfo(r: RealServer): Result {
  return { ...realServerBase(r), InBanBlacklist: 0 };
}

function realServerBase(r: RealServer): Result {
  return { RealServerIP: r.ip, RealServerId: r.realServerId, RealServerName: r.name, ProjectId: r.projectId };
}
