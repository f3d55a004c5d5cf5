// Plan: a pure function from the desired origins, what GAAP holds, and the binding's safety policy to the one
// next step: wait, register origins, bind a full set, hold with a reason, or nothing to do. No I/O.
import type { ResolvedSpec } from "../api/types.ts";
import type { BoundOrigin, ListenerState } from "../gaap/types.ts";
import { type Desired, type Origin, originKey } from "./desired.ts";

export type HoldReason =
  | "ServiceNotFound"
  | "ServicePortNotFound"
  | "ServiceHasNoNodePort"
  | "ProtocolMismatch"
  | "EmptyEndpoints"
  | "MassUnbind"
  | "TooManyOrigins";

export interface Change {
  added: number;
  removed: number;
  updated: number;
}

export type Plan =
  | { kind: "wait"; reason: "ListenerBusy"; message: string }
  | { kind: "register"; ips: string[] }
  | {
      kind: "bind";
      /** The full set to send: this binding's origins plus, under Shared, everyone else's as GAAP has them. */
      set: BoundOrigin[];
      /** This binding's ip:port entries after the bind. */
      owned: string[];
      change: Change;
      /** Removals held back by the circuit breaker while additions go ahead. */
      heldRemovals?: number;
    }
  | { kind: "hold"; reason: HoldReason; message: string }
  | { kind: "inSync"; owned: string[] };

export interface PlanInput {
  spec: ResolvedSpec;
  desired: Desired;
  listener: ListenerState;
  /** ip:port entries this binding bound before (status.ownedServers). Only read under Shared ownership. */
  owned: ReadonlySet<string>;
  /** Registered origin server IDs by IP. */
  originIds: ReadonlyMap<string, string>;
  maxOrigins: number;
}

/** How the listener takes an origin: weights only under wrr, roles only with failover on and IP origins. */
export function shapeFor(listener: ListenerState, o: Origin): Omit<BoundOrigin, "realServerId"> {
  return {
    ip: o.ip,
    port: o.port,
    ...(listener.scheduler === "wrr" ? { weight: o.weight } : {}),
    ...(listener.failoverSwitch === 1 && listener.realServerType === "IP"
      ? { role: o.secondary ? "slave" : "master" }
      : {}),
  };
}

/** Splits what GAAP holds into this binding's entries and everyone else's. */
export function splitOwnership(spec: ResolvedSpec, listener: ListenerState, owned: ReadonlySet<string>) {
  if (spec.ownership === "Exclusive") return { ours: listener.bound, foreign: [] as BoundOrigin[] };
  return {
    ours: listener.bound.filter((b) => owned.has(originKey(b))),
    foreign: listener.bound.filter((b) => !owned.has(originKey(b))),
  };
}

const sameShape = (a: Omit<BoundOrigin, "realServerId">, b: Omit<BoundOrigin, "realServerId">) =>
  (a.weight ?? 1) === (b.weight ?? 1) && (a.role ?? "") === (b.role ?? "");

