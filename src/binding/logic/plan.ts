// Plan: a pure function from the desired origins, what GAAP holds, and the binding's safety policy to the one
// next step: wait, register origins, bind a full set, hold with a reason, or nothing to do. No I/O.
import type { ResolvedSpec } from "../../api/types.ts";
import { type BoundOrigin, busyMessage, isLayer7, type TargetState } from "../../gaap/types.ts";
import type { Desired, Origin } from "./desired.ts";
import type { Drain } from "./drain.ts";
import { originKey } from "./origin.ts";

export type HoldReason =
  | "ServiceNotFound"
  | "ServicePortNotFound"
  | "ServiceHasNoNodePort"
  | "ProtocolMismatch"
  | "EmptyEndpoints"
  | "MassUnbind"
  | "TooManyOrigins"
  | "RuleRequired"
  | "RuleNotApplicable";

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
      /** Removals the circuit breaker holds back for a later step, and why; the rest of the step goes now. */
      held?: { removals: number; message: string };
      /** Gated origins left out for the listener's (or rule's) limit (ip:port). */
      overLimit?: string[];
    }
  | { kind: "hold"; reason: HoldReason; message: string }
  | { kind: "inSync"; owned: string[]; overLimit?: string[] }
  /** Waiting for the pods on their way, to bind them together (coalesceBind), by untilMs at the latest. */
  | { kind: "coalesce"; untilMs: number; message: string; batching: boolean };

export interface PlanInput {
  spec: ResolvedSpec;
  desired: Desired;
  target: TargetState;
  /** ip:port entries this binding bound before (status.ownedServers). Only read under Shared ownership. */
  owned: ReadonlySet<string>;
  /** Registered origin server IDs by IP. */
  originIds: ReadonlyMap<string, string>;
  maxOrigins: number;
  /**
   * The most origins this binding had bound at once within the breaker's window (runtime/peak-window.ts); removals are judged
   * against it as well as against the set of the moment, so a collapse in small steps is held like one big step.
   */
  peak?: number;
  /** Origins of terminating pods still in their termination hold, with when it ends (drain.ts drainingOrigins). */
  draining?: { draining: ReadonlyMap<string, Drain>; additionsComing: boolean; revisionReplaced?: boolean };
  /** Now, and how long before a hold ends its removal must be sent (a task that may be running, its own, a margin). */
  now?: number;
  removalLeadMs?: number;
  /** Additions of gated pods wait for the rest of their wave until then (the batch window from when first seen). */
  batchUntilMs?: number;
}

/** How the listener takes an origin: weights only under wrr, roles only with failover on and IP origins. */
export function shapeFor(listener: TargetState, o: Origin): Omit<BoundOrigin, "realServerId"> {
  return {
    ip: o.ip,
    port: o.port,
    ...(listener.scheduler === "wrr" ? { weight: o.weight } : {}),
    ...(listener.failoverSwitch === 1 && listener.realServerType === "IP"
      ? { role: o.secondary ? "slave" : "master" }
      : {}),
  };
}

/**
 * A binding that names a rule on a TCP/UDP listener, or none on an HTTP/HTTPS one, cannot write anything there:
 * why, or undefined when the two fit.
 */
export function targetMismatch(
  spec: ResolvedSpec,
  listener: TargetState,
): { reason: "RuleRequired" | "RuleNotApplicable"; message: string } | undefined {
  if (spec.rule && !listener.rule) {
    return {
      reason: "RuleNotApplicable",
      message: `listener ${listener.listenerId} is ${listener.protocol}: spec.rule applies only to HTTP/HTTPS listeners, whose origins are bound per forwarding rule; nothing is bound`,
    };
  }
  if (!spec.rule && isLayer7(listener.protocol)) {
    return {
      reason: "RuleRequired",
      message: `listener ${listener.listenerId} is ${listener.protocol}: its origins are bound per forwarding rule; set spec.rule (ruleId, or domain and path); nothing is bound`,
    };
  }
  return undefined;
}

