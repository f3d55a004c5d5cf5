// What the reconciler needs of the world outside it, as small interfaces: the caches, GAAP (read a listener or a
// rule, register origins, bind), the binding's status and events, the origin collector and the clock. The process wires
// the real ones; the reconciler's unit test wires in-memory ones.
import type { GaapListenerBinding, GaapListenerBindingStatus } from "../api/types.ts";
import type { OperatorError } from "../errors.ts";
import type { BindTarget } from "../gaap/binder.ts";
import type { TargetQuery } from "../gaap/target-reader.ts";
import type { BoundOrigin, OriginTag, TargetState } from "../gaap/types.ts";
import type { BindingEvent } from "../model/binding-event.ts";
import type { ClusterView } from "../model/cluster-view.ts";
import type { GateFacts } from "../readiness/gates.ts";
import type { HoldOverrun } from "./logic/hold-overrun.ts";

/** What a reconcile asks of the work queue: nothing (done), or to come back after a delay. */
export interface ReconcileResult {
  requeueAfterMs?: number;
  /** The pass failed and the error policy chose the delay: counted as an error, not as a plain requeue. */
  failed?: OperatorError;
}

export interface BindingCache {
  binding(key: string): GaapListenerBinding | undefined;
  /** Every binding naming this listener, in any namespace. */
  bindingsOnListener(listenerId: string): GaapListenerBinding[];
  view(b: GaapListenerBinding): ClusterView;
}

export interface TargetReader {
  /** The listener, or its forwarding rule; throws OperatorError kind notFound when either does not exist. */
  describeTarget(q: TargetQuery): Promise<TargetState>;
}

export interface OriginRegistry {
  /** Registered origin IDs by IP, as far as this process knows them. */
  readonly ids: ReadonlyMap<string, string>;
  register(
    ips: readonly string[],
    projectId: number,
    name: string,
    tags: OriginTag[],
  ): Promise<Map<string, string>>;
  /** IDs found stale (the origin was removed behind our back): look them up again next time. */
  forget(ips: readonly string[]): void;
}

export interface OriginBinder {
  /** Replaces the whole origin set of the listener, or of its rule. */
  bind(target: BindTarget, set: readonly BoundOrigin[]): Promise<void>;
}

export interface StatusWriter {
  /** Patches the status if it changed; resolves to whether it wrote. */
  write(b: GaapListenerBinding, status: GaapListenerBindingStatus): Promise<boolean>;
  setFinalizers(b: GaapListenerBinding, finalizers: string[]): Promise<void>;
  /** The status this process last wrote, newer than a cache that has not caught up. */
  lastWritten(b: GaapListenerBinding): GaapListenerBindingStatus | undefined;
  /** The binding is gone: drop what was remembered of it. */
  forget(key: string): void;
}

export interface EventSink {
  record(b: GaapListenerBinding, event: BindingEvent): void;
}

/** The origin collector as the reconciler feeds it: which IPs each binding wants, and when to sweep. */
export interface OriginUse {
  want(bindingKey: string, ips: string[] | undefined): void;
  forget(bindingKey: string): void;
  sweepSoon(): void;
  /** Removes our unused origins among these IPs now. */
  collect(only: ReadonlySet<string>): Promise<void>;
}

/** Where a binding's passes tell the readiness gates of its pods what they learnt. */
export interface GateSink {
  /** The binding's latest facts; undefined when the binding is gone or being deleted. */
  publish(bindingKey: string, facts: GateFacts | undefined): void;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Counters and gauges the reconciler feeds; all optional. */
export interface ReconcilerHooks {
  bound?(listenerId: string, entries: number): void;
  held?(reason: string): void;
  driftRepaired?(): void;
  origins?(key: string, desired: number | undefined, bound: number | undefined): void;
  /** GAAP applied removals of pods in their termination hold: how many, and how far past their holds. */
  holdsMeasured?(o: HoldOverrun): void;
}
