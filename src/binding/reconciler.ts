// One reconcile pass for one binding key, after the EndpointSlice controller's syncService: re-read the caches,
// compute the desired set, take the listener's lock, read GAAP, compute the whole step (pure), and hand it to the
// applier. Level-triggered: nothing here trusts an event, only the state it reads. Every failure of a pass, in the
// lock or outside it, goes through `failed`: one error path, one backoff (the work queue's).
import { knownTarget, settled } from "../access/grants.ts";
import {
  bindingKey,
  canHaveGate,
  FINALIZER,
  type GaapListenerBinding,
  gateType,
  type ResolvedSpec,
  resolveSpec,
} from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import type { BoundOrigin, TargetState } from "../gaap/types.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";
import type { Result } from "../runtime/controller.ts";
import { KeyedMutex } from "../runtime/keyed-mutex.ts";
import { PeakWindow } from "../runtime/peak-window.ts";
import { Applier } from "./apply.ts";
import { Finalizer } from "./finalizer.ts";
import { holderFor } from "./holder.ts";
import { type Desired, desiredOrigins } from "./logic/desired.ts";
import { type Drain, drainingOrigins } from "./logic/drain.ts";
import { decide, type ErrorPolicySettings } from "./logic/error-policy.ts";
import { type DrainedRemoval, measureHolds, overrunEvent } from "./logic/hold-overrun.ts";
import { originKey } from "./logic/origin.ts";
import { conflictMessage, ownedServers, ruleIdentity } from "./logic/ownership.ts";
import { splitOwnership } from "./logic/plan.ts";
import { reasonOf } from "./logic/status.ts";
import { failedGateFacts, type SyncInput, syncStep } from "./logic/step.ts";
import { targetQuery } from "./logic/target-query.ts";
import { plannedTaskMs } from "./logic/task-time.ts";
import type { BindingDeps } from "./ports.ts";
import { type Applied, BindTaskTracker } from "./task-tracker.ts";

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

/** What a pass knows by the time it may fail: what the failure's status and gates are written with. */
interface Pass {
  b: GaapListenerBinding;
  key: string;
  deleting: boolean;
  /** Pod mode: a failure is told to the pods' readiness gates. */
  podMode?: boolean;
  desiredCount?: number;
}

export class BindingReconciler {
  private readonly d: BindingDeps;
  private readonly clock: Clock;
  private readonly tracker: BindTaskTracker;
  private readonly applier: Applier;
  private readonly finalizer: Finalizer;
  private readonly listenerLocks = new KeyedMutex();
  private readonly policy: ErrorPolicySettings;
  /** The breaker's memory: each binding's most origins bound at once within the window (plan.ts judgeRemovals). */
  private readonly peaks: PeakWindow;
  /** Since when each binding has had gated additions waiting for their wave. */
  private readonly batching: Map<string, number>;
  /**
   * Per binding, origins of pods seen in their termination hold that GAAP still holds: a pod that exits before its
   * removal is applied leaves the slices, and its removal must still be measured against its hold.
   */
  private readonly held: Map<string, Map<string, Drain>>;

  constructor(deps: BindingDeps) {
    this.d = deps;
    this.clock = deps.clock ?? systemClock;
    const s = deps.settings;
    this.tracker = new BindTaskTracker(s.initialTaskMs, this.clock, (key, removals, when) =>
      this.holdsMeasured(key, removals, when),
    );
    this.applier = new Applier(deps, this.tracker, this.clock);
    this.finalizer = new Finalizer(deps, this.applier);
    this.policy = { busyPollMs: s.busyPollMs, slowRetryMs: Math.min(s.verifyIntervalMs, 60_000) };
    const memory = deps.memory;
    this.peaks = new PeakWindow(s.unbindWindowMs ?? 0, this.clock, memory.map("breakerPeaks"));
    this.batching = memory.map("batchingSince");
    this.held = memory.map("heldOrigins");
  }

  /** The longest GAAP took to apply a bind within the last hour, per listener and on any: holds are sized from it. */
  get tasks(): { longestOn(listenerId: string): number; readonly longestMs: number } {
    return this.tracker;
  }

  async reconcile(key: string): Promise<Result> {
    const b = this.d.cache.binding(key);
    if (!b) return this.forget(key);
    const pass: Pass = { b, key, deleting: b.metadata.deletionTimestamp !== undefined };
    try {
      return await this.pass(pass);
    } catch (err) {
      return this.failed(pass, err);
    }
  }

