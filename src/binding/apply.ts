// Carries out a step: register origins, write the status, send the bind, record events, say when to come back.
// It is also the one writer per listener (a lock per listener, and no pass while our own bind is being applied),
// and it applies the error policy to a pass that failed. Every GAAP write and status write of a pass happens here;
// only the finalizer patch and origin GC live elsewhere.
import type { Logger } from "pino";
import { bindingKey, type GaapListenerBinding, type ResolvedSpec } from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import { BINDING_TAG, CLUSTER_TAG, type OriginTag } from "../gaap/types.ts";
import { jitter } from "../runtime/jitter.ts";
import { KeyedMutex } from "../runtime/keyed-mutex.ts";
import type { ErrorPolicy } from "./error-policy.ts";
import { composeStatus, type Outcome, reasonOf } from "./logic/status.ts";
import type { Act, Requeue, Step } from "./logic/step.ts";
import type {
  Clock,
  EventSink,
  GateSink,
  OriginBinder,
  OriginRegistry,
  OriginUse,
  ReconcileResult,
  ReconcilerHooks,
  StatusWriter,
} from "./ports.ts";
import type { BindTaskTracker } from "./task-tracker.ts";

export interface ExecutorDeps {
  registry: OriginRegistry;
  binder: OriginBinder;
  status: StatusWriter;
  events: EventSink;
  origins: OriginUse;
  gates?: GateSink;
  tracker: BindTaskTracker;
  policy: ErrorPolicy;
  clock: Clock;
  log: Logger;
  clusterName: string;
  busyPollMs: number;
  verifyIntervalMs: number;
  /** False while this process is not the leader: nothing is written to GAAP or Kubernetes. */
  canWrite: () => boolean;
  hooks?: ReconcilerHooks;
  random?: () => number;
}

export class StepExecutor {
  private readonly d: ExecutorDeps;
  private readonly listenerLocks = new KeyedMutex();

  constructor(deps: ExecutorDeps) {
    this.d = deps;
  }

  /**
   * Runs a pass that may write this listener: one at a time per listener, and not while our own bind on it is
   * still being applied (GAAP has nothing new to tell until then). A pass that fails goes to the error policy.
   */
  async exclusive(
    b: GaapListenerBinding,
    listenerId: string,
    desiredCount: number | undefined,
    pass: () => Promise<ReconcileResult>,
  ): Promise<ReconcileResult> {
    const key = bindingKey(b);
    const wait = this.d.tracker.pending(listenerId);
    if (wait !== undefined) return { requeueAfterMs: wait };
    try {
      const res = await this.listenerLocks.run(listenerId, () => {
        // Checked again under the lock: another binding on this listener may just have bound.
        const again = this.d.tracker.pending(listenerId);
        return again === undefined ? pass() : Promise.resolve({ requeueAfterMs: again });
      });
      this.d.policy.succeeded(key);
      return res;
    } catch (err) {
      if (!(err instanceof OperatorError)) throw err;
      return this.failed(b, err, desiredCount);
    }
  }

  /** Computes the step, registers what it needs first (then computes it again), and carries it out. */
  async run(b: GaapListenerBinding, spec: ResolvedSpec, compute: () => Step): Promise<ReconcileResult> {
    let step = compute();
    if (step.kind === "register") {
      await this.register(b, spec, step.ips);
      step = compute();
      if (step.kind === "register") {
        throw new OperatorError(
          "transient",
          "RegistrationIncomplete",
          `origins ${step.ips.join(", ")} are still not registered`,
        );
      }
    }
    return this.carryOut(b, step);
  }

