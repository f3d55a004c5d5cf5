// Kubernetes API failures (client-node's ApiException, or undici's fetch failure) wrapped into OperatorError.
import { OperatorError } from "../errors.ts";

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
