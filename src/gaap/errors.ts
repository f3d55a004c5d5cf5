// GAAP's error codes as the operator's error kinds (the reference's retry table), and the SDK's failures wrapped
// into OperatorError.
import { type ErrorKind, OperatorError } from "../errors.ts";

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