  async carryOut(b: GaapListenerBinding, step: Act): Promise<ReconcileResult> {
    const key = bindingKey(b);
    // Without a bind, events go first: a status write that fails must not lose the hold's event.
    if (!step.bind) this.recordAll(b, step);
    if (step.sweep) this.d.origins.sweepSoon();
    if (step.outcome) await this.report(b, step.outcome);
    if (step.bind) {
      const { target, set, change, unheld, drained } = step.bind;
      const { listenerId } = target;
      try {
        await this.d.binder.bind(target, set);
      } catch (err) {
        if (err instanceof OperatorError && err.code === "InvalidParameterValue.RealServerNotBelong") {
          // An origin ID we remembered is gone (removed by hand, or by another cluster). IDs the listener holds
          // are learned again from the next read; the rest are looked up again.
          this.d.registry.forget(unheld);
          throw new OperatorError("transient", "StaleOriginId", err.message, { cause: err });
        }
        throw err;
      }
      this.d.tracker.sent(
        listenerId,
        target.ruleId,
        drained ? { binding: key, removals: drained } : undefined,
      );
      this.d.hooks?.bound?.(listenerId, set.length);
      if (step.drift) this.d.hooks?.driftRepaired?.();
      this.d.log.info(
        {
          binding: key,
          listener: listenerId,
          ...(target.ruleId ? { rule: target.ruleId } : {}),
          change,
          drift: step.drift ?? false,
          entries: set.length,
        },
        "bind sent",
      );
      this.recordAll(b, step);
    }
    if (step.counts) this.d.hooks?.origins?.(key, step.counts.desired, step.counts.bound);
    if (step.gates) this.d.gates?.publish(key, step.gates);
    // After a bind, the tracker says when to look (the task's estimate, or sooner, when a hold it ends must be checked).
    const afterBind = step.bind ? this.d.tracker.pending(step.bind.target.listenerId) : undefined;
    return { requeueAfterMs: step.requeueAfterMs ?? afterBind ?? this.delay(step.requeue) };
  }

  private recordAll(b: GaapListenerBinding, step: Act): void {
    for (const e of step.events) this.d.events.record(b, e);
    if (step.held) this.d.hooks?.held?.(step.held);
  }

  /** Writes the status this outcome makes of the binding's current one (only when it changed). */
  async report(b: GaapListenerBinding, outcome: Outcome): Promise<void> {
    if (!this.d.canWrite()) return;
    const now = new Date(this.d.clock.now());
    const longest =
      "listener" in outcome && outcome.listener ? this.d.tracker.longestOn(outcome.listener.listenerId) : 0;
    const learned = longest > 0 ? { longestTaskSeconds: Math.ceil(longest / 1000) } : {};
    await this.d.status.write(b, composeStatus(b.status, b.metadata.generation, outcome, now, learned));
  }

  /**
   * Registers origins we know no ID for. It registers them straight away: an IP that is registered already gets
   * DuplicateRS and only then is looked up, so a cold start does not look up thousands of IPs that do not exist yet.
   */
  private async register(b: GaapListenerBinding, spec: ResolvedSpec, ips: string[]): Promise<void> {
    if (!this.d.canWrite()) return;
    const tags: OriginTag[] = [
      { key: CLUSTER_TAG, value: this.d.clusterName },
      { key: BINDING_TAG, value: bindingKey(b) },
    ];
    const ids = await this.d.registry.register(ips, spec.projectId, "gaap-operator", tags);
    this.d.log.info({ binding: bindingKey(b), registered: ids.size }, "registered origin servers");
  }

  private async failed(
    b: GaapListenerBinding,
    err: OperatorError,
    desiredCount: number | undefined,
  ): Promise<ReconcileResult> {
    const key = bindingKey(b);
    const decision = this.d.policy.decide(key, err);
    if ("rethrow" in decision) throw err;
    const { requeueAfterMs, report } = decision;
    this.d.log.warn(
      { binding: key, code: err.code, kind: err.kind, err: err.message, retryInMs: requeueAfterMs },
      "reconcile failed",
    );
    if (report === "none") return { requeueAfterMs }; // a busy listener: a wait, not a failure
    if (report === "stuck")
      this.d.events.record(b, {
        type: "Warning",
        reason: reasonOf(err.code),
        action: "Sync",
        note: err.message,
      });
    const retryAt = report === "stuck" ? { retryAt: new Date(this.d.clock.now() + requeueAfterMs) } : {};
    const counted = desiredCount === undefined ? {} : { desiredCount };
    // A status that cannot be written now (the apiserver may be what failed) is written by the retry.
    await this.report(b, { phase: "error", error: err, ...retryAt, ...counted }).catch(() => {});
    return { requeueAfterMs, failed: err };
  }

  private delay(why: Requeue): number {
    switch (why) {
      case "busyPoll":
        return this.d.busyPollMs;
      case "hold":
        return this.d.verifyIntervalMs;
      case "verify":
        return jitter(this.d.verifyIntervalMs, this.d.random);
      case "afterBind":
        return this.d.tracker.estimateMs;
    }
  }
}
