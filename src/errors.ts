// One error type for the operator, with a stable code and a kind that says what to do about it. GAAP failures
// (gaap/errors.ts) and Kubernetes failures (kube/errors.ts) are wrapped into it, so retry decisions are made in one
// place.

export type ErrorKind =
  /** The listener is busy with a task: wait for it, without growing backoff. */
  | "busy"
  /** Over a rate limit: back off with jitter. */
  | "throttled"
  /** Server or transport trouble that a retry may fix: back off with jitter. */
  | "transient"
  /** The thing named does not exist. */
  | "notFound"
  /** The channel is not running (closed, isolated, migrating): retry slowly. */
  | "unavailable"
  /** Optimistic-concurrency conflict: re-read and retry at once. */
  | "conflict"
  /** Configuration or permission problem a retry will not fix soon: report it and retry slowly. */
  | "config";

export class OperatorError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly requestId?: string;
  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { cause?: unknown; requestId?: string } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "OperatorError";
    this.kind = kind;
    this.code = code;
    if (opts.requestId) this.requestId = opts.requestId;
  }
}

/** A failure a retry of the same call may fix: server or transport trouble, or throttling. */
export function isRetryable(err: unknown): err is OperatorError {
  return err instanceof OperatorError && (err.kind === "transient" || err.kind === "throttled");
}
