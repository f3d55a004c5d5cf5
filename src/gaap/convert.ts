// Between the SDK's wire shapes and the operator's domain types: the only place that knows both.
import type {
  BindRealServer,
  RealServerBindSetReq,
  TCPListener,
  UDPListener,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import type { BoundOrigin, ListenerState } from "./types.ts";

export function toListenerState(l: TCPListener | UDPListener, protocol: "TCP" | "UDP"): ListenerState {
  return {
    listenerId: l.ListenerId ?? "",
    protocol,
    port: l.Port ?? 0,
    scheduler: l.Scheduler ?? "rr",
    failoverSwitch: l.FailoverSwitch ?? 0,
    realServerType: l.RealServerType ?? "IP",
    status: l.ListenerStatus ?? 0,
    healthCheck: l.HealthCheck === 1,
    bound: (l.RealServerSet ?? []).map(toBoundOrigin),
  };
}

export function toBoundOrigin(r: BindRealServer): BoundOrigin {
  return {
    realServerId: r.RealServerId ?? "",
    ip: r.RealServerIP ?? "",
    port: r.RealServerPort ?? 0,
    ...(r.RealServerWeight === undefined || r.RealServerWeight === null
      ? {}
      : { weight: r.RealServerWeight }),
    ...(r.RealServerFailoverRole ? { role: r.RealServerFailoverRole } : {}),
    ...(typeof r.RealServerStatus === "number" ? { health: r.RealServerStatus } : {}),
  };
}

/** One entry of BindListenerRealServers' RealServerBindSet; weight and role only when set. */
export function toBindEntry(o: BoundOrigin): RealServerBindSetReq {
  return {
    RealServerId: o.realServerId,
    RealServerIP: o.ip,
    RealServerPort: o.port,
    ...(o.weight === undefined ? {} : { RealServerWeight: o.weight }),
    ...(o.role ? { RealServerFailoverRole: o.role } : {}),
  };
}
