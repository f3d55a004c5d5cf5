// How long a new pod's termination hold is, and how much longer its grace period gets: pure. A hold is fixed at
// admission, long before the pod is deleted, so it is sized from the best knowledge of GAAP's task time there is
// then, and from a guess that covers slow GAAP when there is none: a hold too long costs a pod's slot for a while,
// a hold too short sends users to a pod that has exited.
import type { GaapListenerBinding } from "../api/types.ts";
import { plannedTaskMs, UNSEEN_TASK_MS } from "../binding/logic/task-time.ts";

/**
 * The most a hold raises a pod's terminationGracePeriodSeconds to: the cluster autoscaler's default
 * --max-graceful-termination-sec, past which a scale-down kills the pod anyway. A grace set longer by its owner is
 * left as it is.
 */
export const MAX_RAISED_GRACE_SECONDS = 600;

/** The longest bind tasks known, in ms (0: none seen). */
export interface TaskHistory {
  /** On the binding's own listener. */
  listenerMs: number;
  /** On any listener of the account. */
  accountMs: number;
}

export interface HoldSize {
  seconds: number;
  /** What it was sized from, for the pod's annotation. */
  basis: string;
}

/**
 * The default hold, in whole seconds (preStop sleep takes seconds): the reaction to the endpoint turning terminating
 * (the EndpointSlice update, the queue, the bind round trip: 3 s), a task that may be running already when the
 * removal is ready to send, the removal's own task, and a 2 s margin. The task is this listener's longest recent
 * one; else the longest on any listener of the account; else UNSEEN_TASK_MS (a hold of 3 + 2 x 30 + 2 = 65 s); at
 * least 5 s (plannedTaskMs).
 */
export function defaultHold(h: TaskHistory): HoldSize {
  const seen = h.listenerMs > 0 ? h.listenerMs : h.accountMs;
  const taskMs = plannedTaskMs(h.listenerMs, h.accountMs);
  const task = `${Math.ceil(seen / 1000)}s${taskMs > seen ? `, taken as ${taskMs / 1000}s` : ""}`;
  const basis =
    h.listenerMs > 0
      ? `the listener's longest bind task, ${task}`
      : h.accountMs > 0
        ? `the account's longest bind task, ${task}`
        : `no bind task seen yet: sized for ${UNSEEN_TASK_MS / 1000}s tasks`;
  return { seconds: Math.ceil((3_000 + 2 * taskMs + 2_000) / 1000), basis };
}

/** What this process has seen itself (the leader's tracker; a standby's is empty). */
export interface LocalTasks {
  longestOn(listenerId: string): number;
  readonly longestMs: number;
}

/**
 * The history a binding's hold is sized from: what this process saw, and what the leader recorded in every binding's
 * status.listener.longestTaskSeconds, so every replica, and a restarted one, answers alike.
 */
export function taskHistory(
  b: GaapListenerBinding,
  all: Iterable<GaapListenerBinding>,
  local: LocalTasks,
): TaskHistory {
  let listenerMs = local.longestOn(b.spec.listenerId);
  let accountMs = local.longestMs;
  for (const other of all) {
    const ms = (other.status?.listener?.longestTaskSeconds ?? 0) * 1000;
    accountMs = Math.max(accountMs, ms);
    if (other.spec.listenerId === b.spec.listenerId) listenerMs = Math.max(listenerMs, ms);
  }
  return { listenerMs, accountMs };
}

/**
 * The hold a pod gets for wanting `wanted` seconds, and its grace period: raised by the hold, so the app keeps the
 * grace its owner set after SIGTERM, up to MAX_RAISED_GRACE_SECONDS in all. The hold always leaves the app at least
 * one second (the kubelet's sleep must fit in the grace).
 */
export function holdAndGrace(wanted: number, grace: number): { seconds: number; grace: number } {
  if (grace >= MAX_RAISED_GRACE_SECONDS) return { seconds: Math.min(wanted, grace - 1), grace };
  const raised = Math.min(Math.max(grace, 1) + wanted, MAX_RAISED_GRACE_SECONDS);
  return { seconds: Math.min(wanted, raised - 1), grace: raised };
}
