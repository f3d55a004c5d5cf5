// GAAP as the operator sees it, independent of the SDK's wire shapes.

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

export interface ListenerState {
  listenerId: string;
  protocol: "TCP" | "UDP";
  port: number;
  scheduler: string;
  failoverSwitch: number;
  realServerType: string;
  /** ListenerStatus: 0 running; anything else means a task is in progress and binds must wait. */
  status: number;
  /** HealthCheck on: RealServerStatus means something (it is always 0 when off). */
  healthCheck: boolean;
  bound: BoundOrigin[];
}

/** Tags on origins the operator registers, so it can find (and only ever remove) its own. */
export const CLUSTER_TAG = "gaap.operator.dev/cluster";
export const BINDING_TAG = "gaap.operator.dev/binding";

export interface OriginTag {
  key: string;
  value: string;
}
