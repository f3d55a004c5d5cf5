// What a failed pass does next, by the error's kind: the one place a binding's failures are judged. Pure.
//
// A transient GAAP or Kubernetes error (server trouble, throttling, transport) retries on the key's backoff in the
// work queue, capped low (--retry-max-delay): the process-wide token buckets are what protect GAAP, so after an
// outage every binding is back within the cap, and the same error again writes no status. A busy listener is a short
// poll, not a failure; so is a conflict (our cache is behind our own write). Errors a retry will not soon fix are
// reported with an event and retried slowly.
import type { OperatorError } from "../../errors.ts";
import { CONFLICT_RETRY_MS } from "../../runtime/controller.ts";
import { jitter } from "../../runtime/jitter.ts";

export interface ErrorPolicySettings {
  busyPollMs: number;
  /** Retry interval of configuration and permission errors (jittered). */
  slowRetryMs: number;
}

export type ErrorDecision =
  /** Not a failure: look again after this long. */
  | { kind: "poll"; requeueAfterMs: number }
  /** The status shows the error but not the retry time (an outage must not become a status write per retry). */
  | { kind: "retry" }
  /** The status shows the retry time too, and an event tells the user. */
  | { kind: "stuck"; requeueAfterMs: number };

export function decide(
  err: OperatorError,
  settings: ErrorPolicySettings,
  random: () => number = Math.random,
): ErrorDecision {
  switch (err.kind) {
    case "busy":
      return { kind: "poll", requeueAfterMs: settings.busyPollMs };
    case "conflict":
      return { kind: "poll", requeueAfterMs: CONFLICT_RETRY_MS };
    case "transient":
    case "throttled":
      return { kind: "retry" };
    default:
      return { kind: "stuck", requeueAfterMs: jitter(settings.slowRetryMs, random) };
  }
}
