import { describe, expect, it } from "vitest";
import { fromGaapError, gaapErrorKind } from "../../../src/gaap/errors.ts";
import { fromKubeError } from "../../../src/kube/errors.ts";

describe("GAAP error kinds (reference §2.4)", () => {
  it.each([
    ["FailedOperation.ListenerHasTask", "", "busy"],
    ["FailedOperation.ListenerStatusError", "", "busy"],
    ["FailedOperation.DomainStatusNotInRunning", "", "transient"],
    ["FailedOperation.NotSupportProxyGroup", "", "config"],
    ["InvalidParameter", "RuleId(rule-x) Not Exist.", "notFound"],
    ["InvalidParameter", "invalid ruleId rule-x", "config"],
    ["RequestLimitExceeded", "", "throttled"],
    ["RequestLimitExceeded.UinLimitExceeded", "", "throttled"],
    ["FailedOperation.ActionOperateTooQuickly", "", "throttled"],
    ["InternalError", "", "transient"],
    ["ServiceUnavailable", "", "transient"],
    ["ResourceUnavailable", "", "transient"],
    ["ResourceUnavailable.AccountViolation", "", "config"],
    ["FailedOperation.ActionIsDoing", "", "transient"],
    ["AuthFailure.TokenFailure", "", "transient"],
    ["ResourceNotFound", "", "notFound"],
    ["InvalidParameter", "ListenerId(listener-x) Not Exist.", "notFound"],
    ["InvalidParameter", "bad", "config"],
    ["FailedOperation.ProxyStatusNotInRuning", "", "unavailable"],
    ["FailedOperation.Migration", "", "unavailable"],
    ["AuthFailure.SignatureFailure", "", "config"],
    ["AuthFailure.SecretIdNotFound", "", "config"],
    ["InvalidParameterValue.RealServerNotBelong", "", "config"],
    ["FailedOperation.LimitRealServerNum", "", "config"],
  ])("%s %s -> %s", (code, message, kind) => {
    expect(gaapErrorKind(code, message)).toBe(kind);
  });

  it("treats an SDK error without a code as a transport failure", () => {
    const e = fromGaapError("BindListenerRealServers", {
      message: "network timeout at: http://127.0.0.1:1/",
    });
    expect(e.kind).toBe("transient");
    expect(e.code).toBe("TransportError");
    expect(fromGaapError("X", { httpCode: 502, message: "Bad Gateway" }).code).toBe("HTTP502");
  });

  it("keeps the code, message and request id of an API error", () => {
    const e = fromGaapError("BindListenerRealServers", {
      code: "FailedOperation.ListenerHasTask",
      message: "busy",
      requestId: "r-1",
    });
    expect([e.kind, e.code, e.message, e.requestId]).toEqual([
      "busy",
      "FailedOperation.ListenerHasTask",
      "BindListenerRealServers: busy",
      "r-1",
    ]);
  });
});

describe("Kubernetes error kinds", () => {
  it.each([
    [404, "notFound"],
    [409, "conflict"],
    [429, "throttled"],
    [503, "transient"],
    [403, "config"],
    [422, "config"],
  ])("HTTP %s -> %s", (code, kind) => {
    expect(fromKubeError("patch", { code, body: '{"message":"why"}' }).kind).toBe(kind);
  });

  it("reads the Status message from the raw body", () => {
    expect(
      fromKubeError("patch x", {
        code: 422,
        body: '{"kind":"Status","message":"spec.weight: Invalid value"}',
      }).message,
    ).toBe("patch x: HTTP 422: spec.weight: Invalid value");
  });

  it("treats a fetch failure as transient", () => {
    expect(fromKubeError("list", new TypeError("fetch failed")).kind).toBe("transient");
  });
});
