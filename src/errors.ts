// One error type for the operator, with a stable code and a kind that says what to do about it. Both GAAP
// failures (the SDK's TencentCloudSDKHttpException) and Kubernetes failures (client-node's ApiException) are
// wrapped into it, so retry decisions are made in one place.

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

const prefixed = (code: string, prefixes: string[]) =>
  prefixes.some((p) => code === p || code.startsWith(`${p}.`));

/**
 * The GAAP reference's retry table (§2.4), as error kinds, with the rule-level codes (gaap-layer7.md §A.2): a
 * listener that is not running (ListenerStatusError) is a short wait like ListenerHasTask, a rule whose domain is
 * being changed retries on the short backoff (its status names the code), and a listener on a connection group that
 * takes no rules is configuration.
 */
export function gaapErrorKind(code: string, message = ""): ErrorKind {
  if (code === "FailedOperation.ListenerHasTask" || code === "FailedOperation.ListenerStatusError")
    return "busy";
  if (prefixed(code, ["RequestLimitExceeded"]) || code === "FailedOperation.ActionOperateTooQuickly")
    return "throttled";
  if (code === "ResourceNotFound" || (code === "InvalidParameter" && /Not Exist/i.test(message)))
    return "notFound";
  if (code === "FailedOperation.NotSupportProxyGroup") return "config";
  if (
    [
      "FailedOperation.InstanceStatusNotInRuning",
      "FailedOperation.ProxyStatusNotInRuning",
      "FailedOperation.GroupStatusNotInRuning",
      "FailedOperation.Migration",
      "FailedOperation.ResourceUpgrading",
    ].includes(code)
  ) {
    return "unavailable";
  }
  if (code === "ResourceUnavailable.AccountViolation") return "config";
  if (
    prefixed(code, [
      "InternalError",
      "ServiceUnavailable",
      "ResourceInUse",
      "ResourceUnavailable",
      "AuthFailure.TokenFailure",
    ]) ||
    code === "FailedOperation.ActionIsDoing" ||
    code === "FailedOperation.DomainStatusNotInRunning"
  ) {
    return "transient";
  }
  return "config";
}

interface SdkException {
  code?: string;
  message?: string;
  httpCode?: number;
  requestId?: string;
}

/** Wraps a failure of a GAAP SDK call. A missing `code` means the request never got an API answer. */
export function fromGaapError(action: string, err: unknown): OperatorError {
  if (err instanceof OperatorError) return err;
  const e = (err ?? {}) as SdkException;
  if (!e.code) {
    const what = e.httpCode ? `HTTP ${e.httpCode}` : (e.message ?? String(err));
    return new OperatorError(
      "transient",
      e.httpCode ? `HTTP${e.httpCode}` : "TransportError",
      `${action}: ${what}`,
      {
        cause: err,
      },
    );
  }
  return new OperatorError(gaapErrorKind(e.code, e.message), e.code, `${action}: ${e.message ?? e.code}`, {
    cause: err,
    ...(e.requestId ? { requestId: e.requestId } : {}),
  });
}

/** Wraps a failure of a Kubernetes API call (ApiException, or undici's fetch failure). */
export function fromKubeError(what: string, err: unknown): OperatorError {
  if (err instanceof OperatorError) return err;
  const status = (err as { code?: unknown }).code;
  if (typeof status === "number") {
    let reason = "";
    try {
      const body = (err as { body?: unknown }).body;
      const parsed = typeof body === "string" ? JSON.parse(body) : body;
      reason = (parsed as { message?: string })?.message ?? "";
    } catch {}
    const message = `${what}: HTTP ${status}${reason ? `: ${reason}` : ""}`;
    if (status === 404) return new OperatorError("notFound", "NotFound", message, { cause: err });
    if (status === 409) return new OperatorError("conflict", "Conflict", message, { cause: err });
    if (status === 429) return new OperatorError("throttled", "TooManyRequests", message, { cause: err });
    if (status >= 500) return new OperatorError("transient", `HTTP${status}`, message, { cause: err });
    return new OperatorError("config", status === 403 ? "Forbidden" : `HTTP${status}`, message, {
      cause: err,
    });
  }
  return new OperatorError(
    "transient",
    "TransportError",
    `${what}: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}
