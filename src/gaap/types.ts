// GAAP as the operator sees it, independent of the SDK's wire shapes.
import type { RuleRef } from "../api/types.ts";

/** One entry of a listener's origin set: a registered origin server bound with a port. */
export interface BoundOrigin {
  realServerId: string;
  ip: string;
  port: number;
  /** Sent only under the wrr scheduler. */
  weight?: number;
  /** "master" or "slave"; sent only when the listener has failover on. */
  role?: string;
  /** GAAP's health check as read (RealServerStatus: 0 normal, 1 abnormal); never sent. */
  health?: number;
}

export type ListenerProtocol = "TCP" | "UDP" | "HTTP" | "HTTPS";

/** HTTP and HTTPS listeners carry their origins one level down, on forwarding rules. */
export function isLayer7(protocol: string): boolean {
  return protocol === "HTTP" || protocol === "HTTPS";
}

/** A forwarding rule of an HTTP/HTTPS listener, as GAAP reports it. */
export interface RuleState {
  ruleId: string;
  domain: string;
  path: string;
  /** RuleStatus: 0 running, 1 creating, 2 destroying, 3 binding origins, 4 config updating. */
  status: number;
  /** RuleInfo.BindStatus decoded (its encoding is the opposite of RealServerStatus: 1 normal, 0 abnormal). */
  healthy: boolean;
}

/**
 * The origin set a binding writes, with what GAAP's bind checks depend on: a TCP/UDP listener's, or (`rule` set)
 * one forwarding rule's of an HTTP/HTTPS listener. For a rule, scheduler, health check, status and bound are the
 * rule's; the listener stays the unit of single flight, because rule writes answer ListenerHasTask.
 */
export interface TargetState {
  listenerId: string;
  /** The proxy (channel) serving the listener; absent for a listener of a proxy group. */
  proxyId?: string;
  protocol: ListenerProtocol;
  port: number;
  scheduler: string;
  failoverSwitch: number;
  realServerType: string;
  /**
   * 0 when a bind may be sent. Otherwise a task is in progress and binds must wait: the listener's
   * ListenerStatus, or for a rule its RuleStatus, or a sibling rule's (`busyRule`).
   */
  status: number;
  /** HealthCheck on: RealServerStatus means something (it is always 0 when off). */
  healthCheck: boolean;
  bound: BoundOrigin[];
  rule?: RuleState;
  /** What makes `status` non-zero when it is not the target's own task (a sibling rule's, the listener's own). */
  busyWith?: string;
  /** RuleStatus of every rule this read saw (its own and its siblings'): whose task is over. */
  ruleStatuses?: ReadonlyMap<string, number>;
}

/** How messages name what a binding writes: "listener listener-x" or "rule rule-y (host/path) of listener-x". */
export function targetName(l: Pick<TargetState, "listenerId" | "rule">): string {
  return l.rule
    ? `rule ${l.rule.ruleId} (${l.rule.domain}${l.rule.path}) of ${l.listenerId}`
    : `listener ${l.listenerId}`;
}

/** Why a bind must wait, for conditions and gates. */
export function busyMessage(l: TargetState): string {
  if (l.busyWith) return `${l.busyWith} (status ${l.status}); rule writes on ${l.listenerId} wait for it`;
  return `${l.rule ? "rule" : "listener"} status is ${l.status}, not 0 (running)`;
}

/** Tags on origins the operator registers, so it can find (and only ever remove) its own. */
export const CLUSTER_TAG = "gaap.operator.dev/cluster";
export const BINDING_TAG = "gaap.operator.dev/binding";

/** An origin this cluster registered, with the binding (namespace/name) that registered it, as its tag says. */
export interface TaggedOrigin {
  id: string;
  ip: string;
  binding?: string;
}

export interface OriginTag {
  key: string;
  value: string;
}

/** What a pass asks GAAP for: a listener, or one forwarding rule of it. */
export interface TargetQuery {
  listenerId: string;
  rule?: RuleRef;
  /** The listener's protocol as last seen: with HTTP/HTTPS, the rule is read beside the listener, not after it. */
  protocolHint?: string;
  /** The rule this binding resolved last time (status.rule.ruleId), for a rule named by domain and path. */
  knownRuleId?: string;
  /** Rules of the other bindings on this listener: a task on one of them makes this rule wait. */
  siblingRules?: readonly string[];
}

/** What a bind replaces: a listener's set, or (ruleId) one of its rules'. */
export interface BindTarget {
  listenerId: string;
  ruleId?: string;
}
