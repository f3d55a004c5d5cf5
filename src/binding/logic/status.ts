// What a reconcile pass found and did, turned into the binding's status. Pure.
import type { BoundServer, Condition, ConditionType, GaapListenerBindingStatus } from "../../api/types.ts";
import type { OperatorError } from "../../errors.ts";
import { type BoundOrigin, isLayer7, type TargetState } from "../../gaap/types.ts";
import type { Change } from "./plan.ts";

export interface ConditionSpec {
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/** Sets conditions, keeping lastTransitionTime where a condition's status did not change. */
export function withConditions(
  existing: readonly Condition[] | undefined,
  next: Partial<Record<ConditionType, ConditionSpec>>,
  generation: number | undefined,
  now: string,
): Condition[] {
  const order: ConditionType[] = ["Ready", "Synced", "Progressing", "Degraded"];
  const out: Condition[] = [];
  for (const type of order) {
    const old = existing?.find((c) => c.type === type);
    const want = next[type];
    if (!want) {
      if (old) out.push(old);
      continue;
    }
    out.push({
      type,
      status: want.status,
      reason: want.reason,
      message: want.message.slice(0, 32_000),
      lastTransitionTime: old && old.status === want.status ? old.lastTransitionTime : now,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    });
  }
  return out;
}

export type Outcome =
  | {
      phase: "inSync";
      target: TargetState;
      ours: BoundOrigin[];
      owned: string[];
      desiredCount: number;
      notes: string[];
    }
  | {
      phase: "binding";
      target: TargetState;
      ours: BoundOrigin[];
      owned: string[];
      desiredCount: number;
      change: Change;
      /** Removals the breaker held back (plan.ts judgeRemovals), and why. */
      held?: { removals: number; message: string };
      notes: string[];
    }
  | { phase: "waiting"; target: TargetState; ours: BoundOrigin[]; message: string; desiredCount?: number }
  /** A bind waiting for the pods on their way (plan.ts coalesceBind): Ready stays as it was. */
  | {
      phase: "coalescing";
      target: TargetState;
      ours: BoundOrigin[];
      message: string;
      desiredCount?: number;
    }
  | {
      phase: "held";
      target?: TargetState;
      ours?: BoundOrigin[];
      reason: string;
      message: string;
      desiredCount?: number;
    }
  | { phase: "conflict"; message: string }
  | { phase: "notPermitted"; message: string }
  | { phase: "error"; error: OperatorError; retryAt?: Date; target?: TargetState; desiredCount?: number };

/** Errors a retry will not soon fix: the binding is Degraded and not Ready until they clear. */
const persistent = (e: OperatorError) =>
  e.kind === "config" || e.kind === "notFound" || e.kind === "unavailable";

export function toBoundServers(ours: readonly BoundOrigin[]): BoundServer[] {
  return ours.map((o) => ({
    ip: o.ip,
    port: o.port,
    ...(o.weight === undefined ? {} : { weight: o.weight }),
    ...(o.role ? { role: o.role } : {}),
    realServerId: o.realServerId,
  }));
}

const describeChange = (c: Change) => `+${c.added} -${c.removed} ~${c.updated}`;

export function composeStatus(
  prev: GaapListenerBindingStatus | undefined,
  generation: number | undefined,
  outcome: Outcome,
  now: Date,
  /** What the operator has learned of the listener: the longest bind task (whole seconds) of the last hour, if any. */
  learned?: { longestTaskSeconds?: number },
): GaapListenerBindingStatus {
  const at = now.toISOString().replace(/\.\d+Z$/, "Z");
  const next: GaapListenerBindingStatus = { ...(prev ?? {}) };
  delete next.nextRetryTime;
  next.observedGeneration = generation;
  const ok = { status: "True" as const, reason: "Synced", message: "GAAP state read and acted on" };
  const idle = { status: "False" as const, reason: "Idle", message: "no change in progress" };
  const fine = { status: "False" as const, reason: "AsExpected", message: "no problem found" };

  if ("target" in outcome && outcome.target) {
    const l = outcome.target;
    // The last hour's longest task; after an hour without one (or in a process that has seen none yet), the last
    // measurement stands: the webhook sizes termination holds from it, and a guess would be worse.
    const seconds = learned?.longestTaskSeconds || prev?.listener?.longestTaskSeconds;
    const longest = seconds ? { longestTaskSeconds: seconds } : {};
    if (l.rule) {
      // A rule's listener has no scheduler or origins of its own; the rule's are reported beside it.
      next.listener = { protocol: l.protocol, port: l.port, ...longest };
      next.rule = {
        ruleId: l.rule.ruleId,
        domain: l.rule.domain,
        path: l.rule.path,
        scheduler: l.scheduler,
        status: l.rule.status,
        healthCheck: l.healthCheck,
        health: l.rule.healthy ? "Normal" : "Abnormal",
      };
    } else {
      next.listener = {
        protocol: l.protocol,
        port: l.port,
        ...(isLayer7(l.protocol) ? {} : { scheduler: l.scheduler, failoverSwitch: l.failoverSwitch }),
        status: l.status,
        ...longest,
      };
      delete next.rule;
    }
  }
  if ("ours" in outcome && outcome.ours) {
    next.boundServers = toBoundServers(outcome.ours);
    next.boundCount = outcome.ours.length;
    const healthChecked = "target" in outcome && outcome.target?.healthCheck;
    next.unhealthyCount = healthChecked ? outcome.ours.filter((o) => o.health === 1).length : 0;
  }
  if ("owned" in outcome) next.ownedServers = outcome.owned;
  if ("desiredCount" in outcome && outcome.desiredCount !== undefined)
    next.desiredCount = outcome.desiredCount;

  let conditions: Parameters<typeof withConditions>[1];
  switch (outcome.phase) {
    case "inSync": {
      const n = outcome.ours.length;
      const notes = outcome.notes.length > 0 ? `; ${outcome.notes.join("; ")}` : "";
      conditions = {
        Ready: { status: "True", reason: "InSync", message: `GAAP holds the ${n} desired origin(s)${notes}` },
        Synced: ok,
        Progressing: idle,
        Degraded: fine,
      };
      next.lastSyncTime = at;
      delete next.lastError;
      break;
    }
    case "binding": {
      const held = outcome.held ? `; ${heldNote(outcome.held)}` : "";
      conditions = {
        Ready: {
          status: "False",
          reason: "Binding",
          message: `binding ${outcome.desiredCount} origin(s) (${describeChange(outcome.change)})${held}`,
        },
        Synced: ok,
        Progressing: {
          status: "True",
          reason: "Binding",
          message: `bind sent; waiting for GAAP to apply it${held}`,
        },
        Degraded: outcome.held ? { status: "True", reason: "MassUnbind", message: held.slice(2) } : fine,
      };
      break;
    }
    case "waiting":
      conditions = {
        Ready: { status: "False", reason: "ListenerBusy", message: outcome.message },
        Synced: ok,
        Progressing: { status: "True", reason: "ListenerBusy", message: outcome.message },
      };
      break;
    case "coalescing":
      conditions = {
        Synced: ok,
        Progressing: { status: "True", reason: "Coalescing", message: outcome.message },
      };
      break;
    case "held":
      conditions = {
        Ready: { status: "False", reason: outcome.reason, message: outcome.message },
        Synced: ok,
        Progressing: idle,
        Degraded: { status: "True", reason: outcome.reason, message: outcome.message },
      };
      break;
    case "conflict":
      conditions = {
        Ready: { status: "False", reason: "ListenerConflict", message: outcome.message },
        Synced: { status: "False", reason: "ListenerConflict", message: outcome.message },
        Progressing: idle,
        Degraded: { status: "True", reason: "ListenerConflict", message: outcome.message },
      };
      break;
    case "notPermitted": {
      // What is bound stays bound (a revoked grant never unbinds); nothing new is bound until a grant covers it.
      const refused = { status: "False" as const, reason: "NotPermitted", message: outcome.message };
      conditions = {
        Ready: refused,
        Synced: refused,
        Progressing: idle,
        Degraded: { ...refused, status: "True" },
      };
      break;
    }
    case "error": {
      const e = outcome.error;
      // The same error again keeps its first time: a status is not rewritten on every retry.
      const same = prev?.lastError?.code === e.code && prev.lastError.message === e.message;
      next.lastError = { code: e.code, message: e.message, time: same ? (prev?.lastError?.time ?? at) : at };
      if (outcome.retryAt) next.nextRetryTime = outcome.retryAt.toISOString().replace(/\.\d+Z$/, "Z");
      const failed = { status: "False" as const, reason: reasonOf(e.code), message: e.message };
      conditions = persistent(e)
        ? { Ready: failed, Synced: failed, Progressing: idle, Degraded: { ...failed, status: "True" } }
        : {
            Synced: failed,
            ...(prev?.conditions?.some((c) => c.type === "Ready")
              ? {}
              : { Ready: { ...failed, status: "Unknown" } }),
          };
      break;
    }
  }
  next.conditions = withConditions(prev?.conditions, conditions, generation, at);
  return next;
}

/**
 * A GAAP code as a condition (and event) reason, still readable as the code: a condition reason may not hold a dot, so
 * each dot becomes an underscore ("FailedOperation.ListenerHasTask" -> "FailedOperation_ListenerHasTask"), anything
 * else outside [A-Za-z0-9_] is dropped, and one that does not start with a letter gets "Error" in front.
 */
export function reasonOf(code: string): string {
  const r = code
    .replace(/\./g, "_")
    .replace(/[^A-Za-z0-9_]/g, "")
    .replace(/_+$/, "");
  return /^[A-Za-z]/.test(r) ? r : `Error${r}`;
}

/** What a bind that the breaker let through only in part says about the removals it held back. */
export function heldNote(held: { removals: number; message: string }): string {
  return `${held.message}: ${held.removals} removal(s) held back for a later step`;
}
