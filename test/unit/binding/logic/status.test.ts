import { describe, expect, it } from "vitest";
import type { GaapListenerBindingStatus } from "../../../../src/api/types.ts";
import { composeStatus, reasonOf } from "../../../../src/binding/logic/status.ts";
import { OperatorError } from "../../../../src/errors.ts";
import type { TargetState } from "../../../../src/gaap/types.ts";

const listener: TargetState = {
  listenerId: "listener-a",
  protocol: "TCP",
  port: 80,
  scheduler: "wrr",
  failoverSwitch: 0,
  healthCheck: false,
  realServerType: "IP",
  status: 0,
  bound: [],
};
const ours = [{ realServerId: "rs-1", ip: "10.0.0.1", port: 80, weight: 10 }];
const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:05:00Z");
const cond = (s: GaapListenerBindingStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe("status from outcomes", () => {
  it("in sync: Ready, counts, bound servers, last sync time, no error", () => {
    const s = composeStatus(
      { lastError: { code: "X", message: "m", time: "t" } },
      3,
      { phase: "inSync", target: listener, ours, owned: ["10.0.0.1:80"], desiredCount: 1, notes: [] },
      t0,
    );
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "InSync", observedGeneration: 3 });
    expect(cond(s, "Degraded")?.status).toBe("False");
    expect(s).toMatchObject({
      observedGeneration: 3,
      desiredCount: 1,
      boundCount: 1,
      lastSyncTime: "2026-01-01T00:00:00Z",
      ownedServers: ["10.0.0.1:80"],
    });
    expect(s.boundServers).toEqual([{ ip: "10.0.0.1", port: 80, weight: 10, realServerId: "rs-1" }]);
    expect(s.lastError).toBeUndefined();
    expect(s.listener).toEqual({ protocol: "TCP", port: 80, scheduler: "wrr", status: 0, failoverSwitch: 0 });
  });

  it("keeps lastTransitionTime while a condition's status holds, moves it when it flips", () => {
    const a = composeStatus(
      undefined,
      1,
      { phase: "inSync", target: listener, ours, owned: [], desiredCount: 1, notes: [] },
      t0,
    );
    const b = composeStatus(
      a,
      1,
      { phase: "inSync", target: listener, ours, owned: [], desiredCount: 1, notes: [] },
      t1,
    );
    expect(cond(b, "Ready")?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    const c = composeStatus(
      b,
      1,
      { phase: "held", target: listener, ours, reason: "MassUnbind", message: "m" },
      t1,
    );
    expect(cond(c, "Ready")?.lastTransitionTime).toBe("2026-01-01T00:05:00Z");
    expect(cond(c, "Degraded")).toMatchObject({ status: "True", reason: "MassUnbind" });
  });

  it("a configuration error is Degraded with the GAAP code, and says when the next try is", () => {
    const err = new OperatorError(
      "config",
      "AuthFailure.SignatureFailure",
      "DescribeTCPListeners: bad signature",
    );
    const s = composeStatus(undefined, 1, { phase: "error", error: err, retryAt: t1 }, t0);
    expect(cond(s, "Degraded")).toMatchObject({ status: "True", reason: "AuthFailure_SignatureFailure" });
    expect(cond(s, "Ready")?.status).toBe("False");
    expect(s.lastError).toEqual({
      code: "AuthFailure.SignatureFailure",
      message: "DescribeTCPListeners: bad signature",
      time: "2026-01-01T00:00:00Z",
    });
    expect(s.nextRetryTime).toBe("2026-01-01T00:05:00Z");
  });

  it("keeps lastError.time while the same error repeats, so retries do not rewrite the status", () => {
    const err = new OperatorError("config", "ResourceNotFound", "gone");
    const first = composeStatus(undefined, 1, { phase: "error", error: err }, t0);
    const again = composeStatus(first, 1, { phase: "error", error: err }, t1);
    expect(again.lastError?.time).toBe("2026-01-01T00:00:00Z");
    const other = composeStatus(
      again,
      1,
      { phase: "error", error: new OperatorError("config", "X", "other") },
      t1,
    );
    expect(other.lastError?.time).toBe("2026-01-01T00:05:00Z");
  });

  it("a transient error marks Synced False but leaves Ready as it was", () => {
    const ready = composeStatus(
      undefined,
      1,
      { phase: "inSync", target: listener, ours, owned: [], desiredCount: 1, notes: [] },
      t0,
    );
    const s = composeStatus(
      ready,
      1,
      { phase: "error", error: new OperatorError("transient", "InternalError", "boom") },
      t1,
    );
    expect(cond(s, "Ready")?.status).toBe("True");
    expect(cond(s, "Synced")).toMatchObject({ status: "False", reason: "InternalError" });
  });

  it("binding with held removals is Progressing and Degraded MassUnbind", () => {
    const s = composeStatus(
      undefined,
      1,
      {
        phase: "binding",
        target: listener,
        ours,
        owned: [],
        desiredCount: 3,
        change: { added: 3, removed: 0, updated: 0 },
        held: { removals: 3, message: "removing 3 of 3 bound origins exceeds maxUnbindPercent (50%)" },
        notes: [],
      },
      t0,
    );
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "Binding" });
    expect(cond(s, "Degraded")).toMatchObject({ status: "True", reason: "MassUnbind" });
  });

  it.each([
    ["FailedOperation.ListenerHasTask", "FailedOperation_ListenerHasTask"],
    ["AuthFailure.SignatureFailure", "AuthFailure_SignatureFailure"],
    ["InvalidParameterValue.RealServerNotBelong", "InvalidParameterValue_RealServerNotBelong"],
    ["ListenerNotFound", "ListenerNotFound"],
    ["HTTP502", "HTTP502"],
    ["404", "Error404"],
  ])("reason of %s is %s", (code, reason) => {
    expect(reasonOf(code)).toBe(reason);
  });
});
