// One reconcile pass for one binding key, after the EndpointSlice controller's syncService: re-read the caches,
// compute the desired set, read GAAP, compute the whole step (pure), and hand it to the executor. Level-triggered:
// nothing here trusts an event, only the state it reads.
import type { Logger } from "pino";
import {
  bindingKey,
  canHaveGate,
  FINALIZER,
  type GaapListenerBinding,
  gateType,
  type ResolvedSpec,
  type RuleRef,
  resolveSpec,
} from "../api/types.ts";
import type { BoundOrigin } from "../gaap/types.ts";
import type { RateLimiter } from "../runtime/queue.ts";
import { StepExecutor } from "./apply.ts";
import { ErrorPolicy } from "./error-policy.ts";
import { Finalizer } from "./finalizer.ts";
import { type Desired, desiredOrigins } from "./logic/desired.ts";
import { type Drain, drainingOrigins } from "./logic/drain.ts";
import { type DrainedRemoval, measureHolds, overrunEvent } from "./logic/hold-overrun.ts";
import { originKey } from "./logic/origin.ts";
import { conflictMessage, holderOf, onSameTarget, ownedServers, ruleIdentity } from "./logic/ownership.ts";
import { splitOwnership } from "./logic/plan.ts";
import { reasonOf } from "./logic/status.ts";
import { failedGateFacts, syncStep } from "./logic/step.ts";
import { targetQuery } from "./logic/target-query.ts";
import { PeakWindow } from "./peak.ts";
import {
  type BindingCache,
  type Clock,
  type EventSink,
  type GateSink,
  type OriginBinder,
  type OriginRegistry,
  type OriginUse,
  type ReconcileResult,
  type ReconcilerHooks,
  type StatusWriter,
  systemClock,
  type TargetReader,
} from "./ports.ts";
import { type Applied, BindTaskTracker, plannedTaskMs } from "./task-tracker.ts";

/** What a deferred removal keeps in hand before the hold ends, beyond two tasks (clock skew, the bind's trip). */
const REMOVAL_MARGIN_MS = 2000;
/**
 * How long a gated pod whose containers are ready waits for the rest of its wave (and a held pod's removal for the
 * Deployment's next step) before it is bound anyway: half a task, from 1 to 5 s. It ends as soon as no gated pod of
 * the Service is still starting, so it costs only when one is slow; a pod that misses its wave's bind costs a whole
 * task, and holds up the next wave behind it.
 */
const BATCH_MIN_MS = 1000;
const BATCH_MAX_MS = 5000;

export interface ReconcilerSettings {
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

export interface ReconcilerDeps {
  cache: BindingCache;
  reader: TargetReader;
  registry: OriginRegistry;
  binder: OriginBinder;
  status: StatusWriter;
  events: EventSink;
  origins: OriginUse;
  /** The readiness gates of the bindings' pods (Pod mode). */
  gates?: GateSink;
  /** Per-binding backoff of transient failures (its cap bounds how long a binding waits after an outage). */
  backoff: RateLimiter;
  log: Logger;
  settings: ReconcilerSettings;
  /** False while this process is not the leader: nothing is written to GAAP or Kubernetes. */
  canWrite: () => boolean;
  hooks?: ReconcilerHooks;
  clock?: Clock;
  random?: () => number;
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  private readonly tracker: BindTaskTracker;
  private readonly executor: StepExecutor;
  private readonly finalizer: Finalizer;
  private readonly peaks: PeakWindow;
  private readonly clock: Clock;
  /** Since when each binding has had gated additions waiting for their wave. */
  private readonly batching = new Map<string, number>();
  /**
   * Per binding, origins of pods seen in their termination hold that GAAP still holds: a pod that exits before its
   * removal is applied leaves the slices, and its removal must still be measured against its hold.
   */
  private readonly held = new Map<string, Map<string, Drain>>();

  constructor(deps: ReconcilerDeps) {
    this.d = deps;
    const clock = deps.clock ?? systemClock;
    this.clock = clock;
    const s = deps.settings;
    this.tracker = new BindTaskTracker(s.initialTaskMs, clock, (key, removals, when) =>
      this.holdsMeasured(key, removals, when),
    );
    this.peaks = new PeakWindow(s.unbindWindowMs ?? 0, clock);
    const policy = new ErrorPolicy(
      { busyPollMs: s.busyPollMs, slowRetryMs: Math.min(s.verifyIntervalMs, 60_000) },
      deps.backoff,
      deps.random,
    );
    this.executor = new StepExecutor({
      ...deps,
      tracker: this.tracker,
      policy,
      clock,
      clusterName: s.clusterName,
      busyPollMs: s.busyPollMs,
      verifyIntervalMs: s.verifyIntervalMs,
    });
    this.finalizer = new Finalizer({ ...deps, executor: this.executor, tracker: this.tracker });
  }

  /** The longest GAAP took to apply a bind within the last hour, per listener and on any: holds are sized from it. */
  get tasks(): { longestOn(listenerId: string): number; readonly longestMs: number } {
    return this.tracker;
  }

