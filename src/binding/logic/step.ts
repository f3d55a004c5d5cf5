// The whole of one reconcile step, computed without I/O from what the pass read: the status to write, the bind to
// send, the events to record and when to come back. The applier (apply.ts) carries it out; nothing here talks to
// anything.
import type { GaapListenerBinding, ResolvedSpec } from "../../api/types.ts";
import type { BindTarget } from "../../gaap/types.ts";
import { type BoundOrigin, type TargetState, targetName } from "../../gaap/types.ts";
import type { BindingEvent } from "../../model/binding-event.ts";
import type { GateFacts } from "../../model/gate-facts.ts";
import type { Desired } from "./desired.ts";
import type { Drain } from "./drain.ts";
import type { DrainedRemoval } from "./hold-overrun.ts";
import { originKey } from "./origin.ts";
import { type Change, type Plan, type PlanInput, plan, planRelease, splitOwnership } from "./plan.ts";
import { heldNote, type Outcome } from "./status.ts";

/** Why the key comes back, and so after how long: the applier knows the settings and the task estimate. */
export type Requeue = "busyPoll" | "hold" | "verify" | "afterBind";

/** What to do now. */
export interface Act {
  kind: "act";
  /** Written first: before a bind, it records what the binding is about to own. */
  outcome?: Outcome;
  bind?: {
    target: BindTarget;
    set: BoundOrigin[];
    change: Change;
    /** IPs of the set whose IDs came from the registry, not from the listener: the ones that can be stale. */
    unheld: string[];
    /** Origins of pods in their termination hold that the bind removes: measured against their holds once applied. */
    drained?: DrainedRemoval[];
  };
  /** Recorded after the bind was sent (or after the status, when there is no bind). */
  events: BindingEvent[];
  requeue: Requeue;
  /** Origins may have been freed: sweep soon. */
  sweep?: boolean;
  /** The binding's desired and bound counts, for the origins gauge. */
  counts?: { desired: number | undefined; bound: number };
  /** A safety rule held (some of) the change back, for the holds metric. */
  held?: string;
  /** The bind repairs drift someone else caused, for the drift metric. */
  drift?: boolean;
  /** What the pass learnt for the readiness gates of the binding's pods (Pod mode). */
  gates?: GateFacts;
  /** Come back after exactly this long (a coalesced bind's deadline), instead of what `requeue` says. */
  requeueAfterMs?: number;
  /** Gated additions are waiting for the rest of their wave (the reconciler times the batch window). */
  batching?: boolean;
}

/** Origins without an ID must be registered first; the step is computed again afterwards. */
export type Step = { kind: "register"; ips: string[] } | Act;

export interface SyncInput extends PlanInput {
  binding: GaapListenerBinding;
  desired: Desired;
  /**
   * Origins of pods seen in their termination hold that GAAP still holds for the binding, remembered after the pod
   * is gone: what a removal is measured against (drainedBy).
   */
  held?: ReadonlyMap<string, Drain>;
}

export function syncStep(input: SyncInput): Step {
  const { binding: b, spec, desired, target, owned } = input;
  const p = plan(input);
  if (p.kind === "register") return p;
  const { ours } = splitOwnership(spec, target, owned);
  const desiredCount = desired.ok ? desired.origins.length : undefined;
  const counted = desiredCount === undefined ? {} : { desiredCount };
  const notes = desired.ok ? desired.notes : [];
  const gates = spec.targetType === "Pod" ? { gates: gateFacts(input, p) } : {};
  const seen = { target, ours, ...counted };
  switch (p.kind) {
    case "wait":
    case "coalesce": {
      // Nothing to send yet: a listener busy with another task, or a bind waiting for the rest of its wave.
      const quiet: Act = {
        kind: "act",
        outcome: { phase: p.kind === "wait" ? "waiting" : "coalescing", ...seen, message: p.message },
        events: [],
        requeue: "busyPoll",
        ...gates,
      };
      if (p.kind === "wait") return quiet;
      return {
        ...quiet,
        requeueAfterMs: Math.max(0, p.untilMs - (input.now ?? p.untilMs)),
        ...(p.batching ? { batching: true } : {}),
        counts: { desired: desiredCount, bound: ours.length },
      };
    }
    case "hold":
      return {
        kind: "act",
        outcome: { phase: "held", ...seen, reason: p.reason, message: p.message },
        events: [{ type: "Warning", reason: p.reason, action: "Hold", note: p.message }],
        requeue: "hold",
        held: p.reason,
        ...gates,
      };
    case "inSync": {
      const removed = (b.status?.boundServers ?? []).some((s) => !ours.some((o) => o.ip === s.ip));
      return {
        kind: "act",
        outcome: {
          phase: "inSync",
          target,
          ours,
          owned: p.owned,
          desiredCount: desiredCount ?? 0,
          notes,
        },
        events: [],
        requeue: "verify",
        sweep: removed,
        counts: { desired: desiredCount, bound: ours.length },
        ...gates,
      };
    }
    case "bind": {
      const drift = isDrift(b, ours);
      const what = `bound ${p.set.length} origin(s) to ${targetName(target)} (+${p.change.added} -${p.change.removed} ~${p.change.updated})`;
      const events: BindingEvent[] = [
        drift
          ? {
              type: "Warning",
              reason: "DriftRepaired",
              action: "Bind",
              note: `GAAP no longer held the bound set; ${what}`,
            }
          : { type: "Normal", reason: "Bound", action: "Bind", note: what },
      ];
      if (p.held) {
        events.push({ type: "Warning", reason: "MassUnbind", action: "Hold", note: heldNote(p.held) });
      }
      return {
        kind: "act",
        // What this binding is about to own, recorded before GAAP can hold it, so a crash never leaves our own
        // origins looking like someone else's.
        outcome: {
          phase: "binding",
          target,
          ours,
          owned: [...new Set([...owned, ...p.owned])].sort(),
          desiredCount: desiredCount ?? 0,
          change: p.change,
          ...(p.held ? { held: p.held } : {}),
          notes,
        },
        bind: {
          target: bindTarget(target),
          set: p.set,
          change: p.change,
          unheld: unheld(p.set, target),
          ...drainedBy(p.set, ours, input.held ?? input.draining?.draining),
        },
        events,
        requeue: "afterBind",
        ...(p.held ? { held: "MassUnbind" } : {}),
        drift,
        ...gates,
      };
    }
  }
}

