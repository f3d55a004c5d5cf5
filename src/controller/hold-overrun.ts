// Whether termination holds were long enough, measured: GAAP applied the removal of a pod's origin at some moment,
// and the pod's hold ended at another; past its hold the pod gets SIGTERM and may be gone while GAAP still sends it
// users. Pure: from the removals a bind carried and when its task was seen done, the overrun and the event.
import type { BindingEvent } from "../model/binding-event.ts";
import type { Drain } from "./desired.ts";

/** An origin of a pod in its termination hold, removed by a bind. */
export interface DrainedRemoval extends Drain {
  /** ip:port */
  origin: string;
}

export interface HoldOverrun {
  /** Removals of pods in their hold that GAAP applied. */
  removals: number;
  /** Those applied after the pod's hold had ended, with how long after (ms). */
  late: Array<DrainedRemoval & { overrunMs: number }>;
  /** The sum of the overruns, in seconds: origin-seconds GAAP spent on pods past their hold. */
  overrunSeconds: number;
}

/**
 * Measures the removals against their holds. `appliedAt` is when a read saw the bind's task done: the task ended
 * at or before it, so an overrun is an upper bound, by at most the time between two reads of the listener.
 */
export function measureHolds(removals: readonly DrainedRemoval[], appliedAt: number): HoldOverrun {
  const late = removals
    .filter((r) => appliedAt > r.endsAt)
    .map((r) => ({ ...r, overrunMs: appliedAt - r.endsAt }));
  const overrunSeconds = late.reduce((sum, r) => sum + r.overrunMs, 0) / 1000;
  return { removals: removals.length, late, overrunSeconds };
}

/** The binding's event for removals applied after their holds ended, naming the hold that would have covered them. */
export function overrunEvent(o: HoldOverrun): BindingEvent | undefined {
  if (o.late.length === 0) return undefined;
  const worst = o.late.reduce((a, b) => (b.overrunMs > a.overrunMs ? b : a));
  const needed = Math.max(...o.late.map((r) => Math.ceil(r.holdSeconds + r.overrunMs / 1000)));
  const pods = o.late.map((r) => `${r.pod} (${r.origin}, hold ${r.holdSeconds}s)`);
  const list =
    pods.length <= 3 ? pods.join(", ") : `${pods.slice(0, 3).join(", ")} and ${pods.length - 3} more`;
  return {
    type: "Warning",
    reason: "TerminationHoldTooShort",
    action: "Unbind",
    note: `GAAP applied the removal of ${o.late.length} origin(s) up to ${(worst.overrunMs / 1000).toFixed(1)}s after the pod's termination hold ended: ${list}; a hold of ${needed}s would have covered it (set spec.terminationHoldSeconds, or raise terminationGracePeriodSeconds if the hold was cut to fit it)`,
  };
}
