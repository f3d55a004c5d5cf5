// What a failed pass under the listener lock does next, by the error's kind. A transient GAAP or Kubernetes error
// (server trouble, throttling, transport) retries on a short per-binding backoff with a low cap: the process-wide
// token buckets are what protect GAAP, so after an outage every binding is back within the cap. There is no
// overall limit on these retries on purpose: each one waits for GAAP's read budget, and the same error again writes
// no status. A busy listener is a short poll, not a failure. Errors a retry will not soon fix are reported with an
// event and retried slowly. (Failures outside the lock, such as a finalizer patch, go to the work queue's own
// limiter, capped by the same --retry-max-delay.)
import type { OperatorError } from "../errors.ts";
import { jitter } from "../runtime/jitter.ts";
import type { RateLimiter } from "../runtime/queue.ts";

export interface ErrorPolicySettings {
  busyPollMs: number;
  /** Retry interval of configuration and permission errors (jittered). */
  slowRetryMs: number;
}

export type ErrorDecision =
  /**
   * Come back after this delay. "retrying": the status shows the error, but not the retry time, so the same
   * error again writes nothing (an outage must not turn into a status write per binding per retry). "stuck": the
   * status shows the retry time too, and an event tells the user.
   */
  | { requeueAfterMs: number; report: "none" | "retrying" | "stuck" }
  /** Not ours to judge (a stale cache behind our own write): hand it to the work queue. */
  | { rethrow: true };

export class ErrorPolicy {
  private readonly settings: ErrorPolicySettings;
  private readonly backoff: RateLimiter;
  private readonly random: () => number;

  constructor(settings: ErrorPolicySettings, backoff: RateLimiter, random: () => number = Math.random) {
    this.settings = settings;
    this.backoff = backoff;
    this.random = random;
  }

  decide(key: string, err: OperatorError): ErrorDecision {
    switch (err.kind) {
      case "busy":
        return { requeueAfterMs: this.settings.busyPollMs, report: "none" };
      case "conflict":
        return { rethrow: true };
      case "transient":
      case "throttled":
        return { requeueAfterMs: this.backoff.when(key), report: "retrying" };
      default:
        return { requeueAfterMs: jitter(this.settings.slowRetryMs, this.random), report: "stuck" };
    }
  }

  /** A pass that did not fail: the next failure starts from the base delay again. */
  succeeded(key: string): void {
    this.backoff.forget(key);
  }
}
