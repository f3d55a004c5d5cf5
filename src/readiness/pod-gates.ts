// The readiness-gate controller's reconciler, keyed by pod: for each of our gates a pod lists, the condition the
// binding's latest facts call for (gates.ts), written when status, reason or message differ. Binding passes
// publish facts here (GateSink) and the pods those facts concern are enqueued; a pod event or a binding's arrival
// or removal enqueues them too. Terminating pods are left as they are: their origin goes at once, and the
// termination hold (not the gate) keeps them serving until GAAP has let them go.
import type { V1Pod, V1PodCondition, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { bindingKey, GATE_PREFIX, type GaapListenerBinding, resolveSpec } from "../api/types.ts";
import type { GateSink } from "../binding/ports.ts";
import { OperatorError } from "../errors.ts";
import type { GateFacts } from "../model/gate-facts.ts";
import { selectsPod } from "../model/selectors.ts";
import type { Clock } from "../runtime/clock.ts";
import { CONFLICT_RETRY_MS, type Result } from "../runtime/controller.ts";
import type { KeyedMemory } from "../runtime/memory.ts";
import type { EventKind } from "../watch/change-filters.ts";
import { bindingNotFound, type GateState, gateState, notApplicable, notSelected, sameGate } from "./gates.ts";

export interface PodGateMetrics {
  /** A gate turned True (Bound) this long after the pod's containers were ready. */
  boundAfter?(seconds: number): void;
}

export interface PodGatesDeps {
  pod(namespace: string, name: string): V1Pod | undefined;
  binding(key: string): GaapListenerBinding | undefined;
  service(namespace: string, name: string): V1Service | undefined;
  write(pod: V1Pod, conditions: V1PodCondition[]): Promise<void>;
  enqueue(podKey: string): void;
  canWrite: () => boolean;
  /** Where the facts and generations kept per binding live (the binding controller's memory). */
  memory: KeyedMemory;
  clock: Clock;
  log: Logger;
  metrics?: PodGateMetrics;
}

export class PodGates implements GateSink {
  private readonly d: PodGatesDeps;
  /** Each binding's latest facts, by binding key. */
  private readonly facts: Map<string, GateFacts>;
  /** Pods listing each gate, by `namespace/bindingName`. */
  private readonly gated = new Map<string, Set<string>>();
  /** The reason each gate of each pod carries, by `podKey\ngate`: the gates-by-reason gauge. */
  private readonly reasons = new Map<string, string>();
  /** The spec generation last seen per binding. */
  private readonly generations: Map<string, number>;

  constructor(deps: PodGatesDeps) {
    this.d = deps;
    this.facts = deps.memory.map("gateFacts");
    this.generations = deps.memory.map("gateGenerations");
  }

  publish(key: string, facts: GateFacts | undefined): void {
    if (!facts) this.facts.delete(key);
    else {
      // A pass that finds the listener still busy does not know the task is the bind an earlier pass sent: what
      // that bind sent stays "Binding" until a pass sees the listener running again.
      const prev = this.facts.get(key);
      const busy = facts.target !== undefined && facts.target.status !== 0;
      const carried = busy && !facts.sent && prev?.sent ? { ...facts, sent: prev.sent } : facts;
      this.facts.set(key, carried);
    }
    this.enqueueGate(key);
  }

  /** Pod events: keep the index of gated pods and look at any pod that lists one of our gates. */
  onPod(kind: EventKind, pod: V1Pod): void {
    const ns = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const podKey = `${ns}/${name}`;
    const gates = ourGates(pod);
    for (const g of gates) {
      const k = `${ns}/${g.slice(GATE_PREFIX.length)}`;
      const set = this.gated.get(k) ?? new Set<string>();
      if (kind === "delete") set.delete(name);
      else set.add(name);
      if (set.size > 0) this.gated.set(k, set);
      else this.gated.delete(k);
    }
    if (kind === "delete") {
      for (const g of gates) this.reasons.delete(`${podKey}\n${g}`);
      return;
    }
    if (gates.length > 0) this.d.enqueue(podKey);
  }

  /**
   * A binding that appears, goes, or changes its spec (Pod to Node mode, another Service) changes what its gate
   * says on every pod that lists it. Status writes (most updates) do not.
   */
  onBinding(kind: EventKind, b: GaapListenerBinding): void {
    const key = bindingKey(b);
    const generation = kind === "delete" ? undefined : (b.metadata.generation ?? 0);
    if (kind !== "update" || this.generations.get(key) !== generation) this.enqueueGate(key);
    if (generation === undefined) this.generations.delete(key);
    else this.generations.set(key, generation);
  }

  /** Every pod listing one of our gates: reconciled once at start. */
  podKeys(): string[] {
    const keys = new Set<string>();
    for (const [k, pods] of this.gated) {
      const ns = k.slice(0, k.indexOf("/"));
      for (const p of pods) keys.add(`${ns}/${p}`);
    }
    return [...keys];
  }

  /** Gates by the reason they carry, for the gauge. */
  countsByReason(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.reasons.values()) counts.set(r, (counts.get(r) ?? 0) + 1);
    return counts;
  }

  async reconcile(podKey: string): Promise<Result> {
    const [ns = "", name = ""] = podKey.split("/");
    const pod = this.d.pod(ns, name);
    if (!pod || pod.metadata?.deletionTimestamp || !this.d.canWrite()) return {};
    const now = new Date(this.d.clock.now());
    const changes: V1PodCondition[] = [];
    const turnedTrue: string[] = [];
    for (const gate of ourGates(pod)) {
      const have = pod.status?.conditions?.find((c) => c.type === gate);
      const want = this.want(pod, ns, gate.slice(GATE_PREFIX.length), have);
      if (have?.reason) this.reasons.set(`${podKey}\n${gate}`, have.reason);
      if (!want || sameGate(have, want)) continue;
      this.reasons.set(`${podKey}\n${gate}`, want.reason);
      const moved = have?.status !== want.status;
      if (moved && want.status === "True") turnedTrue.push(gate);
      changes.push({
        type: gate,
        status: want.status,
        reason: want.reason,
        message: want.message,
        lastTransitionTime: moved || !have?.lastTransitionTime ? now : have.lastTransitionTime,
      });
    }
    if (changes.length === 0) return {};
    try {
      await this.d.write(pod, changes);
    } catch (err) {
      if (!(err instanceof OperatorError)) throw err;
      // A pod deleted meanwhile needs no gate; a conflict is our cache behind; anything else is retried on the backoff.
      if (err.kind === "notFound") return {};
      if (err.kind === "conflict") return { requeueAfterMs: CONFLICT_RETRY_MS, poll: true };
      return { failed: err };
    }
    this.d.log.debug(
      { pod: podKey, gates: changes.map((c) => `${c.type}=${c.status}/${c.reason}`) },
      "readiness gates set",
    );
    const containersReady = pod.status?.conditions?.find((c) => c.type === "ContainersReady");
    if (turnedTrue.length > 0 && containersReady?.status === "True" && containersReady.lastTransitionTime) {
      const since = Date.parse(String(containersReady.lastTransitionTime));
      if (!Number.isNaN(since)) this.d.metrics?.boundAfter?.(Math.max(0, now.getTime() - since) / 1000);
    }
    return {};
  }

  private want(
    pod: V1Pod,
    ns: string,
    bindingName: string,
    have: V1PodCondition | undefined,
  ): GateState | undefined {
    const key = `${ns}/${bindingName}`;
    const b = this.d.binding(key);
    if (!b || b.metadata.deletionTimestamp) return bindingNotFound(bindingName);
    const spec = resolveSpec(b.spec);
    if (spec.targetType !== "Pod") return notApplicable(bindingName);
    // A pod the Service does not select (a binding moved to another Service, a selector edited) is no business of
    // this gate; a missing Service is the binding's problem, reported by its facts.
    const svc = this.d.service(ns, spec.serviceRef.name);
    if (svc && !selectsPod(svc, pod)) return notSelected(bindingName, spec.serviceRef.name);
    const facts = this.facts.get(key);
    // Not reconciled yet: a missing condition already counts as False.
    if (!facts) return undefined;
    return gateState(pod.metadata?.name ?? "", facts, have);
  }

  private enqueueGate(key: string): void {
    const ns = key.slice(0, key.indexOf("/"));
    for (const p of this.gated.get(key) ?? []) this.d.enqueue(`${ns}/${p}`);
  }
}

/** The gates of ours a pod lists. */
export function ourGates(pod: V1Pod): string[] {
  return (pod.spec?.readinessGates ?? [])
    .map((g) => g.conditionType)
    .filter((t) => t.startsWith(GATE_PREFIX) && t.length > GATE_PREFIX.length);
}
