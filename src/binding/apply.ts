// Carries out a step (the EndpointSlice controller's `finalize`): register origins, write the status, send the bind,
// record events, feed the metrics and the readiness gates, and say when to come back. Every GAAP write and every
// status write of a pass happens here; the reconciler decides, under the listener's lock, what to hand it. (The
// finalizer patch, and the event of a pass that failed, are the reconciler's: they are not a step.)
import { bindingKey, type GaapListenerBinding, type ResolvedSpec } from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import { BINDING_TAG, CLUSTER_TAG, type OriginTag } from "../gaap/types.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Result } from "../runtime/controller.ts";
import { jitter } from "../runtime/jitter.ts";
import { composeStatus, type Outcome } from "./logic/status.ts";
import type { Act, Requeue } from "./logic/step.ts";
import type { BindingDeps } from "./ports.ts";
import type { BindTaskTracker } from "./task-tracker.ts";

export class Applier {
  private readonly d: BindingDeps;
  /** Our binds in flight and what GAAP took to apply them: the finalizer and the reconciler read it too. */
  readonly tracker: BindTaskTracker;
  private readonly clock: Clock;

  constructor(deps: BindingDeps, tracker: BindTaskTracker, clock: Clock) {
    this.d = deps;
    this.tracker = tracker;
    this.clock = clock;
  }

  async apply(b: GaapListenerBinding, step: Act): Promise<Result> {
    const key = bindingKey(b);
    // Without a bind, events go first: a status write that fails must not lose the hold's event.
    if (!step.bind) this.recordAll(b, step);
    if (step.sweep) this.d.origins.sweepSoon();
    if (step.outcome) await this.writeStatus(b, step.outcome);
    if (step.bind) {
      const { target, set, change, unheld, drained } = step.bind;
      const { listenerId } = target;
      try {
        await this.d.gaap.bind(target, set);
      } catch (err) {
        if (err instanceof OperatorError && err.code === "InvalidParameterValue.RealServerNotBelong") {
          // An origin ID we remembered is gone (removed by hand, or by another cluster). IDs the listener holds
          // are learned again from the next read; the rest are looked up again.
          this.d.gaap.invalidateOriginIds(unheld);
          throw new OperatorError("transient", "StaleOriginId", err.message, { cause: err });
        }
        throw err;
      }
      this.tracker.sent(listenerId, target.ruleId, drained ? { binding: key, removals: drained } : undefined);
      this.d.metrics?.bound?.(listenerId, set.length);
      if (step.drift) this.d.metrics?.driftRepaired?.();
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
    if (step.counts) this.d.metrics?.origins?.(key, step.counts.desired, step.counts.bound);
    if (step.gates) this.d.gates?.publish(key, step.gates);
    // After a bind, the tracker says when to look (the task's estimate, or sooner, when a hold it ends must be checked).
    const afterBind = step.bind ? this.tracker.pending(step.bind.target.listenerId) : undefined;
    return { requeueAfterMs: step.requeueAfterMs ?? afterBind ?? this.delay(step.requeue) };
  }

  /** Writes the status this outcome makes of the binding's current one (only when it changed). */
  async writeStatus(b: GaapListenerBinding, outcome: Outcome): Promise<void> {
    if (!this.d.canWrite()) return;
    const now = new Date(this.clock.now());
    const longest =
      "target" in outcome && outcome.target ? this.tracker.longestOn(outcome.target.listenerId) : 0;
    const learned = longest > 0 ? { longestTaskSeconds: Math.ceil(longest / 1000) } : {};
    await this.d.status.write(b, composeStatus(b.status, b.metadata.generation, outcome, now, learned));
  }

  /**
   * Registers origins we know no ID for. It registers them straight away: an IP that is registered already gets
   * DuplicateRS and only then is looked up, so a cold start does not look up thousands of IPs that do not exist yet.
   */
  async register(b: GaapListenerBinding, spec: ResolvedSpec, ips: string[]): Promise<void> {
    if (!this.d.canWrite()) return;
    const tags: OriginTag[] = [
      { key: CLUSTER_TAG, value: this.d.settings.clusterName },
      { key: BINDING_TAG, value: bindingKey(b) },
    ];
    const ids = await this.d.gaap.registerOrigins(ips, spec.projectId, "gaap-operator", tags);
    this.d.log.info({ binding: bindingKey(b), registered: ids.size }, "registered origin servers");
  }

  private recordAll(b: GaapListenerBinding, step: Act): void {
    for (const e of step.events) this.d.events.record(b, e);
    if (step.held) this.d.metrics?.held?.(step.held);
  }

  private delay(why: Requeue): number {
    const s = this.d.settings;
    switch (why) {
      case "busyPoll":
        return s.busyPollMs;
      case "hold":
        return s.verifyIntervalMs;
      case "verify":
        return jitter(s.verifyIntervalMs, this.d.random);
      case "afterBind":
        return this.tracker.estimateMs;
    }
  }
}