  /** GAAP applied removals of pods in their termination hold: were the holds long enough? */
  private holdsMeasured(key: string, removals: DrainedRemoval[], when: Applied): void {
    try {
      const o = measureHolds(removals, when);
      this.d.hooks?.holdsMeasured?.(o);
      const event = overrunEvent(o);
      if (!event) return;
      this.d.log.warn({ binding: key, late: o.late.length, overrunSeconds: o.overrunSeconds }, event.note);
      const b = this.d.cache.binding(key);
      if (b) this.d.events.record(b, event);
    } catch (err) {
      // A measurement must never fail the pass that read the listener.
      this.d.log.warn({ binding: key, err: String(err) }, "termination holds not measured");
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const b = this.d.cache.binding(key);
    if (!b) {
      this.d.origins.forget(key);
      this.d.status.forget(key);
      this.d.backoff.forget(key);
      this.peaks.forget(key);
      this.batching.delete(key);
      this.held.delete(key);
      this.d.gates?.publish(key, undefined);
      this.d.hooks?.origins?.(key, undefined, undefined);
      return {};
    }
    const spec = resolveSpec(b.spec);
    if (b.metadata.deletionTimestamp) {
      this.d.gates?.publish(key, undefined);
      return this.finalizer.finalize(b, spec);
    }
    if (!this.d.canWrite()) return {};
    if (!b.metadata.finalizers?.includes(FINALIZER)) {
      // The update this makes brings the key back, with a cache that has seen it.
      await this.d.status.setFinalizers(b, [...(b.metadata.finalizers ?? []), FINALIZER]);
      return {};
    }

    const holder = this.holderFor(b, ruleIdentity(b, this.d.status.lastWritten(b)));
    if (holder && holder !== key) return this.conflict(b, holder);

    const name = b.metadata.name as string;
    const gate = spec.targetType === "Pod" && canHaveGate(name) ? { gate: gateType(name) } : {};
    const view = this.d.cache.view(b);
    const desired = desiredOrigins(b.metadata.namespace as string, spec, view, gate);
    this.d.origins.want(key, desired.ok ? desired.origins.map((o) => o.ip) : undefined);
    const desiredCount = desired.ok ? desired.origins.length : undefined;
    // Noted on every pass, also one that waits out our own bind: a pod may exit before the next pass reads GAAP.
    const drain = drainingOrigins(spec, view, gate.gate, desired.ok ? desired.origins : []);
    if (drain.draining.size > 0)
      this.held.set(key, new Map([...(this.held.get(key) ?? []), ...drain.draining]));
    const res = await this.executor.exclusive(b, spec.listenerId, desiredCount, () =>
      this.sync(b, spec, desired, drain),
    );
    if (res.failed && spec.targetType === "Pod")
      this.d.gates?.publish(key, failedGateFacts(b, reasonOf(res.failed.code), res.failed.message));
    return res;
  }

  /** The origins seen in their hold that GAAP still holds for us; the rest are forgotten. */
  private heldBound(key: string, ours: readonly BoundOrigin[]): ReadonlyMap<string, Drain> {
    const held = this.held.get(key);
    if (!held) return new Map();
    const bound = new Set(ours.map(originKey));
    for (const origin of held.keys()) if (!bound.has(origin)) held.delete(origin);
    if (held.size === 0) this.held.delete(key);
    return held;
  }

  /** Who holds the set this binding writes (a listener's, or a rule's as far as it is known). */
  private holderFor(b: GaapListenerBinding, rule: RuleRef | undefined): string | undefined {
    return holderOf(onSameTarget(this.d.cache.bindingsOnListener(b.spec.listenerId), rule));
  }

  private async conflict(b: GaapListenerBinding, holder: string): Promise<ReconcileResult> {
    const key = bindingKey(b);
    const message = conflictMessage(b, this.d.cache.binding(holder), holder);
    await this.executor.report(b, { phase: "conflict", message });
    this.d.origins.want(key, []);
    this.d.gates?.publish(key, failedGateFacts(b, "ListenerConflict", message));
    return {};
  }

  private async sync(
    b: GaapListenerBinding,
    spec: ResolvedSpec,
    desired: Desired,
    drain: ReturnType<typeof drainingOrigins>,
  ): Promise<ReconcileResult> {
    const inflightRule = this.tracker.inflightRule(spec.listenerId);
    const listener = await this.d.reader.describeTarget(
      targetQuery(b, this.d.cache, this.d.status, { inflightRule }),
    );
    this.tracker.observeRead(listener);
    // The rule is known now: another binding may name it the other way (by ID, or by domain and path).
    const holder = listener.rule ? this.holderFor(b, listener.rule) : undefined;
    if (holder && holder !== bindingKey(b)) return this.conflict(b, holder);
    const owned = ownedServers(b, this.d.status.lastWritten(b));
    const { ours } = splitOwnership(spec, listener, owned);
    const peak = this.peaks.observe(bindingKey(b), ours.length);
    // A removal sent this long before a termination hold ends is applied before it ends, even behind another task;
    // the task planned for as the hold was sized (at least 5 s; with none seen on this listener, the account's
    // longest; with none at all, 30 s).
    const listenerMs = Math.max(
      this.tracker.longestOn(spec.listenerId),
      (b.status?.listener?.longestTaskSeconds ?? 0) * 1000,
    );
    const task = Math.max(plannedTaskMs(listenerMs, this.tracker.longestMs), this.tracker.estimateMs);
    const removalLeadMs = 2 * task + REMOVAL_MARGIN_MS;
    const key = bindingKey(b);
    const held = this.heldBound(key, ours);
    const now = this.clock.now();
    const batchMs = Math.min(BATCH_MAX_MS, Math.max(BATCH_MIN_MS, task / 2));
    const batchUntilMs = (this.batching.get(key) ?? now) + batchMs;
    return this.executor.run(b, spec, () => {
      const step = syncStep({
        binding: b,
        spec,
        desired,
        listener,
        owned,
        originIds: this.d.registry.ids,
        maxOrigins: this.d.settings.maxOriginsPerListener,
        peak,
        draining: drain,
        now,
        removalLeadMs,
        batchUntilMs,
        held,
      });
      if (step.kind === "act" && step.batching) {
        if (!this.batching.has(key)) this.batching.set(key, now);
      } else if (step.kind === "act") this.batching.delete(key);
      return step;
    });
  }
}