export function plan(input: PlanInput): Plan {
  const { spec, desired, listener } = input;
  if (listener.status !== 0) {
    return {
      kind: "wait",
      reason: "ListenerBusy",
      message: `listener status is ${listener.status}, not 0 (running)`,
    };
  }
  let origins: Origin[];
  if (!desired.ok) {
    // A missing Service leaves the set as it is, unless the binding allows an empty set.
    if (!(desired.problem === "ServiceNotFound" && spec.allowEmpty)) {
      return { kind: "hold", reason: desired.problem, message: desired.message };
    }
    origins = [];
  } else {
    if (desired.protocol !== listener.protocol) {
      return {
        kind: "hold",
        reason: "ProtocolMismatch",
        message: `the Service port is ${desired.protocol} but listener ${listener.listenerId} is ${listener.protocol}`,
      };
    }
    origins = desired.origins;
  }

  const { ours, foreign } = splitOwnership(spec, listener, input.owned);
  const foreignKeys = new Set(foreign.map(originKey));
  const oursByKey = new Map(ours.map((b) => [originKey(b), b]));
  // Under Shared, an entry someone else already bound satisfies us as it is: it stays theirs.
  const wanted = origins.filter((o) => !foreignKeys.has(originKey(o))).map((o) => shapeFor(listener, o));
  const wantedKeys = new Set(wanted.map(originKey));
  const added = wanted.filter((w) => !oursByKey.has(originKey(w)));
  const updated = wanted.filter((w) => {
    const have = oursByKey.get(originKey(w));
    return have !== undefined && !sameShape(have, w);
  });
  const removed = ours.filter((b) => !wantedKeys.has(originKey(b)));
  const owned = [...wantedKeys].sort();

  if (foreign.length + wanted.length > input.maxOrigins) {
    return {
      kind: "hold",
      reason: "TooManyOrigins",
      message: `${foreign.length + wanted.length} origins (${wanted.length} from this binding) exceed the listener's limit of ${input.maxOrigins}`,
    };
  }
  if (added.length === 0 && updated.length === 0 && removed.length === 0) return { kind: "inSync", owned };

  if (wanted.length === 0 && ours.length > 0 && !spec.allowEmpty) {
    const why =
      desired.ok && desired.origins.length > 0
        ? "every desired origin is already bound by others"
        : "no ready endpoints";
    return {
      kind: "hold",
      reason: "EmptyEndpoints",
      message: `${why}: keeping the ${ours.length} bound origin(s); set allowEmpty to let the set become empty`,
    };
  }

  const missing = [...new Set([...added, ...updated].map((w) => w.ip))].filter(
    (ip) => !input.originIds.has(ip) && !listener.bound.some((b) => b.ip === ip),
  );
  if (missing.length > 0) return { kind: "register", ips: missing.sort() };
  const idOf = (ip: string) =>
    input.originIds.get(ip) ?? (listener.bound.find((b) => b.ip === ip)?.realServerId as string);

  const emptyAllowed = wanted.length === 0 && spec.allowEmpty;
  const overLimit = ours.length > 0 && (removed.length / ours.length) * 100 > spec.maxUnbindPercent;
  if (overLimit && !emptyAllowed) {
    if (added.length === 0 && updated.length === 0) {
      return {
        kind: "hold",
        reason: "MassUnbind",
        message: `removing ${removed.length} of ${ours.length} bound origins exceeds maxUnbindPercent (${spec.maxUnbindPercent}%)`,
      };
    }
    // Add and update now, keep the removals for a later step (which may then fall under the limit).
    const next = [
      ...ours.map((b) => {
        const w = wanted.find((x) => originKey(x) === originKey(b));
        return w ? { ...w, realServerId: b.realServerId } : b;
      }),
      ...added.map((w) => ({ ...w, realServerId: idOf(w.ip) })),
    ];
    if (foreign.length + next.length > input.maxOrigins) {
      return {
        kind: "hold",
        reason: "MassUnbind",
        message: `removing ${removed.length} of ${ours.length} bound origins exceeds maxUnbindPercent (${spec.maxUnbindPercent}%), and adding first would exceed the listener's limit of ${input.maxOrigins}`,
      };
    }
    return {
      kind: "bind",
      set: [...foreign, ...next],
      owned: [...new Set([...owned, ...removed.map(originKey)])].sort(),
      change: { added: added.length, removed: 0, updated: updated.length },
      heldRemovals: removed.length,
    };
  }

  return {
    kind: "bind",
    set: [...foreign, ...wanted.map((w) => ({ ...w, realServerId: idOf(w.ip) }))],
    owned,
    change: { added: added.length, removed: removed.length, updated: updated.length },
  };
}

/** On deletion with policy Unbind: keep only others' entries (Exclusive: nothing). */
export function planRelease(spec: ResolvedSpec, listener: ListenerState, owned: ReadonlySet<string>): Plan {
  if (listener.status !== 0) {
    return {
      kind: "wait",
      reason: "ListenerBusy",
      message: `listener status is ${listener.status}, not 0 (running)`,
    };
  }
  const { ours, foreign } = splitOwnership(spec, listener, owned);
  if (ours.length === 0) return { kind: "inSync", owned: [] };
  return { kind: "bind", set: foreign, owned: [], change: { added: 0, removed: ours.length, updated: 0 } };
}