/** Splits what GAAP holds into this binding's entries and everyone else's (none are ours on a mismatch). */
export function splitOwnership(spec: ResolvedSpec, listener: TargetState, owned: ReadonlySet<string>) {
  if (targetMismatch(spec, listener)) return { ours: [] as BoundOrigin[], foreign: listener.bound };
  if (spec.ownership === "Exclusive") return { ours: listener.bound, foreign: [] as BoundOrigin[] };
  return {
    ours: listener.bound.filter((b) => owned.has(originKey(b))),
    foreign: listener.bound.filter((b) => !owned.has(originKey(b))),
  };
}

const sameShape = (a: Omit<BoundOrigin, "realServerId">, b: Omit<BoundOrigin, "realServerId">) =>
  (a.weight ?? 1) === (b.weight ?? 1) && (a.role ?? "") === (b.role ?? "");

/** HTTP and HTTPS run over TCP: what a Service port's protocol must be for the listener. */
const transportOf = (protocol: string) => (isLayer7(protocol) ? "TCP" : protocol);

export function plan(input: PlanInput): Plan {
  const { spec, desired, target: listener } = input;
  const mismatch = targetMismatch(spec, listener);
  if (mismatch) return { kind: "hold", ...mismatch };
  if (listener.status !== 0) return { kind: "wait", reason: "ListenerBusy", message: busyMessage(listener) };
  let origins: Origin[];
  if (!desired.ok) {
    // A missing Service leaves the set as it is, unless the binding allows an empty set.
    if (!(desired.problem === "ServiceNotFound" && spec.allowEmpty)) {
      return { kind: "hold", reason: desired.problem, message: desired.message };
    }
    origins = [];
  } else {
    if (desired.protocol !== transportOf(listener.protocol)) {
      return {
        kind: "hold",
        reason: "ProtocolMismatch",
        message: `the Service port is ${desired.protocol} but listener ${listener.listenerId} is ${listener.protocol}${isLayer7(listener.protocol) ? " (over TCP)" : ""}`,
      };
    }
    origins = desired.origins;
  }

  const { ours, foreign } = splitOwnership(spec, listener, input.owned);
  const foreignKeys = new Set(foreign.map(originKey));
  const oursByKey = new Map(ours.map((b) => [originKey(b), b]));
  // Under Shared, an entry someone else already bound satisfies us as it is: it stays theirs.
  const candidates = origins.filter((o) => !foreignKeys.has(originKey(o)));
  const whose = listener.rule ? "the rule's" : "the listener's";
  const fitted = fitLimit(candidates, foreign.length, input.maxOrigins, oursByKey, whose);
  if ("hold" in fitted) return fitted.hold;
  const overLimit = fitted.overLimit.length > 0 ? { overLimit: fitted.overLimit } : {};
  const wanted = fitted.kept.map((o) => shapeFor(listener, o));
  const wantedKeys = new Set(wanted.map(originKey));
  const added = wanted.filter((w) => !oursByKey.has(originKey(w)));
  const updated = wanted.filter((w) => {
    const have = oursByKey.get(originKey(w));
    return have !== undefined && !sameShape(have, w);
  });
  const removed = ours.filter((b) => !wantedKeys.has(originKey(b)));
  const owned = [...wantedKeys].sort();

  if (added.length === 0 && updated.length === 0 && removed.length === 0)
    return { kind: "inSync", owned, ...overLimit };

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
  const gatedKeys = new Set(fitted.kept.filter((o) => !o.ready).map(originKey));
  const coalescing = coalesceBind(added, updated.length, removed, gatedKeys, input);
  if (coalescing) return coalescing;
  const idOf = (ip: string) =>
    input.originIds.get(ip) ?? (listener.bound.find((b) => b.ip === ip)?.realServerId as string);

  const emptyAllowed = wanted.length === 0 && spec.allowEmpty;
  const breaker = emptyAllowed
    ? undefined
    : judgeRemovals(removed.length, ours.length, wanted.length, input.peak, spec.maxUnbindPercent);
  if (breaker) {
    // The removals that may go now go (abnormal origins first, then by address); the rest wait for a later step.
    const going = new Set(removalOrder(removed).slice(0, breaker.allowed).map(originKey));
    const kept = removed.filter((r) => !going.has(originKey(r)));
    if (added.length === 0 && updated.length === 0 && going.size === 0) {
      return { kind: "hold", reason: "MassUnbind", message: breaker.message };
    }
    const next = [
      ...ours
        .filter((b) => !going.has(originKey(b)))
        .map((b) => {
          const w = wanted.find((x) => originKey(x) === originKey(b));
          return w ? { ...w, realServerId: b.realServerId } : b;
        }),
      ...added.map((w) => ({ ...w, realServerId: idOf(w.ip) })),
    ];
    if (foreign.length + next.length > input.maxOrigins) {
      return {
        kind: "hold",
        reason: "MassUnbind",
        message: `${breaker.message}, and adding first would exceed ${whose} limit of ${input.maxOrigins}`,
      };
    }
    return {
      kind: "bind",
      set: [...foreign, ...next],
      owned: [...new Set([...owned, ...kept.map(originKey)])].sort(),
      change: { added: added.length, removed: going.size, updated: updated.length },
      held: { removals: kept.length, message: breaker.message },
      ...overLimit,
    };
  }

  return {
    kind: "bind",
    set: [...foreign, ...wanted.map((w) => ({ ...w, realServerId: idOf(w.ip) }))],
    owned,
    change: { added: added.length, removed: removed.length, updated: updated.length },
    ...overLimit,
  };
}

