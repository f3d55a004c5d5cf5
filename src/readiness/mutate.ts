// The pod admission mutation, pure: which readiness gates and which termination hold (with the grace period raised
// to keep the app's own shutdown time) a new pod gets from the Pod-mode bindings of its namespace whose Service
// selects it, as an RFC 6902 JSON patch. Idempotent (a gate the pod lists already, or a container with a preStop
// hook, is left alone, and the grace period is raised only with a hold added), so reinvocation is harmless.
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { canHaveGate, type GaapListenerBinding, gateType, resolveSpec } from "../api/types.ts";
import type { BindingEvent } from "../model/binding-event.ts";
import { selectsPod } from "../model/selectors.ts";
import { type HoldSize, holdAndGrace, MAX_RAISED_GRACE_SECONDS } from "./hold.ts";

/** Where the admission webhook serves the mutation. */
export const MUTATE_POD_PATH = "/mutate-v1-pod";
/** Pods carrying this label (the operator's own) are never mutated. */
export const OPERATOR_LABEL = { key: "app.kubernetes.io/name", value: "gaap-operator" };
/** Set on mutated pods: the hold applied, or why none was. */
export const HOLD_ANNOTATION = "gaap.operator.dev/termination-hold";
/** Why a pod got no hold on an apiserver without the sleep action (the annotation, and the pod's event). */
const SLEEP_UNSUPPORTED =
  "the preStop sleep action needs Kubernetes 1.30 or later (or the apiserver's version could not be read)";

export type JsonPatchOp = { op: "add"; path: string; value: unknown };

export interface MutateInput {
  pod: V1Pod;
  bindings: readonly GaapListenerBinding[];
  service(name: string): V1Service | undefined;
  /** The hold for a binding without spec.terminationHoldSeconds (hold.ts defaultHold). */
  defaultHold(b: GaapListenerBinding): HoldSize;
  /** The apiserver serves lifecycle.preStop.sleep (on by default from Kubernetes 1.30). */
  sleepSupported: boolean;
}

export interface Mutation {
  patch: JsonPatchOp[];
  /** Gates added (not those the pod had already). */
  gates: string[];
  /** The preStop sleep added, in seconds, if any. */
  holdSeconds?: number;
  /** For the admission response and, when the hold could not be added, an event on the pod. */
  warnings: string[];
}

