// A pod's readiness gate from its binding's last pass (readiness/gates.ts): True only once GAAP holds the pod.
import { describe, expect, it } from "vitest";
import type { BoundOrigin, TargetState } from "../../../src/gaap/types.ts";
import type { GateFacts } from "../../../src/model/gate-facts.ts";
import { gateState } from "../../../src/readiness/gates.ts";
import { listenerState } from "../fixtures.ts";

const L = "lst-a";
const listener = (bound: BoundOrigin[], extra: Partial<TargetState> = {}): TargetState =>
  listenerState({ listenerId: L, healthCheck: true, bound, ...extra });
const held = (n: number, health = 0): BoundOrigin => ({
  realServerId: `rs-${n}`,
  ip: `10.0.0.${n}`,
  port: 8080,
  health,
});
const pod = "p1";
const facts = (f: Partial<GateFacts>): GateFacts => ({
  bindingName: "web",
  podOrigins: new Map([["p1", "10.0.0.1:8080"]]),
  ...f,
});
const show = (g: ReturnType<typeof gateState>) => (g ? `${g.status} ${g.reason}` : "leave");

describe("readiness gate state", () => {
  it.each([
    {
      name: "the applied set holds it, healthy: True Bound",
      f: facts({ target: listener([held(1)]) }),
      want: "True Bound",
    },
    {
      name: "health check off: RealServerStatus means nothing",
      f: facts({ target: listener([held(1, 1)], { healthCheck: false }) }),
      want: "True Bound",
    },
    {
      name: "GAAP's health check says abnormal: False Unhealthy",
      f: facts({ target: listener([held(1, 1)]) }),
      want: "False Unhealthy",
    },
    {
      name: "abnormal after the pod went Ready: stays True (sticky)",
      f: facts({ target: listener([held(1, 1)]) }),
      current: "True",
      want: "leave",
    },
    {
      name: "held, but the task that added it still runs: False Binding",
      f: facts({ target: listener([held(1)], { status: 3 }), sent: new Set(["10.0.0.1:8080"]) }),
      want: "False Binding",
    },
    {
      name: "held, listener busy with someone else's task: False ListenerBusy",
      f: facts({ target: listener([held(1)], { status: 3 }) }),
      want: "False ListenerBusy",
    },
    {
      name: "bind sent this pass: False Binding",
      f: facts({ target: listener([]), sent: new Set(["10.0.0.1:8080"]) }),
      want: "False Binding",
    },
    {
      name: "left out for the listener's limit: False Held",
      f: facts({ target: listener([]), overLimit: new Set(["10.0.0.1:8080"]), maxOrigins: 100 }),
      want: "False Held",
    },
    {
      name: "the breaker holds the binding: False Held",
      f: facts({
        target: listener([]),
        blocked: { reason: "Held", message: "binding web holds: MassUnbind: ..." },
      }),
      want: "False Held",
    },
    {
      name: "the binding is degraded: False BindingDegraded",
      f: facts({
        target: listener([]),
        blocked: { reason: "BindingDegraded", message: "binding web is degraded: ProtocolMismatch" },
      }),
      want: "False BindingDegraded",
    },
    {
      name: "the pass failed before reading GAAP: False BindingDegraded",
      f: facts({
        blocked: { reason: "BindingDegraded", message: "binding web is degraded: InternalError: boom" },
      }),
      want: "False BindingDegraded",
    },
    {
      name: "the pass failed, the pod is already True: left True",
      f: facts({ blocked: { reason: "BindingDegraded", message: "x" } }),
      current: "True",
      want: "leave",
    },
    {
      name: "True, and a fresh read no longer shows it (edited behind our back): stays True while the operator repairs GAAP",
      f: facts({ target: listener([held(2)]) }),
      current: "True",
      want: "leave",
    },
    {
      name: "not a desired origin and not held: False NotAnOrigin",
      f: facts({ target: listener([]), podOrigins: new Map() }),
      want: "False NotAnOrigin",
    },
    {
      name: "not a desired origin but its IP still held (its removal pending): False NotAnOrigin, never True",
      f: facts({ target: listener([held(1)]), podOrigins: new Map() }),
      want: "False NotAnOrigin",
    },
    {
      name: "True, then its containers went unready (no longer an origin): False, so it waits for GAAP coming back",
      f: facts({ target: listener([held(1)]), podOrigins: new Map() }),
      current: "True",
      want: "False NotAnOrigin",
    },
    {
      name: "another origin on the pod's IP (another port) is not the pod's origin",
      f: facts({ target: listener([{ ...held(1), port: 9090 }]) }),
      want: "False Binding",
    },
  ] as Array<{ name: string; f: GateFacts; current?: string; want: string }>)(
    "$name",
    ({ f, current, want }) => {
      expect(show(gateState(pod, f, current ? { status: current } : undefined))).toBe(want);
    },
  );

  it("messages say what to look at", () => {
    expect(gateState(pod, facts({ target: listener([held(1)]) }), undefined)?.message).toBe(
      "listener lst-a holds 10.0.0.1:8080",
    );
    expect(gateState(pod, facts({ target: listener([held(1, 1)]) }), undefined)?.message).toBe(
      "listener lst-a holds 10.0.0.1:8080 but GAAP's health check reports it abnormal",
    );
    expect(
      gateState(
        pod,
        facts({ target: listener([]), overLimit: new Set(["10.0.0.1:8080"]), maxOrigins: 100 }),
        undefined,
      )?.message,
    ).toBe(
      "listener lst-a has no room for 10.0.0.1:8080 within its limit of 100 origins; ready pods are bound first",
    );
  });
});
