// The timings the integration tests run with, and deadlines derived from them. A wait that fails says the operator
// missed a bound it promises, not that a guess was short.

/** What FAST (testenv/operator.ts) and the scenario's emulator set. */
export const TIMING = {
  verifyMs: 3000,
  busyPollMs: 100,
  gcDelayMs: 200,
  /** --retry-max-delay: the longest a binding waits between retries of a transient failure. */
  retryMaxMs: 4000,
  /** The backoff's first step (fixed in the operator). */
  retryBaseMs: 1000,
  /** --task-estimate left at its default: the first wait after a bind. */
  taskEstimateMs: 1000,
  /** The scenario emulator's bindTaskMs. */
  bindTaskMs: 500,
};

/**
 * One pass of the local world on a loaded 2-core machine: an event reaching the operator, a reconcile, the bind,
 * its task, and the test's own poll. A margin for a busy machine (CI runs beside other work), not a speed target.
 */
export const PASS_MS = 5000;

/** A change that meets no fault: the operator's first wait after the bind, the task, and one pass. */
export const SETTLED_MS = TIMING.taskEstimateMs + TIMING.bindTaskMs + PASS_MS;

/** docs/how-it-behaves.md's promise: after a GAAP outage ends, every binding converges within the retry cap plus one pass. */
export const AFTER_OUTAGE_MS = TIMING.retryMaxMs + SETTLED_MS;

/** Failures in a row after which a binding's backoff has reached its cap (1 s doubling: 1, 2, 4, 4, ...). */
export const FAILURES_TO_CAP = Math.ceil(Math.log2(TIMING.retryMaxMs / TIMING.retryBaseMs)) + 1;

/**
 * Converging while a share of calls fails: each failed pass costs at most the retry cap, so `passes` passes in a
 * row may fail before the deadline. Tests pick `passes` from the fault rate: P(all fail) is then negligible.
 */
export function throughFaults(passes: number): number {
  return passes * (TIMING.retryMaxMs + PASS_MS) + SETTLED_MS;
}