export function mutatePod(input: MutateInput): Mutation {
  const { pod } = input;
  const none: Mutation = { patch: [], gates: [], warnings: [] };
  if (pod.metadata?.labels?.[OPERATOR_LABEL.key] === OPERATOR_LABEL.value) return none;
  const warnings: string[] = [];
  const selecting = input.bindings.filter((b) => {
    if (b.metadata.deletionTimestamp || resolveSpec(b.spec).targetType !== "Pod") return false;
    return selectsPod(input.service(b.spec.serviceRef.name), pod);
  });
  const gated = selecting.filter((b) => {
    if (canHaveGate(b.metadata.name as string)) return true;
    warnings.push(
      `binding ${b.metadata.name}: a name longer than 63 characters cannot be a readiness gate; pod not gated on it`,
    );
    return false;
  });
  if (gated.length === 0) return { ...none, warnings };

  const patch: JsonPatchOp[] = [];
  const have = new Set((pod.spec?.readinessGates ?? []).map((g) => g.conditionType));
  const gates = [...new Set(gated.map((b) => gateType(b.metadata.name as string)))]
    .filter((g) => !have.has(g))
    .sort();
  if (gates.length > 0) {
    if (!pod.spec?.readinessGates) {
      patch.push({
        op: "add",
        path: "/spec/readinessGates",
        value: gates.map((conditionType) => ({ conditionType })),
      });
    } else {
      for (const conditionType of gates)
        patch.push({ op: "add", path: "/spec/readinessGates/-", value: { conditionType } });
    }
  }

  // Two bindings over one pod: the longer hold.
  const sized = gated
    .map((b): HoldSize => {
      const own = b.spec.terminationHoldSeconds;
      return own === undefined ? input.defaultHold(b) : { seconds: own, basis: "terminationHoldSeconds" };
    })
    .reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const wanted = sized.seconds;
  const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
  // A second pass (reinvocation, after another webhook added a container): the hold already chosen, and the grace
  // already raised for it.
  const earlier = pod.metadata?.annotations?.[HOLD_ANNOTATION] !== undefined;
  const chosen = Math.max(
    0,
    ...(pod.spec?.containers ?? []).map((c) => Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0) || 0),
  );
  const fit = earlier ? { seconds: chosen, grace } : holdAndGrace(wanted, grace);
  let holdSeconds: number | undefined;
  let holdNote: string | undefined;
  if (earlier && chosen <= 0) {
    // The first pass added no hold: nothing to extend.
  } else if (wanted <= 0) holdNote = "none: terminationHoldSeconds is 0";
  else if (!input.sleepSupported) {
    holdNote = `none: ${SLEEP_UNSUPPORTED}`;
    warnings.push(
      `no termination hold added: this apiserver does not serve lifecycle.preStop.sleep (Kubernetes 1.30+); add a preStop hook of about ${wanted}s by hand`,
    );
  } else {
    const { seconds } = fit;
    (pod.spec?.containers ?? []).forEach((c, i) => {
      if (c.lifecycle?.preStop) return; // never replace the user's hook
      const value = { sleep: { seconds } };
      if (c.lifecycle) patch.push({ op: "add", path: `/spec/containers/${i}/lifecycle/preStop`, value });
      else patch.push({ op: "add", path: `/spec/containers/${i}/lifecycle`, value: { preStop: value } });
      holdSeconds = seconds;
    });
    if (holdSeconds && fit.grace !== grace)
      patch.push({ op: "add", path: "/spec/terminationGracePeriodSeconds", value: fit.grace });
    holdNote = holdSeconds ? holdRecord(sized, fit, grace) : "none: every container has its own preStop hook";
  }
  if (holdNote && !pod.metadata?.annotations?.[HOLD_ANNOTATION]) {
    const path = `/metadata/annotations${pod.metadata?.annotations ? `/${HOLD_ANNOTATION.replaceAll("~", "~0").replaceAll("/", "~1")}` : ""}`;
    patch.push({
      op: "add",
      path,
      value: pod.metadata?.annotations ? holdNote : { [HOLD_ANNOTATION]: holdNote },
    });
  }
  return { patch, gates, ...(holdSeconds ? { holdSeconds } : {}), warnings };
}

/** The pod's record of its hold: how long, from what, and what it did to the grace period. */
function holdRecord(sized: HoldSize, fit: { seconds: number; grace: number }, grace: number): string {
  const short =
    fit.seconds < sized.seconds
      ? ` (wanted ${sized.seconds}s; limited by terminationGracePeriodSeconds ${fit.grace}${fit.grace === grace ? "" : `, the ${MAX_RAISED_GRACE_SECONDS}s bound`})`
      : "";
  const raised =
    fit.grace === grace
      ? ""
      : `; terminationGracePeriodSeconds raised by ${fit.grace - grace}s, ${grace}s to ${fit.grace}s`;
  return `${fit.seconds}s${short}, from ${sized.basis}${raised}`;
}

/** The namespace label that opts a namespace's pods in (the webhook configuration's namespaceSelector). */
export const INJECT_LABEL = { key: "gaap.operator.dev/pod-readiness-gate-inject", value: "enabled" };

/**
 * The event a pod the webhook gated without a hold (the apiserver lacks the sleep action) gets, once, when it is
 * new: undefined for any other pod, and for old pods seen again after a restart.
 */
export function holdUnsupportedEvent(pod: V1Pod, nowMs: number): BindingEvent | undefined {
  if (pod.metadata?.annotations?.[HOLD_ANNOTATION] !== `none: ${SLEEP_UNSUPPORTED}`) return undefined;
  const age = nowMs - new Date(pod.metadata?.creationTimestamp as unknown as string).getTime();
  if (!(age < 60_000)) return undefined;
  return {
    type: "Warning",
    reason: "TerminationHoldUnsupported",
    action: "Admit",
    note: `readiness gate added, but no termination hold: ${SLEEP_UNSUPPORTED}`,
  };
}
