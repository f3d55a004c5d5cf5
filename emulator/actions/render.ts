// The SDK-shaped objects that Describe* actions answer with: TCP/UDP and HTTP/HTTPS listener info, layer-7
// domains and rules with their bound origins, channel (proxy) info, and origin info. Key order follows the SDK's
// typings, so answers read like GAAP's.
import type { Account, ListenerState, OriginSet, Result, RuleState } from "../account/account.ts";
import type { Domain, ProxySpec, RealServer } from "../account/model.ts";

/** A listener's bound origins as Describe*Listeners and DescribeListenerRealServers show them. */
export function boundInfo(a: Account, l: ListenerState): Result[] {
  return boundSet(a, l, l.listenerId, l.healthCheck);
}

/** A rule's bound origins (BindRealServer) as RuleInfo and DescribeRuleRealServers show them. */
export function ruleBoundInfo(a: Account, r: RuleState): Result[] {
  return boundSet(a, r, r.ruleId, r.healthCheck);
}

/** RealServerStatus: 0 normal, 1 abnormal; always 0 with the health check off. */
function boundSet(a: Account, s: OriginSet, ownerId: string, healthCheck: number): Result[] {
  return a.visibleSet(s).map((b) => ({
    RealServerId: b.realServerId,
    RealServerIP: a.realServers.get(b.realServerId)?.ip ?? "",
    RealServerWeight: b.weight,
    RealServerStatus: a.healthOn(ownerId, healthCheck, b.realServerId),
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

/** HTTPListener, or HTTPSListener with its certificate and TLS fields. ListenerStatus is the listener's own task. */
export function layer7ListenerInfo(a: Account, l: ListenerState): Result {
  const common = {
    ListenerId: l.listenerId,
    ListenerName: l.name ?? "",
    Port: l.port,
    CreateTime: l.createTime ?? 0,
    Protocol: l.protocol,
    ListenerStatus: a.status(l),
    ProxyId: l.proxyId,
    GroupId: null,
  };
  if (l.protocol === "HTTP") return common;
  return {
    ...common,
    CertificateId: l.certificateId ?? "",
    ForwardProtocol: l.forwardProtocol ?? "HTTP",
    CertificateAlias: l.certificateId ?? "",
    ClientCertificateId: null,
    AuthType: 0,
    ClientCertificateAlias: null,
    PolyClientCertificateAliasInfo: [],
    Http3Supported: 0,
    TLSSupportVersion: ["TLSv1.2", "TLSv1.3"],
    TLSCiphers: "GAAP.TLS.CIPHERS.STRICT",
  };
}

/** The protocol towards a rule's origins: its own, else its listener's (HTTP for an HTTP listener). */
export function ruleForwardProtocol(a: Account, r: RuleState): string {
  return r.forwardProtocol ?? a.listeners.get(r.listenerId)?.forwardProtocol ?? "HTTP";
}

/**
 * RuleInfo. BindStatus has the opposite encoding of RealServerStatus: 1 normal, 0 abnormal (any origin
 * abnormal); always 1 with the health check off.
 */
export function ruleInfo(a: Account, r: RuleState): Result {
  const bound = ruleBoundInfo(a, r);
  const anyDown = bound.some((b) => b.RealServerStatus === 1);
  const c = r.checkParams;
  return {
    RuleId: r.ruleId,
    ListenerId: r.listenerId,
    Domain: r.domain,
    Path: r.path,
    RealServerType: r.realServerType,
    Scheduler: r.scheduler,
    HealthCheck: r.healthCheck,
    RuleStatus: a.status(r),
    CheckParams: {
      DelayLoop: c.delayLoop,
      ConnectTimeout: c.connectTimeout,
      Path: c.path,
      Method: c.method,
      StatusCode: [...c.statusCode],
      Domain: c.domain,
      FailedCountInter: c.failedCountInter ?? 0,
      FailedThreshold: c.failedThreshold ?? 0,
      BlockInter: c.blockInter ?? 0,
    },
    RealServerSet: bound,
    BindStatus: r.healthCheck && anyDown ? 0 : 1,
    ForwardHost: r.forwardHost,
    ServerNameIndicationSwitch: r.serverNameIndicationSwitch,
    ServerNameIndication: r.serverNameIndication,
    ForcedRedirect: r.forcedRedirect,
    ForwardProtocol: ruleForwardProtocol(a, r),
  };
}

/** DomainRuleSet: a domain of a layer-7 listener with its rules. "default" certificates are the listener's. */
export function domainRuleSet(a: Account, d: Domain): Result {
  const https = a.listeners.get(d.listenerId)?.protocol === "HTTPS";
  const cert = https ? (d.certificateId ?? "default") : "";
  const clientCert = https ? (d.clientCertificateId ?? "default") : "";
  return {
    Domain: d.domain,
    RuleSet: a.rulesOf(d.listenerId, d.domain).map((r) => ruleInfo(a, r)),
    CertificateId: cert,
    CertificateAlias: cert,
    ClientCertificateId: clientCert,
    ClientCertificateAlias: clientCert,
    BasicAuthConfId: "",
    BasicAuth: 0,
    BasicAuthConfAlias: "",
    RealServerCertificateId: "",
    RealServerAuth: 0,
    RealServerCertificateAlias: "",
    GaapCertificateId: "",
    GaapAuth: 0,
    GaapCertificateAlias: "",
    RealServerCertificateDomain: "",
    PolyClientCertificateAliasInfo: [],
    PolyRealServerCertificateAliasInfo: [],
    DomainStatus: d.status,
    BanStatus: "RECOVER",
    Http3Supported: d.http3Supported ?? 0,
    IsDefaultServer: d.isDefaultServer ?? false,
    TLSCiphers: https ? "GAAP.TLS.CIPHERS.STRICT" : "",
    TLSSupportVersion: https ? ["TLSv1.2", "TLSv1.3"] : [],
  };
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
    SupportProtocols: ["TCP", "UDP", "HTTP", "HTTPS"],
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
