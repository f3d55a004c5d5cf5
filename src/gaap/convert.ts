// Between the SDK's wire shapes and the operator's domain types: the only place that knows both.
import type {
  BindRealServer,
  HTTPListener,
  RealServerBindSetReq,
  RuleInfo,
  TCPListener,
  UDPListener,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { type BoundOrigin, isLayer7, type ListenerProtocol, type TargetState } from "./types.ts";

export type AnyListener = TCPListener | UDPListener | HTTPListener;

/** A listener as read; an HTTP/HTTPS listener holds no origins itself (its rules do). */
export function toListenerState(l: AnyListener, protocol: ListenerProtocol): TargetState {
  const proxy = l.ProxyId ? { proxyId: l.ProxyId } : {};
  if (isLayer7(protocol)) {
    return {
      listenerId: l.ListenerId ?? "",
      ...proxy,
      protocol,
      port: l.Port ?? 0,
      scheduler: "",
      failoverSwitch: 0,
      realServerType: "IP",
      status: l.ListenerStatus ?? 0,
      healthCheck: false,
      bound: [],
    };
  }
  const t = l as TCPListener | UDPListener;
  return {
    listenerId: l.ListenerId ?? "",
    ...proxy,
    protocol,
    port: l.Port ?? 0,
    scheduler: t.Scheduler ?? "rr",
    failoverSwitch: t.FailoverSwitch ?? 0,
    realServerType: t.RealServerType ?? "IP",
    status: l.ListenerStatus ?? 0,
    healthCheck: t.HealthCheck === 1,
    bound: (t.RealServerSet ?? []).map(toBoundOrigin),
  };
}

/**
 * A forwarding rule as the origin set a binding writes, on its HTTP/HTTPS listener. A sibling rule's task, or the
 * listener's own, makes the rule wait too: GAAP answers rule writes with ListenerHasTask (or ListenerStatusError).
 */
export function toRuleTarget(listener: TargetState, r: RuleInfo, siblings: readonly RuleInfo[]): TargetState {
  const own = r.RuleStatus ?? 0;
  const others = siblings.filter((x) => x.RuleId !== r.RuleId && x.ListenerId === listener.listenerId);
  return {
    listenerId: listener.listenerId,
    ...(listener.proxyId ? { proxyId: listener.proxyId } : {}),
    protocol: listener.protocol,
    port: listener.port,
    scheduler: r.Scheduler ?? "rr",
    failoverSwitch: 0,
    realServerType: r.RealServerType ?? "IP",
    status: own,
    healthCheck: r.HealthCheck === 1,
    bound: (r.RealServerSet ?? []).map(toBoundOrigin),
    ruleStatuses: new Map([r, ...others].map((x) => [x.RuleId ?? "", x.RuleStatus ?? 0])),
    rule: {
      ruleId: r.RuleId ?? "",
      domain: r.Domain ?? "",
      path: r.Path ?? "",
      status: own,
      // BindStatus is 1 when normal, the opposite of RealServerStatus (0 normal).
      healthy: r.BindStatus !== 0,
    },
    ...(own === 0 ? waitingOn(listener, others) : {}),
  };
}

/** What else holds an idle rule: a sibling rule's task first, else the listener's own. */
function waitingOn(listener: TargetState, siblings: readonly RuleInfo[]): Partial<TargetState> {
  const sibling = siblings.find((x) => (x.RuleStatus ?? 0) !== 0);
  if (sibling) return { status: sibling.RuleStatus ?? 0, busyWith: `a task on its rule ${sibling.RuleId}` };
  if (listener.status !== 0) return { status: listener.status, busyWith: "the listener's own task" };
  return {};
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
