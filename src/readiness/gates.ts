// Readiness gates: a pure function from what a binding's last pass learnt (GateFacts) and a pod to the condition
// its gate `listener-bound.gaap.operator.dev/<binding>` should carry. No I/O: pod-gates.ts writes what this says.

import { originKey } from "../binding/logic/origin.ts";
import { busyMessage, targetName } from "../gaap/types.ts";
import type { GateFacts } from "../model/gate-facts.ts";

export type GateReason =
  | "Bound"
  | "Binding"
  | "ListenerBusy"
  | "Unhealthy"
  | "Held"
  | "BindingDegraded"
  | "NotAnOrigin"
  | "NotSelected"
  | "BindingNotFound"
  | "NotApplicable";

export interface GateState {
  status: "True" | "False";
  reason: GateReason;
  message: string;
}

/**
 * The gate's condition for a pod its binding's Service selects, or undefined to leave what the pod has.
 *
 * True is sticky while the pod is an origin: a failed read, a busy listener, a health check turning abnormal or a
 * GAAP set edited behind our back after the pod went Ready does not make it unready (that would take it out of the
 * Service inside the cluster too, turning a GAAP event into an in-cluster outage); the operator repairs GAAP instead.
 * A pod that stops being an origin (its containers went unready) loses it: it is unready anyway, and coming back it
 * must wait for GAAP again. Only the pod's own origin (ip:port) counts, never another origin on its IP.
 */
export function gateState(
  podName: string,
  facts: GateFacts,
  current: { status?: string } | undefined,
): GateState | undefined {
  const l = facts.target;
  const wasTrue = current?.status === "True";
  if (!l) {
    if (wasTrue) return undefined;
    return facts.blocked
      ? { status: "False", reason: facts.blocked.reason, message: facts.blocked.message }
      : undefined;
  }
  const where = targetName(l);
  const key = facts.podOrigins.get(podName);
  if (!key) {
    return {
      status: "False",
      reason: "NotAnOrigin",
      message: `pod is not a serving endpoint of binding ${facts.bindingName}'s Service (containers not ready, or not listed yet); not bound to ${where}`,
    };
  }
  if (wasTrue) return undefined;
  const held = l.bound.find((b) => originKey(b) === key);
  const binding = (): GateState => ({
    status: "False",
    reason: "Binding",
    message: `bind of ${key} sent; GAAP is applying it to ${where}`,
  });
  const busy = (): GateState => ({
    status: "False",
    reason: "ListenerBusy",
    message: `${where} is busy with a task: ${busyMessage(l)}`,
  });
  if (held) {
    if (l.status !== 0) return facts.sent?.has(key) ? binding() : busy();
    if (l.healthCheck && held.health === 1) {
      return {
        status: "False",
        reason: "Unhealthy",
        message: `${where} holds ${key} but GAAP's health check reports it abnormal`,
      };
    }
    return { status: "True", reason: "Bound", message: `${where} holds ${key}` };
  }
  if (facts.overLimit?.has(key)) {
    return {
      status: "False",
      reason: "Held",
      message: `${where} has no room for ${key} within its limit of ${facts.maxOrigins ?? "?"} origins; ready pods are bound first`,
    };
  }
  if (facts.sent?.has(key)) return binding();
  if (facts.blocked) return { status: "False", reason: facts.blocked.reason, message: facts.blocked.message };
  if (l.status !== 0) return busy();
  return { status: "False", reason: "Binding", message: `${key} is waiting for the next bind to ${where}` };
}

/** The gate of a pod its binding's Service does not select (any more): the gate has nothing to wait for. */
export function notSelected(bindingName: string, service: string): GateState {
  return {
    status: "True",
    reason: "NotSelected",
    message: `Service ${service} of binding ${bindingName} does not select this pod; the gate does not hold it back`,
  };
}

/** The gate of a pod whose binding does not exist (or is being deleted): never hang a rollout on it. */
export function bindingNotFound(bindingName: string): GateState {
  return {
    status: "True",
    reason: "BindingNotFound",
    message: `no GaapListenerBinding ${bindingName} in this namespace; the gate does not hold the pod back`,
  };
}

/** The gate of a pod whose binding targets nodes: its origins are nodes, so the gate has nothing to wait for. */
export function notApplicable(bindingName: string): GateState {
  return {
    status: "True",
    reason: "NotApplicable",
    message: `binding ${bindingName} targets nodes (targetType Node); pod readiness gates apply to Pod mode only`,
  };
}

/** Whether the pod's condition already says this (status, reason and message). */
export function sameGate(
  have: { status?: string; reason?: string; message?: string } | undefined,
  want: GateState,
): boolean {
  return have?.status === want.status && have.reason === want.reason && have.message === want.message;
}
