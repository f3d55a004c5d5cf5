// Deleting a binding: with deletionPolicy Unbind, unbind what this binding bound (only that: others' entries and
// a listener it never held are left alone), delete the origins it registered that nothing uses, then let go of the
// finalizer. A listener that is gone does not block the deletion.
import { knownTarget, settled } from "../access/grants.ts";
import { bindingKey, FINALIZER, type GaapListenerBinding, type ResolvedSpec } from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import { type TargetState, targetName } from "../gaap/types.ts";
import type { Result } from "../runtime/controller.ts";
import type { Applier } from "./apply.ts";
import { holderFor } from "./holder.ts";
import { ipOfKey } from "./logic/origin.ts";
import { ownedServers, ruleIdentity } from "./logic/ownership.ts";
import { releaseStep } from "./logic/step.ts";
import { targetQuery } from "./logic/target-query.ts";
import type { BindingDeps } from "./ports.ts";

export class Finalizer {
  private readonly d: BindingDeps;
  private readonly applier: Applier;

  constructor(deps: BindingDeps, applier: Applier) {
    this.d = deps;
    this.applier = applier;
  }

  /**
   * What a deletion decides without GAAP: let go at once (Retain, a binding that never held its target or bound
   * nothing), or nothing to do here. Undefined: GAAP must be read, under the listener's lock (unbind).
   */
  async withoutGaap(b: GaapListenerBinding, spec: ResolvedSpec): Promise<Result | undefined> {
    if (!b.metadata.finalizers?.includes(FINALIZER) || !this.d.canWrite()) return {};
    if (spec.deletionPolicy === "Retain") return this.release(b, "deletionPolicy Retain: GAAP left as it is");
    const holder = holderFor(this.d, b, ruleIdentity(b, this.d.status.lastWritten(b)));
    if (holder && holder !== bindingKey(b))
      return this.release(b, "never held its listener or rule (conflict)");
    // Only what this binding bound is removed: one that never bound (e.g. its Service never existed) leaves the
    // listener alone, even under Exclusive ownership.
    if (ownedServers(b, this.d.status.lastWritten(b)).size === 0) return this.release(b, "bound nothing");
    return undefined;
  }

  /** Unbinds this binding's entries (a step at a time), then collects its origins and lets go. Under the lock. */
  async unbind(b: GaapListenerBinding, spec: ResolvedSpec): Promise<Result> {
    let target: TargetState;
    try {
      const inflightRule = this.applier.tracker.inflightRule(spec.listenerId);
      const query = targetQuery(b, this.d.cache, this.d.status, { bound: true, inflightRule });
      target = await this.d.gaap.describeTarget(query);
      this.applier.tracker.observeRead(target);
    } catch (err) {
      if (err instanceof OperatorError && err.kind === "notFound")
        return this.release(b, `${spec.rule ? "the rule or its listener" : "the listener"} no longer exists`);
      throw err;
    }
    // Never left as it is because of a namespace the cache has not seen: retried until the grants can tell.
    const allowed = this.d.access?.(b, knownTarget(target));
    const answer = allowed ? settled(allowed) : undefined;
    if (answer?.kind === "denied") return this.leave(b, answer.message);
    const step = releaseStep(spec, target, ownedServers(b, this.d.status.lastWritten(b)));
    if (step) return this.applier.apply(b, step);
    await this.collect(b);
    const note = `origins removed from ${targetName(target)}`;
    this.d.events.record(b, { type: "Normal", reason: "Unbound", action: "Unbind", note });
    return this.release(b, "unbound");
  }

  /** No grant covers the listener any more: a deletion leaves it exactly as it is, and says so. */
  async leave(b: GaapListenerBinding, message: string): Promise<Result> {
    const note = `GAAP left as it is, nothing unbound: ${message}`;
    this.d.events.record(b, { type: "Warning", reason: "NotPermitted", action: "Unbind", note });
    return this.release(b, "not permitted");
  }

  /** Nothing of ours is bound any more: delete the origins we registered that nothing else uses. */
  private async collect(b: GaapListenerBinding): Promise<void> {
    const ips = (b.status?.boundServers ?? [])
      .map((s) => s.ip)
      .concat((b.status?.ownedServers ?? []).map(ipOfKey));
    this.d.origins.want(bindingKey(b), []);
    await this.d.origins.collect(new Set(ips));
    // Origins this binding registered and unbound earlier (scale-downs, rollouts) go with the next sweep.
    this.d.origins.sweepSoon();
  }

  private async release(b: GaapListenerBinding, why: string): Promise<Result> {
    const key = bindingKey(b);
    // Its IPs are wanted no more; the rest of what is remembered of it goes when the binding does (reconciler).
    this.d.origins.want(key, []);
    await this.d.status.setFinalizers(
      b,
      (b.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
    this.d.log.info({ binding: key, why }, "finalizer removed");
    return {};
  }
}
