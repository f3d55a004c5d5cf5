// What the binding controller needs of the world outside it, one small interface per system: the caches, GAAP,
// the binding's status and events, the origin sweep and the readiness gates. The process wires the real ones
// (operator.ts); the unit tests wire in-memory ones. Types only: nothing here imports an adapter.

import type { Logger } from "pino";
import type { Access, KnownTarget } from "../access/grants.ts";
import type { GaapListenerBinding, GaapListenerBindingStatus } from "../api/types.ts";
import type { BindTarget, BoundOrigin, OriginTag, TargetQuery, TargetState } from "../gaap/types.ts";
import type { BindingEvent } from "../model/binding-event.ts";
import type { ClusterView } from "../model/cluster-view.ts";
import type { GateFacts } from "../model/gate-facts.ts";
import type { Clock } from "../runtime/clock.ts";
import type { KeyedMemory } from "../runtime/memory.ts";
import type { HoldOverrun } from "./logic/hold-overrun.ts";

export interface BindingCache {
  binding(key: string): GaapListenerBinding | undefined;
  /** Every binding naming this listener, in any namespace. */
  bindingsOnListener(listenerId: string): GaapListenerBinding[];
  view(b: GaapListenerBinding): ClusterView;
}

/** The GAAP account, as a binding uses it. */
export interface Gaap {
  /** The listener, or its forwarding rule; throws OperatorError kind notFound when either does not exist. */
  describeTarget(q: TargetQuery): Promise<TargetState>;
  /** Registered origin IDs by IP, as far as this process knows them. */
  readonly originIds: ReadonlyMap<string, string>;
  registerOrigins(
    ips: readonly string[],
    projectId: number,
    name: string,
    tags: OriginTag[],
  ): Promise<Map<string, string>>;
  /** IDs found stale (the origin was removed behind our back): look them up again next time. */
  invalidateOriginIds(ips: readonly string[]): void;
  /** Replaces the whole origin set of the listener, or of its rule. */
  bind(target: BindTarget, set: readonly BoundOrigin[]): Promise<void>;
}

export interface StatusWriter {
  /** Patches the status if it changed; resolves to whether it wrote. */
  write(b: GaapListenerBinding, status: GaapListenerBindingStatus): Promise<boolean>;
  setFinalizers(b: GaapListenerBinding, finalizers: string[]): Promise<void>;
  /** The status this process last wrote, newer than a cache that has not caught up. */
  lastWritten(b: GaapListenerBinding): GaapListenerBindingStatus | undefined;
}

export interface EventSink {
  record(b: GaapListenerBinding, event: BindingEvent): void;
}

/** The origin sweep as a binding feeds it: which IPs each binding wants, and when to sweep. */
export interface OriginUse {
  want(bindingKey: string, ips: string[] | undefined): void;
  sweepSoon(): void;
  /** Removes our unused origins among these IPs now. */
  collect(only: ReadonlySet<string>): Promise<void>;
}

/** Where a binding's passes tell the readiness gates of its pods what they learnt. */
export interface GateSink {
  /** The binding's latest facts; undefined when the binding is gone or being deleted. */
  publish(bindingKey: string, facts: GateFacts | undefined): void;
}

/** Counters and gauges a binding's passes feed; all optional. */
export interface BindingMetrics {
  bound?(listenerId: string, entries: number): void;
  held?(reason: string): void;
  driftRepaired?(): void;
  origins?(key: string, desired: number | undefined, bound: number | undefined): void;
  /** GAAP applied removals of pods in their termination hold: how many, and how far past their holds. */
  holdsMeasured?(o: HoldOverrun): void;
}

export interface BindingSettings {
  clusterName: string;
  verifyIntervalMs: number;
  /** How often to look again at a listener busy with someone else's task. */
  busyPollMs: number;
  maxOriginsPerListener: number;
  /** First guess of how long GAAP takes to apply a bind; learned from what it actually takes. */
  initialTaskMs: number;
  /** How far back the breaker looks for the set's peak (0: each bind is judged alone). */
  unbindWindowMs?: number;
}

/** The grants' answer for a binding, with what GAAP told of its target so far (access/grants.ts). */
export type AccessCheck = (b: GaapListenerBinding, known?: KnownTarget) => Access;

/** Everything the binding controller is made of, in one bag. */
export interface BindingDeps {
  cache: BindingCache;
  gaap: Gaap;
  status: StatusWriter;
  events: EventSink;
  origins: OriginUse;
  /** The readiness gates of the bindings' pods (Pod mode). */
  gates?: GateSink;
  /** Who may bind what; absent with --listener-grants=open (every listener is open to every namespace). */
  access?: AccessCheck;
  /** Where every per-binding store lives; forgetting a binding is one call to it. */
  memory: KeyedMemory;
  log: Logger;
  settings: BindingSettings;
  /** False while this process is not the leader: nothing is written to GAAP or Kubernetes. */
  canWrite: () => boolean;
  metrics?: BindingMetrics;
  clock?: Clock;
  random?: () => number;
}