/**
 * A bind that can wait for the pods on their way (selected, gated, containers not ready yet), so that a rollout
 * step reaches GAAP in one bind, not in several one task apart:
 * - removals of pods still serving in their termination hold wait no later than the holds allow (a task that may
 *   be running, the removal's own task and a margin before the first hold ends);
 * - additions of gated pods wait for the rest of their wave, at most the batch window after they were first seen
 *   (input.batchUntilMs); so do removals of held pods when no pods are on their way yet (the next step may bring
 *   some), unless no live pod is of their revision any more (the rollout's last step). An addition of a ready pod,
 *   a removal without a hold, or any update goes at once.
 */
function coalesceBind(
  added: readonly Omit<BoundOrigin, "realServerId">[],
  updated: number,
  removed: readonly BoundOrigin[],
  gated: ReadonlySet<string>,
  input: PlanInput,
): Plan | undefined {
  const d = input.draining;
  const now = input.now;
  if (updated > 0 || (added.length === 0 && removed.length === 0) || !d || now === undefined)
    return undefined;
  const ends = removed.map((r) => d.draining.get(originKey(r))?.endsAt);
  if (ends.some((e) => e === undefined)) return undefined;
  if (added.some((a) => !gated.has(originKey(a)))) return undefined;
  if (added.length > 0 && !d.additionsComing) return undefined;
  // The rollout's last step: nothing more will come to bind with these removals.
  if (added.length === 0 && !d.additionsComing && d.revisionReplaced) return undefined;
  const removalBy = ends.length > 0 ? Math.min(...(ends as number[])) - (input.removalLeadMs ?? 0) : Infinity;
  // Removals alone with pods on their way wait for them as long as the holds allow; anything else waits only the
  // batch window: for the rest of a wave, or for the Deployment's next step (it scales the old ReplicaSet down,
  // then the new one up, in separate syncs).
  const batching = !(added.length === 0 && d.additionsComing);
  const untilMs = Math.min(removalBy, batching ? (input.batchUntilMs ?? now) : Infinity);
  if (untilMs <= now) return undefined;
  const what = [
    added.length > 0 ? `adding ${added.length} gated origin(s)` : "",
    removed.length > 0 ? `removing ${removed.length} origin(s) of pods in their termination hold` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  return {
    kind: "coalesce",
    untilMs,
    batching,
    message: `${what} together with the pods on their way, at the latest in ${Math.ceil((untilMs - now) / 1000)}s`,
  };
}

/**
 * The listener's origin limit, without deadlocking a surge rollout: ready origins always, then gated ones (pods
 * waiting on this binding's readiness gate) as room allows, those GAAP holds already first. Only ready origins
 * beyond the limit are TooManyOrigins.
 */
function fitLimit(
  candidates: readonly Origin[],
  foreign: number,
  max: number,
  bound: ReadonlyMap<string, BoundOrigin>,
  whose: string,
): { kept: Origin[]; overLimit: string[] } | { hold: Plan } {
  if (foreign + candidates.length <= max) return { kept: [...candidates], overLimit: [] };
  const ready = candidates.filter((o) => o.ready);
  if (foreign + ready.length > max) {
    const gated = candidates.length - ready.length;
    return {
      hold: {
        kind: "hold",
        reason: "TooManyOrigins",
        message: `${foreign + ready.length} origins (${ready.length} ready from this binding${gated ? `, ${gated} more waiting on its gate` : ""}) exceed ${whose} limit of ${max}`,
      },
    };
  }
  const gated = candidates
    .filter((o) => !o.ready)
    .sort((a, b) => Number(bound.has(originKey(b))) - Number(bound.has(originKey(a))));
  const room = max - foreign - ready.length;
  const keptKeys = new Set([...ready, ...gated.slice(0, room)].map(originKey));
  return {
    kept: candidates.filter((o) => keptKeys.has(originKey(o))),
    overLimit: gated.slice(room).map(originKey).sort(),
  };
}

/**
 * The circuit breaker: how many of these removals may go now, and why not all of them (undefined: all may go). One
 * bind removes at most maxUnbindPercent of the set of the moment, and never leaves the set more than
 * maxUnbindPercent below the window's peak: a collapse in small steps is held like one big step, and a shrink larger
 * than that goes in steps of at most maxUnbindPercent a window. A set too small for maxUnbindPercent to allow one
 * origin still loses one a window (once the window holds nothing above it) when nothing is added, so every shrink
 * finishes; only maxUnbindPercent 0 holds for good. `after` is the set's size with every removal made.
 */
export function judgeRemovals(
  removed: number,
  bound: number,
  after: number,
  peak: number | undefined,
  maxUnbindPercent: number,
): { allowed: number; message: string } | undefined {
  if (removed === 0 || bound === 0) return undefined;
  const share = (n: number) => Math.floor((n * maxUnbindPercent) / 100);
  const top = Math.max(peak ?? 0, bound);
  const byStep = share(bound);
  const byPeak = Math.max(0, after + removed - (top - share(top)));
  const adding = after > bound - removed;
  const allowed = Math.max(
    Math.min(byStep, byPeak),
    maxUnbindPercent > 0 && top === bound && !adding ? 1 : 0,
  );
  if (allowed >= removed) return undefined;
  const message =
    byStep <= byPeak
      ? `removing ${removed} of ${bound} bound origins exceeds maxUnbindPercent (${maxUnbindPercent}%)`
      : `removing ${removed} would leave ${after} bound origin(s), more than maxUnbindPercent (${maxUnbindPercent}%) below the recent peak of ${top}`;
  return { allowed, message };
}

/** Which held-back removals go first: origins GAAP reports abnormal, then in a fixed order (the same input, the same step). */
function removalOrder(removed: readonly BoundOrigin[]): BoundOrigin[] {
  const key = (b: BoundOrigin) => `${b.health === 1 ? 0 : 1} ${originKey(b)}`;
  return [...removed].sort((a, b) => key(a).localeCompare(key(b), "en", { numeric: true }));
}

/** On deletion with policy Unbind: keep only others' entries (Exclusive: nothing). */
export function planRelease(spec: ResolvedSpec, listener: TargetState, owned: ReadonlySet<string>): Plan {
  const { ours, foreign } = splitOwnership(spec, listener, owned);
  if (ours.length === 0) return { kind: "inSync", owned: [] };
  if (listener.status !== 0) return { kind: "wait", reason: "ListenerBusy", message: busyMessage(listener) };
  return { kind: "bind", set: foreign, owned: [], change: { added: 0, removed: ours.length, updated: 0 } };
}