  private async pass(p: Pass): Promise<Result> {
    const { b, key } = p;
    const spec = resolveSpec(b.spec);
    p.podMode = spec.targetType === "Pod";
    let desired: Desired | undefined;
    let drain: ReturnType<typeof drainingOrigins> | undefined;
    if (p.deleting) {
      this.d.gates?.publish(key, undefined);
      const done = await this.finalizer.withoutGaap(b, spec);
      if (done) return done;
      const allowed = this.d.access?.(b);
      if (allowed?.kind === "denied") return this.finalizer.leave(b, allowed.message);
    } else {
      if (!this.d.canWrite()) return {};
      if (!b.metadata.finalizers?.includes(FINALIZER)) {
        // The update this makes brings the key back, with a cache that has seen it.
        await this.d.status.setFinalizers(b, [...(b.metadata.finalizers ?? []), FINALIZER]);
        return {};
      }
      // Before anything else about the listener (who else holds it, whether it exists): no grant, nothing told. One
      // the grants decide only with GAAP's read is told who holds the listener after that read (sync).
      const allowed = this.d.access?.(b);
      if (allowed?.kind === "denied") return this.notPermitted(b, allowed.message);
      if (allowed?.kind !== "undecided") {
        const holder = holderFor(this.d, b, ruleIdentity(b, this.d.status.lastWritten(b)));
        if (holder && holder !== key) return this.conflict(b, holder);
      }
      const name = b.metadata.name as string;
      const gate = p.podMode && canHaveGate(name) ? { gate: gateType(name) } : {};
      const view = this.d.cache.view(b);
      desired = desiredOrigins(b.metadata.namespace as string, spec, view, gate);
      this.d.origins.want(key, desired.ok ? desired.origins.map((o) => o.ip) : undefined);
      if (desired.ok) p.desiredCount = desired.origins.length;
      // Noted on every pass, also one that waits out our own bind: a pod may exit before the next pass reads GAAP.
      drain = drainingOrigins(spec, view, gate.gate, desired.ok ? desired.origins : []);
      if (drain.draining.size > 0)
        this.held.set(key, new Map([...(this.held.get(key) ?? []), ...drain.draining]));
    }

    // One writer per listener, and no pass while our own bind on it is still being applied (GAAP has nothing new to
    // tell until then); checked again once the lock is ours: another binding on this listener may just have bound.
    const wait = this.tracker.pending(spec.listenerId);
    if (wait !== undefined) return { requeueAfterMs: wait, poll: true };
    const unlock = await this.listenerLocks.acquire(spec.listenerId);
    try {
      const again = this.tracker.pending(spec.listenerId);
      if (again !== undefined) return { requeueAfterMs: again, poll: true };
      if (desired && drain) return await this.sync(b, spec, desired, drain);
      return await this.finalizer.unbind(b, spec);
    } finally {
      unlock();
    }
  }

  /** Reads GAAP, computes the step (registering what it needs first, then computing it again), and applies it. */
  private async sync(
    b: GaapListenerBinding,
    spec: ResolvedSpec,
    desired: Desired,
    drain: ReturnType<typeof drainingOrigins>,
  ): Promise<Result> {
    const key = bindingKey(b);
    const inflightRule = this.tracker.inflightRule(spec.listenerId);
    const undecided = this.d.access?.(b).kind === "undecided";
    let target: TargetState;
    try {
      target = await this.d.gaap.describeTarget(
        targetQuery(b, this.d.cache, this.d.status, { inflightRule }),
      );
    } catch (err) {
      // A binding the grants decide only with this read learns nothing from it, not even whether the listener exists.
      const refused =
        undecided && err instanceof OperatorError && err.kind === "notFound" && this.d.access?.(b, {});
      const answer = refused ? settled(refused) : undefined;
      if (answer?.kind === "denied") return this.notPermitted(b, answer.message);
      throw err;
    }
    this.tracker.observeRead(target);
    // The proxy and the rule's ID are known now: a grant by either is decided here, before anything is written.
    const allowed = this.d.access?.(b, knownTarget(target));
    const answer = allowed ? settled(allowed) : undefined;
    if (answer?.kind === "denied") return this.notPermitted(b, answer.message);
    // The rule is known now: another binding may name it the other way (by ID, or by domain and path).
    const holder = holderFor(this.d, b, target.rule ?? ruleIdentity(b, this.d.status.lastWritten(b)));
    if (holder && holder !== key) return this.conflict(b, holder);
    const owned = ownedServers(b, this.d.status.lastWritten(b));
    const { ours } = splitOwnership(spec, target, owned);
    const now = this.clock.now();
    // A removal sent this long before a termination hold ends is applied before it ends, even behind another task;
    // the task planned for as the hold was sized (at least 5 s; with none seen on this listener, the account's
    // longest; with none at all, 30 s).
    const listenerMs = Math.max(
      this.tracker.longestOn(spec.listenerId),
      (b.status?.listener?.longestTaskSeconds ?? 0) * 1000,
    );
    const task = Math.max(plannedTaskMs(listenerMs, this.tracker.longestMs), this.tracker.estimateMs);
    const batchMs = Math.min(BATCH_MAX_MS, Math.max(BATCH_MIN_MS, task / 2));
    // What was bound and wanted until now (as the last pass saw both, and still bound) goes into the breaker's
    // window first: with no pass for a whole window (the verify interval is as long), it would have forgotten the set
    // a collapse starts from. Both counts from the last pass, so a surge's old-and-new set is no peak either.
    const last = b.status;
    if (last?.desiredCount !== undefined && last.boundCount !== undefined)
      this.peaks.observe(key, Math.min(ours.length, last.desiredCount, last.boundCount));
    const input: SyncInput = {
      binding: b,
      spec,
      desired,
      target,
      owned,
      originIds: this.d.gaap.originIds,
      maxOrigins: this.d.settings.maxOriginsPerListener,
      // The set's size is what is bound and still wanted: a replacement binds the new origins before it removes the
      // old, and that brief double must not become the peak a later scale-down is judged against.
      peak: this.peaks.observe(key, desired.ok ? Math.min(ours.length, desired.origins.length) : ours.length),
      draining: drain,
      now,
      removalLeadMs: 2 * task + REMOVAL_MARGIN_MS,
      batchUntilMs: (this.batching.get(key) ?? now) + batchMs,
      held: this.heldBound(key, ours),
    };
    let step = syncStep(input);
    if (step.kind === "register") {
      await this.applier.register(b, spec, step.ips);
      step = syncStep(input);
      if (step.kind === "register")
        throw new OperatorError(
          "transient",
          "RegistrationIncomplete",
          `origins ${step.ips.join(", ")} are still not registered`,
        );
    }
    if (step.held === "MassUnbind") {
      // The set the breaker holds is part of the window's memory (not only what is bound and wanted), so what it
      // holds back goes at most maxUnbindPercent a window; a step with nothing to send looks again as the peak falls.
      this.peaks.observe(key, ours.length);
      const falls = this.peaks.fallsAt(key);
      if (!step.bind && falls !== undefined)
        step = {
          ...step,
          requeueAfterMs: Math.min(this.d.settings.verifyIntervalMs, Math.max(1, falls - now)),
        };
    }
    if (!step.batching) this.batching.delete(key);
    else if (!this.batching.has(key)) this.batching.set(key, now);
    return this.applier.apply(b, step);
  }

