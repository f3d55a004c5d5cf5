// Hold timing: which origins belong to pods in their termination hold (still serving), when each hold ends, and
// whether a rollout's next pods are on their way. Pure.
import type { V1Pod } from "@kubernetes/client-node";
import type { ResolvedSpec } from "../../api/types.ts";
import type { ClusterView } from "../../model/cluster-view.ts";
import type { Origin } from "./desired.ts";
import { findPort, gatedBy, podAddress, sliceEndpoints } from "./endpoints.ts";
import { originKey } from "./origin.ts";

/**
 * When a terminating pod's termination hold (its preStop sleep) ends, in ms since the epoch; undefined without
 * one. deletionTimestamp is when the grace period ends (the request time plus deletionGracePeriodSeconds), and the
 * kubelet runs preStop (from when it sees the deletion, a little after the request) for at most the grace period.
 * The timestamp has whole seconds, so this errs early by up to a second: the safe side.
 */
export function holdEndsAt(pod: V1Pod | undefined): number | undefined {
  return holdOf(pod)?.endsAt;
}

/** A terminating pod's hold: when it ends, and how long it is (the sleep, cut to the deletion's grace). */
function holdOf(pod: V1Pod | undefined): { endsAt: number; seconds: number } | undefined {
  const deleted = pod?.metadata?.deletionTimestamp;
  if (!deleted) return undefined;
  const sleep = preStopSleep(pod);
  if (!(sleep > 0)) return undefined;
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  const end = new Date(deleted as unknown as string).getTime();
  if (Number.isNaN(end)) return undefined;
  const seconds = Math.min(sleep, grace);
  return { endsAt: end - grace * 1000 + seconds * 1000, seconds };
}

/** The pod's termination hold: its longest preStop sleep, in seconds (0: none). */
function preStopSleep(pod: V1Pod | undefined): number {
  const sleeps = (pod?.spec?.containers ?? []).map((c) => Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0));
  return Math.max(0, ...sleeps.filter((n) => Number.isFinite(n)));
}

/** A terminating pod's origin still in its termination hold. */
export interface Drain {
  /** When the hold ends (holdEndsAt), ms since the epoch. */
  endsAt: number;
  /** The hold, in seconds (the preStop sleep). */
  holdSeconds: number;
  pod: string;
}

/**
 * Origins of terminating pods still in their termination hold (still serving), with when the hold ends, and
 * whether pods that list the gate are on their way (selected, not being deleted, not origins yet: containers not
 * ready, or ready but not yet listed in the Service's EndpointSlices): what a removal may wait for, so that it goes
 * to GAAP in one bind with the additions (plan.ts), and what its removal is measured against once GAAP has applied
 * it (task-tracker.ts).
 */
export function drainingOrigins(
  spec: ResolvedSpec,
  view: ClusterView,
  gate: string | undefined,
  /** The desired origins (desiredOrigins): gated ones among them look for the rest of their wave. */
  origins: readonly Origin[] = [],
): { draining: Map<string, Drain>; additionsComing: boolean; revisionReplaced: boolean } {
  const draining = new Map<string, Drain>();
  const svcPort = findPort(view.service, spec);
  if (spec.targetType !== "Pod" || !svcPort || !gate)
    return { draining, additionsComing: false, revisionReplaced: false };
  const drainingRevisions = new Set<string | undefined>();
  for (const ep of sliceEndpoints(view, svcPort)) {
    if (!ep.terminating || !ep.podName) continue;
    const pod = view.pod(ep.podName);
    const hold = holdOf(pod);
    const ip = podAddress(spec, ep, pod);
    if (hold && ip) {
      draining.set(originKey({ ip, port: ep.port }), {
        endsAt: hold.endsAt,
        holdSeconds: hold.seconds,
        pod: ep.podName,
      });
      drainingRevisions.add(pod?.metadata?.labels?.[REVISION_LABEL]);
    }
  }
  const gatedWaiting = origins.some((o) => !o.ready);
  const originPods = new Set(origins.map((o) => o.pod));
  // Pods that ran to an end (Failed, Succeeded: evicted, say) come no more.
  const selected = (draining.size > 0 || gatedWaiting ? view.selectedPods() : []).filter(
    (p) => p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded",
  );
  const additionsComing = selected.some((p) => gatedBy(p, gate) && !originPods.has(p.metadata?.name));
  // A rollout's last step: the pods being drained are of a revision (a ReplicaSet's pod-template-hash) that no live
  // pod and no origin has any more (an origin may be a pod deleted already whose endpoint is not terminating yet), so
  // no further step will bring pods to bind with their removal.
  const live = selected.filter((p) => !p.metadata?.deletionTimestamp);
  const current = [...live, ...origins.map((o) => (o.pod ? view.pod(o.pod) : undefined))];
  const revisionReplaced =
    draining.size > 0 &&
    live.length > 0 &&
    !drainingRevisions.has(undefined) &&
    current.every((p) => {
      const r = p?.metadata?.labels?.[REVISION_LABEL];
      return r !== undefined && !drainingRevisions.has(r);
    });
  return { draining, additionsComing, revisionReplaced };
}

/** The label a Deployment's ReplicaSet gives its pods: one value per revision of the pod template. */
const REVISION_LABEL = "pod-template-hash";