/** Holds that keep a gated pod out for a safety rule, as against a binding that cannot work as it is. */
const SAFETY_HOLDS: ReadonlySet<string> = new Set(["MassUnbind", "TooManyOrigins", "EmptyEndpoints"]);

function gateFacts(input: SyncInput, p: Exclude<Plan, { kind: "register" }>): GateFacts {
  const { binding: b, desired, target } = input;
  const name = b.metadata.name as string;
  const podOrigins = new Map<string, string>();
  if (desired.ok) for (const o of desired.origins) if (o.pod) podOrigins.set(o.pod, originKey(o));
  const base = { bindingName: name, target, podOrigins, maxOrigins: input.maxOrigins };
  switch (p.kind) {
    case "wait":
      return { ...base, blocked: { reason: "ListenerBusy", message: p.message } };
    case "hold":
      // A listener of the wrong kind holds nothing of this binding's: its origins say nothing of our pods.
      if (p.reason === "RuleRequired" || p.reason === "RuleNotApplicable")
        return failedGateFacts(b, p.reason, p.message);
      return {
        ...base,
        blocked: SAFETY_HOLDS.has(p.reason)
          ? { reason: "Held", message: `binding ${name} holds: ${p.reason}: ${p.message}` }
          : { reason: "BindingDegraded", message: `binding ${name} is degraded: ${p.reason}: ${p.message}` },
      };
    case "inSync":
      return { ...base, overLimit: new Set(p.overLimit ?? []) };
    case "coalesce":
      return base;
    case "bind":
      return { ...base, sent: new Set(p.set.map(originKey)), overLimit: new Set(p.overLimit ?? []) };
  }
}

/** The gates of a binding whose pass failed before it knew the listener: pods GAAP holds stay as they are. */
export function failedGateFacts(b: GaapListenerBinding, reason: string, message: string): GateFacts {
  const name = b.metadata.name as string;
  return {
    bindingName: name,
    podOrigins: new Map(),
    blocked: { reason: "BindingDegraded", message: `binding ${name} is degraded: ${reason}: ${message}` },
  };
}

/** On deletion with policy Unbind: unbind this binding's entries, or say they are gone already (undefined). */
export function releaseStep(
  spec: ResolvedSpec,
  target: TargetState,
  owned: ReadonlySet<string>,
): Act | undefined {
  const p = planRelease(spec, target, owned);
  if (p.kind === "wait") return { kind: "act", events: [], requeue: "busyPoll" };
  if (p.kind !== "bind") return undefined;
  return {
    kind: "act",
    bind: { target: bindTarget(target), set: p.set, change: p.change, unheld: unheld(p.set, target) },
    events: [
      {
        type: "Normal",
        reason: "Unbinding",
        action: "Unbind",
        note: `unbinding this binding's origins from ${targetName(target)}`,
      },
    ],
    requeue: "afterBind",
  };
}

/** The origins of held pods among those a set leaves out of what GAAP holds for us. */
function drainedBy(
  set: readonly BoundOrigin[],
  ours: readonly BoundOrigin[],
  draining: ReadonlyMap<string, Drain> | undefined,
): { drained?: DrainedRemoval[] } {
  if (!draining || draining.size === 0) return {};
  const kept = new Set(set.map(originKey));
  const drained = ours.flatMap((o) => {
    const origin = originKey(o);
    const d = kept.has(origin) ? undefined : draining.get(origin);
    return d ? [{ origin, ...d }] : [];
  });
  return drained.length > 0 ? { drained } : {};
}

function bindTarget(l: TargetState): BindTarget {
  return l.rule ? { listenerId: l.listenerId, ruleId: l.rule.ruleId } : { listenerId: l.listenerId };
}

function unheld(set: readonly BoundOrigin[], target: TargetState): string[] {
  return set.filter((o) => !target.bound.some((x) => x.realServerId === o.realServerId)).map((o) => o.ip);
}

/** GAAP no longer shows what this binding last confirmed while it was Ready: someone changed it. */
function isDrift(b: GaapListenerBinding, ours: readonly BoundOrigin[]): boolean {
  const ready = b.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return false;
  const shape = (o: { ip: string; port: number; weight?: number; role?: string }) =>
    `${originKey(o)}/${o.weight ?? 1}/${o.role ?? ""}`;
  const confirmed = (b.status?.boundServers ?? []).map(shape).sort().join(",");
  return confirmed !== ours.map(shape).sort().join(",");
}
