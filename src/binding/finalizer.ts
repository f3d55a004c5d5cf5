// Deleting a binding: with deletionPolicy Unbind, unbind what this binding bound (only that: others' entries and
// a listener it never held are left alone), delete the origins it registered that nothing uses, then let go of the
// finalizer. A listener that is gone does not block the deletion.
import type { Logger } from "pino";
import { bindingKey, FINALIZER, type GaapListenerBinding, type ResolvedSpec } from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import { type TargetState, targetName } from "../gaap/types.ts";
import type { StepExecutor } from "./apply.ts";
import { ipOfKey } from "./logic/origin.ts";
import { holderOf, onSameTarget, ownedServers, ruleIdentity } from "./logic/ownership.ts";
import { releaseStep } from "./logic/step.ts";
import { targetQuery } from "./logic/target-query.ts";
import type {
  BindingCache,
  EventSink,
  OriginUse,
  ReconcileResult,
  StatusWriter,
  TargetReader,
} from "./ports.ts";
import type { BindTaskTracker } from "./task-tracker.ts";

export interface FinalizerDeps {
  cache: BindingCache;
  reader: TargetReader;
  status: StatusWriter;
  origins: OriginUse;
  events: EventSink;
  executor: StepExecutor;
  tracker: BindTaskTracker;
  log: Logger;
  canWrite: () => boolean;
}

export class Finalizer {
  private readonly d: FinalizerDeps;

  constructor(deps: FinalizerDeps) {
    this.d = deps;
  }

  async finalize(b: GaapListenerBinding, spec: ResolvedSpec): Promise<ReconcileResult> {
    if (!b.metadata.finalizers?.includes(FINALIZER) || !this.d.canWrite()) return {};
    if (spec.deletionPolicy === "Retain") return this.release(b, "deletionPolicy Retain: GAAP left as it is");
    const onListener = this.d.cache.bindingsOnListener(spec.listenerId);
    const holder = holderOf(onSameTarget(onListener, ruleIdentity(b, this.d.status.lastWritten(b))));
    if (holder && holder !== bindingKey(b))
      return this.release(b, "never held its listener or rule (conflict)");
    // Only what this binding bound is removed: one that never bound (e.g. its Service never existed) leaves the
    // listener alone, even under Exclusive ownership.
    const owned = ownedServers(b, this.d.status.lastWritten(b));
    if (owned.size === 0) return this.release(b, "bound nothing");

    return this.d.executor.exclusive(b, spec.listenerId, undefined, async () => {
      let listener: TargetState;
      try {
        const inflightRule = this.d.tracker.inflightRule(spec.listenerId);
        const query = targetQuery(b, this.d.cache, this.d.status, { bound: true, inflightRule });
        listener = await this.d.reader.describeTarget(query);
        this.d.tracker.observeRead(listener);
      } catch (err) {
        if (err instanceof OperatorError && err.kind === "notFound")
          return this.release(
            b,
            `${spec.rule ? "the rule or its listener" : "the listener"} no longer exists`,
          );
        throw err;
      }
      const step = releaseStep(spec, listener, owned);
      if (step) return this.d.executor.carryOut(b, step);
      await this.collect(b);
      const note = `origins removed from ${targetName(listener)}`;
      this.d.events.record(b, { type: "Normal", reason: "Unbound", action: "Unbind", note });
      return this.release(b, "unbound");
    });
  }

  /** Nothing of ours is bound any more: delete the origins we registered that nothing else uses. */
  private async collect(b: GaapListenerBinding): Promise<void> {
    const ips = (b.status?.boundServers ?? [])
      .map((s) => s.ip)
      .concat((b.status?.ownedServers ?? []).map(ipOfKey));
    this.d.origins.forget(bindingKey(b));
    await this.d.origins.collect(new Set(ips));
    // Origins this binding registered and unbound earlier (scale-downs, rollouts) go with the next sweep.
    this.d.origins.sweepSoon();
  }

  private async release(b: GaapListenerBinding, why: string): Promise<ReconcileResult> {
    const key = bindingKey(b);
    this.d.origins.forget(key);
    await this.d.status.setFinalizers(
      b,
      (b.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
    this.d.log.info({ binding: key, why }, "finalizer removed");
    return {};
  }
}