  /** The one error path: what the policy says, the status and the event it calls for, and the gates. */
  private async failed(p: Pass, err: unknown): Promise<Result> {
    if (!(err instanceof OperatorError)) throw err; // a bug: the controller logs it and backs off
    const { b, key } = p;
    const decision = decide(err, this.policy, this.d.random);
    if (decision.kind === "poll") {
      // Not a failure (the controller logs those): a busy listener or our cache behind our own write.
      this.d.log.debug(
        { binding: key, code: err.code, retryInMs: decision.requeueAfterMs },
        "looking again shortly",
      );
      return { requeueAfterMs: decision.requeueAfterMs, poll: true };
    }
    const stuck = decision.kind === "stuck";
    if (stuck)
      this.d.events.record(b, {
        type: "Warning",
        reason: reasonOf(err.code),
        action: "Sync",
        note: err.message,
      });
    const retryAt = stuck ? { retryAt: new Date(this.clock.now() + decision.requeueAfterMs) } : {};
    const counted = p.desiredCount === undefined ? {} : { desiredCount: p.desiredCount };
    // A status that cannot be written now (the apiserver may be what failed) is written by the retry.
    await this.applier.writeStatus(b, { phase: "error", error: err, ...retryAt, ...counted }).catch(() => {});
    if (!p.deleting && p.podMode)
      this.d.gates?.publish(key, failedGateFacts(b, reasonOf(err.code), err.message));
    return { failed: err, ...(stuck ? { requeueAfterMs: decision.requeueAfterMs } : {}) };
  }

  /**
   * The binding is gone: everything remembered of it goes in one call. (The bind task history is the listener's and
   * the account's, not the binding's: it outlives the binding, for the next one on the listener, and an hour bounds it.)
   */
  private forget(key: string): Result {
    this.d.memory.forget(key);
    this.d.gates?.publish(key, undefined);
    this.d.metrics?.origins?.(key, undefined, undefined);
    return {};
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

  private async conflict(b: GaapListenerBinding, holder: string): Promise<Result> {
    const key = bindingKey(b);
    const message = conflictMessage(b, this.d.cache.binding(holder), holder);
    await this.applier.writeStatus(b, { phase: "conflict", message });
    this.d.origins.want(key, []);
    this.d.gates?.publish(key, failedGateFacts(b, "ListenerConflict", message));
    return {};
  }

  /** No grant covers what the binding writes: Degraded, nothing new bound, nothing unbound. */
  private async notPermitted(b: GaapListenerBinding, message: string): Promise<Result> {
    const key = bindingKey(b);
    await this.applier.writeStatus(b, { phase: "notPermitted", message });
    // Its origins are not wanted for it; what GAAP binds (here or elsewhere) the sweep never removes.
    this.d.origins.want(key, []);
    this.d.gates?.publish(key, failedGateFacts(b, "NotPermitted", message));
    return {};
  }

  /** GAAP applied removals of pods in their termination hold: were the holds long enough? */
  private holdsMeasured(key: string, removals: DrainedRemoval[], when: Applied): void {
    try {
      const o = measureHolds(removals, when);
      this.d.metrics?.holdsMeasured?.(o);
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
}
