// Shared fixtures of the unit tables: a listener as the operator reads it.
import type { TargetState } from "../../src/gaap/types.ts";

/** A running TCP listener with nothing bound, rr, no failover, health check off; `extra` overrides. */
export function listenerState(extra: Partial<TargetState> = {}): TargetState {
  return {
    listenerId: "listener-a",
    protocol: "TCP",
    port: 80,
    scheduler: "rr",
    failoverSwitch: 0,
    healthCheck: false,
    realServerType: "IP",
    status: 0,
    bound: [],
    ...extra,
  };
}
