// The task time a plan reckons with: GAAP does not document how long a bind task takes, so what must cover a
// whole task (a termination hold, the lead a held removal keeps) is sized from the longest seen. Pure.

/** Once a task was seen, one is never planned for as shorter than this (GAAP's are seconds; the emulator's less). */
export const SHORTEST_TASK_MS = 5_000;

/**
 * A task as taken before any was seen on the account (by termination holds, and the lead a held removal keeps):
 * GAAP does not document its task time, and a slow bind task of tens of seconds must be covered.
 */
export const UNSEEN_TASK_MS = 30_000;

/**
 * The task time to plan for, from the longest seen on the listener (ms, 0: none), else on the account, else
 * UNSEEN_TASK_MS; never less than SHORTEST_TASK_MS. Termination holds are sized from it, and held removals keep it
 * in hand.
 */
export function plannedTaskMs(listenerMs: number, accountMs: number): number {
  const seen = listenerMs > 0 ? listenerMs : accountMs;
  return seen > 0 ? Math.max(SHORTEST_TASK_MS, seen) : UNSEEN_TASK_MS;
}
