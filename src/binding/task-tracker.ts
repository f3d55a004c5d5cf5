// GAAP applies a bind asynchronously and gives no task id: the listener is busy until it is done. The tracker
// remembers the binds this process sent, so nobody reads GAAP (or binds again) before the task can have finished,
// and learns from what it sees how long tasks take. When a task is seen done, the removals of pods in their
// termination hold that it carried are handed on (onApplied), to be measured against their holds.
import type { TargetState } from "../gaap/types.ts";
import type { Clock } from "../runtime/clock.ts";
import { PeakWindow } from "../runtime/peak-window.ts";
import { type DrainedRemoval, HOLD_END_SLACK_MS } from "./logic/hold-overrun.ts";

const LONGEST_TASK_MS = 60_000;
const SHORTEST_ESTIMATE_MS = 100;
/** How long the longest task seen is remembered, for what must cover a whole task (the termination hold). */
const LONGEST_WINDOW_MS = 3_600_000;
/** The key of the longest task on any listener. */
const ANY = "";

/** The removals of held pods a bind carries, and whose bind it is. */
export interface Drained {
  binding: string;
  removals: DrainedRemoval[];
}

/**
 * What is known of when GAAP applied a bind: after `after` (the last read that still saw its task running, or the
 * send) and by `by` (the read that saw it done); it was sent at `sentAt`.
 */
export interface Applied {
  sentAt: number;
  after: number;
  by: number;
}

type InFlight = { sentAt: number; expectedAt: number; busyAt?: number; ruleId?: string; drained?: Drained };

export class BindTaskTracker {
  private readonly clock: Clock;
  /** Our bind in flight per listener, and which of its rules it writes (none: the listener's own set). */
  private readonly inflight = new Map<string, InFlight>();
  private readonly onApplied:
    | ((binding: string, removals: DrainedRemoval[], when: Applied) => void)
    | undefined;
  private estimate: number;
  private readonly longest: PeakWindow;
  private sweptAt = 0;

  constructor(
    initialEstimateMs: number,
    clock: Clock,
    onApplied?: (binding: string, removals: DrainedRemoval[], when: Applied) => void,
  ) {
    this.onApplied = onApplied;
    this.estimate = initialEstimateMs;
    this.clock = clock;
    this.longest = new PeakWindow(LONGEST_WINDOW_MS, clock);
  }

  /**
   * The longest a bind took within the last hour, from sending it to seeing the listener running again (so never
   * less than the task itself); 0 before any was seen. The estimate tracks the typical task, this the worst.
   */
  get longestMs(): number {
    return this.longest.peak(ANY);
  }

  /** The same, for one listener. */
  longestOn(listenerId: string): number {
    return this.longest.peak(listenerId);
  }

  /** How long GAAP is expected to take to apply a bind. */
  get estimateMs(): number {
    return this.estimate;
  }

  /** A bind to this listener (or to this rule of it) was just sent, removing these origins of held pods. */
  sent(listenerId: string, ruleId?: string, drained?: Drained): void {
    const now = this.clock.now();
    this.dropStale(now);
    // A bind never read back done (only after its task can a new one go) was applied by now.
    const before = this.inflight.get(listenerId);
    if (before) this.applied(before, now);
    // A bind that removes pods in their hold is looked at when the first hold surely ends, if that comes before the
    // task is expected done: still running then, it is late, and the polls that follow tell by how much.
    const holdEnd = Math.min(...(drained?.removals ?? []).map((r) => r.endsAt + HOLD_END_SLACK_MS));
    const lookAt = holdEnd > now ? Math.min(now + this.estimate, holdEnd) : now + this.estimate;
    this.inflight.set(listenerId, {
      sentAt: now,
      expectedAt: lookAt,
      ...(ruleId ? { ruleId } : {}),
      ...(drained && drained.removals.length > 0 ? { drained } : {}),
    });
  }

  /** The rule of this listener our bind in flight writes: a read of a sibling rule must look at it too. */
  inflightRule(listenerId: string): string | undefined {
    return this.inflight.get(listenerId)?.ruleId;
  }

  /** Milliseconds until our bind on this listener should be applied, or undefined when none is pending. */
  pending(listenerId: string): number | undefined {
    const p = this.inflight.get(listenerId);
    const left = p ? p.expectedAt - this.clock.now() : 0;
    return left > 0 ? left : undefined;
  }

  /**
   * What a read of the listener (or of one of its rules: `ruleId`) showed. We look when we expect the task done, so the estimate must be able to
   * shrink as well as grow: done at the first look says it may be shorter (10% off), still busy says it is longer
   * (move towards what it took, polling included).
   */
  observe(listenerId: string, listenerStatus: number, ruleId?: string): void {
    const p = this.inflight.get(listenerId);
    // Only a read of what the bind wrote tells whether its task is over: a sibling rule's status says nothing.
    if (!p || p.ruleId !== ruleId) return;
    const now = this.clock.now();
    if (listenerStatus !== 0) {
      p.busyAt = now;
      return;
    }
    this.inflight.delete(listenerId);
    this.applied(p, now);
    const took = Math.min(now - p.sentAt, LONGEST_TASK_MS);
    this.longest.observe(ANY, took);
    this.longest.observe(listenerId, took);
    this.estimate =
      p.busyAt !== undefined
        ? Math.round(0.7 * this.estimate + 0.3 * took)
        : Math.max(SHORTEST_ESTIMATE_MS, Math.round(this.estimate * 0.9));
  }

  /**
   * A bind nobody read back (its binding deleted, its listener or rule gone) is forgotten once its task must be
   * over, swept at most once a minute.
   */
  private dropStale(now: number): void {
    if (now - this.sweptAt < LONGEST_TASK_MS) return;
    this.sweptAt = now;
    for (const [id, p] of this.inflight) {
      if (now <= p.expectedAt + LONGEST_TASK_MS) continue;
      this.inflight.delete(id);
      this.applied(p, now);
    }
  }

  /** Hands on the removals of held pods a bind carried, once it is known applied (by `by`). */
  private applied(p: InFlight, by: number): void {
    if (p.drained)
      this.onApplied?.(p.drained.binding, p.drained.removals, {
        sentAt: p.sentAt,
        after: p.busyAt ?? p.sentAt,
        by,
      });
  }

  /** What a pass read: the listener's status, or the status of each rule the read saw. */
  observeRead(t: TargetState): void {
    if (t.ruleStatuses)
      for (const [ruleId, status] of t.ruleStatuses) this.observe(t.listenerId, status, ruleId);
    else if (!t.rule) this.observe(t.listenerId, t.status);
  }
}
