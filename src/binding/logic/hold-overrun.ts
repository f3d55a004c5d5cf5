// Whether termination holds were long enough, measured: GAAP applied the removal of a pod's origin at some moment,
// and the pod's hold ended at another; past its hold the pod gets SIGTERM and may be gone while GAAP still sends it
// users. Pure: from the removals a bind carried and what is known of when its task ended, the overrun and the event.
// A removal counts as late only where that is certain, so the alert on it never cries wolf: the task ended no earlier
// than the last read that saw it running, and the hold no later than a second after holdEndsAt (deletionTimestamp
// has whole seconds). How late is measured to the read that saw the task done: too much by at most one read's wait,
// which is short where it matters (a bind that removes held pods is looked at when the first hold ends).
import type { BindingEvent } from "../../model/binding-event.ts";
import type { Applied } from "../task-tracker.ts";
import type { Drain } from "./drain.ts";

/** How much later than holdEndsAt a hold may really end: deletionTimestamp is cut to whole seconds. */
export const HOLD_END_SLACK_MS = 1000;

/** An origin of a pod in its termination hold, removed by a bind. */
export interface DrainedRemoval extends Drain {
  /** ip:port */
  origin: string;
}

export interface HoldOverrun {
  /** Removals of pods in their hold that GAAP applied. */
  removals: number;
  /** Those surely applied after the pod's hold had ended, with how long after (ms, up to the read that saw it). */
  late: Array<DrainedRemoval & { overrunMs: number }>;
  /** The sum of the overruns, in seconds: origin-seconds GAAP spent on pods past their hold. */
  overrunSeconds: number;
  /** Of the late ones, how many were sent only after the hold had ended (held back by a safety rule, a busy listener). */
  sentLate: number;
}

/**
 * Measures the removals against their holds: late when the task surely ended after the hold surely had, by as much
 * as the read that saw it done says.
 */
export function measureHolds(removals: readonly DrainedRemoval[], when: Applied): HoldOverrun {
  const late = removals
    .filter((r) => when.after > r.endsAt + HOLD_END_SLACK_MS)
    .map((r) => ({ ...r, overrunMs: when.by - (r.endsAt + HOLD_END_SLACK_MS) }));
  const overrunSeconds = late.reduce((sum, r) => sum + r.overrunMs, 0) / 1000;
  const sentLate = late.filter((r) => when.sentAt > r.endsAt + HOLD_END_SLACK_MS).length;
  return { removals: removals.length, late, overrunSeconds, sentLate };
}

/** The binding's event for removals applied after their holds ended, naming the hold that would have covered them. */
export function overrunEvent(o: HoldOverrun): BindingEvent | undefined {
  if (o.late.length === 0) return undefined;
  const worst = o.late.reduce((a, b) => (b.overrunMs > a.overrunMs ? b : a));
  // The hold as measured ends up to HOLD_END_SLACK_MS after holdEndsAt: what it would have needed counts from there.
  const needed = Math.max(
    ...o.late.map((r) => Math.ceil(r.holdSeconds + (HOLD_END_SLACK_MS + r.overrunMs) / 1000)),
  );
  const pods = o.late.map((r) => `${r.pod} (${r.origin}, hold ${r.holdSeconds}s)`);
  const list =
    pods.length <= 3 ? pods.join(", ") : `${pods.slice(0, 3).join(", ")} and ${pods.length - 3} more`;
  return {
    type: "Warning",
    reason: "TerminationHoldTooShort",
    action: "Unbind",
    note: `GAAP applied the removal of ${o.late.length} origin(s) up to ${(worst.overrunMs / 1000).toFixed(1)}s after the pod's termination hold ended: ${list}; a hold of ${needed}s would have covered it (set spec.terminationHoldSeconds, or raise terminationGracePeriodSeconds if the hold was cut to fit it)${o.sentLate > 0 ? `; ${o.sentLate} of them were sent only after the hold had ended (held back by a safety rule, a busy listener or a change of leader)` : ""}`,
  };
}
