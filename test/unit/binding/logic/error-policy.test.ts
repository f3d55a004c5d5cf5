// What a failed pass does next, by the error's kind (logic/error-policy.ts): the one place a binding's failures are
// judged. The retries themselves are the work queue's (controller.test.ts).
import { describe, expect, it } from "vitest";
import { decide } from "../../../../src/binding/logic/error-policy.ts";
import { type ErrorKind, OperatorError } from "../../../../src/errors.ts";
import { CONFLICT_RETRY_MS } from "../../../../src/runtime/controller.ts";

const settings = { busyPollMs: 250, slowRetryMs: 60_000 };

describe("decide", () => {
  it.each<{ kind: ErrorKind; want: ReturnType<typeof decide> }>([
    { kind: "busy", want: { kind: "poll", requeueAfterMs: 250 } },
    { kind: "conflict", want: { kind: "poll", requeueAfterMs: CONFLICT_RETRY_MS } },
    { kind: "transient", want: { kind: "retry" } },
    { kind: "throttled", want: { kind: "retry" } },
    // random 0.5: the slow interval itself; the jitter is 90-110% of it.
    { kind: "config", want: { kind: "stuck", requeueAfterMs: 60_000 } },
    { kind: "notFound", want: { kind: "stuck", requeueAfterMs: 60_000 } },
    { kind: "unavailable", want: { kind: "stuck", requeueAfterMs: 60_000 } },
  ])("$kind → $want.kind", ({ kind, want }) => {
    expect(decide(new OperatorError(kind, "Code", "message"), settings, () => 0.5)).toEqual(want);
  });

  it("spreads slow retries over 90-110% of the interval", () => {
    const err = new OperatorError("config", "AuthFailure", "no");
    expect(decide(err, settings, () => 0)).toEqual({ kind: "stuck", requeueAfterMs: 54_000 });
    expect(decide(err, settings, () => 1)).toEqual({ kind: "stuck", requeueAfterMs: 66_000 });
  });
});
