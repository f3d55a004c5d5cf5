// One reconcile pass for one binding key: re-read the caches, compute the desired set, read GAAP, plan one step,
// carry it out, and report it. Level-triggered: nothing here trusts an event, only the state it reads.

import type { Logger } from "pino";
import {
  bindingKey,
  FINALIZER,
  type GaapListenerBinding,
  type ResolvedSpec,
  resolveSpec,
} from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import type { GaapClient } from "../gaap/client.ts";
import type { BoundOrigin, ListenerState } from "../gaap/types.ts";
import type { BindingWriter } from "../kube/binding-writer.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { Sources } from "../kube/sources.ts";
import { KeyedMutex } from "../util/keyed-mutex.ts";
import { type Desired, desiredOrigins, originKey } from "./desired.ts";
import type { OriginCollector } from "./origins.ts";
import { type Plan, plan, planRelease, splitOwnership } from "./plan.ts";
import { composeStatus, type Outcome } from "./report.ts";

export interface ReconcilerSettings {
  clusterName: string;
  verifyIntervalMs: number;
  /** How often to look again at a listener busy with someone else's task. */
  busyPollMs: number;
  maxOriginsPerListener: number;
  /** First guess of how long GAAP takes to apply a bind; learned from what it actually takes. */
  initialTaskMs: number;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface ReconcilerHooks {
  bound?(listenerId: string, entries: number): void;
  held?(reason: string): void;
  driftRepaired?(): void;
  origins?(key: string, desired: number | undefined, bound: number | undefined): void;
}

export interface ReconcilerDeps {
  sources: Sources;
  gaap: GaapClient;
  status: BindingWriter;
  events: EventRecorder;
  origins: OriginCollector;
  log: Logger;
  settings: ReconcilerSettings;
  /** False while this process is not the leader: nothing is written to GAAP or Kubernetes. */
  canWrite: () => boolean;
  hooks?: ReconcilerHooks;
}

/** Tags on origins the operator registers, so it can find (and only ever remove) its own. */
export const CLUSTER_TAG = "gaap.operator.dev/cluster";
export const BINDING_TAG = "gaap.operator.dev/binding";

export class Reconciler {
  private readonly d: ReconcilerDeps;
  private readonly listenerLocks = new KeyedMutex();
  /** Registered origin IDs by IP, learned from registrations and from what listeners report. */
  private readonly originIds = new Map<string, string>();
  /** Listeners we sent a bind to, and when it is expected to be applied. */
  private readonly inflight = new Map<string, { sentAt: number; expectedAt: number; busySeen?: boolean }>();
  private taskEstimateMs: number;

  constructor(deps: ReconcilerDeps) {
    this.d = deps;
    this.taskEstimateMs = deps.settings.initialTaskMs;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const b = this.d.sources.binding(key);
    if (!b) {
      this.d.origins.forget(key);
      this.d.hooks?.origins?.(key, undefined, undefined);
      return {};
    }
    const spec = resolveSpec(b.spec);
    if (b.metadata.deletionTimestamp) return this.finalize(b, spec);
    if (!this.d.canWrite()) return {};
    if (!b.metadata.finalizers?.includes(FINALIZER)) {
      // The update this makes brings the key back, with a cache that has seen it.
      await this.d.status.setFinalizers(b, [...(b.metadata.finalizers ?? []), FINALIZER]);
      return {};
    }

    const holder = this.holderOf(spec.listenerId);
    if (holder && holder !== key) {
      await this.report(b, { phase: "conflict", message: conflictMessage(b, holder, this.d.sources) });
      this.d.origins.want(key, []);
      return {};
    }

    const desired = desiredOrigins(b.metadata.namespace as string, spec, this.d.sources.view(b));
    this.d.origins.want(key, desired.ok ? desired.origins.map((o) => o.ip) : undefined);
    const desiredCount = desired.ok ? desired.origins.length : undefined;

    const wait = this.pendingBind(spec.listenerId);
    if (wait !== undefined) return { requeueAfterMs: wait };
    try {
      return await this.listenerLocks.run(spec.listenerId, () => {
        // Checked again under the lock: another binding on this listener may just have bound.
        const again = this.pendingBind(spec.listenerId);
        return again === undefined
          ? this.sync(b, spec, desired, desiredCount)
          : Promise.resolve({ requeueAfterMs: again });
      });
    } catch (err) {
      if (!(err instanceof OperatorError)) throw err;
      return this.failed(b, err, desiredCount);
    }
  }

  /** While our own bind is being applied, GAAP has nothing new to tell: how long until it should be done. */
  private pendingBind(listenerId: string): number | undefined {
    const pending = this.inflight.get(listenerId);
    const left = pending ? pending.expectedAt - Date.now() : 0;
    return left > 0 ? left : undefined;
  }

  /** What this binding owns: what this process last wrote for it, else what its status says. */
  private owned(b: GaapListenerBinding): Set<string> {
    return new Set(this.d.status.lastWritten(b)?.ownedServers ?? b.status?.ownedServers ?? []);
  }

  /** Which binding may write this listener: the oldest, unless every binding on it up to that one is Shared. */
  holderOf(listenerId: string): string | undefined {
    const live = this.d.sources
      .bindingsOnListener(listenerId)
      .sort((a, b) => age(a).localeCompare(age(b)) || bindingKey(a).localeCompare(bindingKey(b)));
    const first = live[0];
    if (!first) return undefined;
    if (live.every((x) => resolveSpec(x.spec).ownership === "Shared")) return undefined;
    return bindingKey(first);
  }

  private async sync(
    b: GaapListenerBinding,
    spec: ResolvedSpec,
    desired: Desired,
    desiredCount?: number,
  ): Promise<ReconcileResult> {
    const listener = await this.d.gaap.describeListener(spec.listenerId, b.status?.listener?.protocol);
    this.observeTask(spec.listenerId, listener.status);
    this.learn(listener);
    const owned = this.owned(b);
    let p = this.plan(spec, desired, listener, owned);
    if (p.kind === "register") {
      await this.register(b, spec, p.ips);
      p = this.plan(spec, desired, listener, owned);
    }
    const { ours } = splitOwnership(spec, listener, owned);
    const notes = desired.ok ? desired.notes : [];
    switch (p.kind) {
      case "register":
        throw new OperatorError(
          "transient",
          "RegistrationIncomplete",
          `origins ${p.ips.join(", ")} are still not registered`,
        );
      case "wait":
        await this.report(b, {
          phase: "waiting",
          listener,
          ours,
          message: p.message,
          ...(desiredCount === undefined ? {} : { desiredCount }),
        });
        return { requeueAfterMs: this.d.settings.busyPollMs };
      case "hold":
        this.d.hooks?.held?.(p.reason);
        this.d.events.record(b, "Warning", p.reason, "Hold", p.message);
        await this.report(b, {
          phase: "held",
          listener,
          ours,
          reason: p.reason,
          message: p.message,
          ...(desiredCount === undefined ? {} : { desiredCount }),
        });
        return { requeueAfterMs: this.d.settings.verifyIntervalMs };
      case "inSync": {
        const removed = (b.status?.boundServers ?? []).filter((s) => !ours.some((o) => o.ip === s.ip));
        if (removed.length > 0) this.d.origins.sweepSoon();
        await this.report(b, {
          phase: "inSync",
          listener,
          ours,
          owned: p.owned,
          desiredCount: desiredCount ?? 0,
          notes,
        });
        this.d.hooks?.origins?.(bindingKey(b), desiredCount, ours.length);
        return { requeueAfterMs: jitter(this.d.settings.verifyIntervalMs) };
      }
      case "bind": {
        const drift = isDrift(b, ours);
        const change = p.change;
        // Record what this binding is about to own before GAAP can hold it, so a crash never leaves our own
        // origins looking like someone else's.
        const owning = [...new Set([...owned, ...p.owned])].sort();
        await this.report(b, {
          phase: "binding",
          listener,
          ours,
          owned: owning,
          desiredCount: desiredCount ?? 0,
          change,
          ...(p.heldRemovals ? { heldRemovals: p.heldRemovals } : {}),
          notes,
        });
        try {
          await this.d.gaap.bind(spec.listenerId, p.set);
        } catch (err) {
          if (err instanceof OperatorError && err.code === "InvalidParameterValue.RealServerNotBelong") {
            // An origin ID we remembered is gone (removed by hand, or by another cluster): look them up again.
            for (const o of p.set)
              if (!listener.bound.some((x) => x.realServerId === o.realServerId)) this.originIds.delete(o.ip);
            throw new OperatorError("transient", "StaleOriginId", err.message, { cause: err });
          }
          throw err;
        }
        const now = Date.now();
        this.inflight.set(spec.listenerId, { sentAt: now, expectedAt: now + this.taskEstimateMs });
        this.d.hooks?.bound?.(spec.listenerId, p.set.length);
        const what = `bound ${p.set.length} origin(s) to ${spec.listenerId} (+${change.added} -${change.removed} ~${change.updated})`;
        if (drift) {
          this.d.hooks?.driftRepaired?.();
          this.d.events.record(
            b,
            "Warning",
            "DriftRepaired",
            "Bind",
            `GAAP no longer held the bound set; ${what}`,
          );
        } else {
          this.d.events.record(b, "Normal", "Bound", "Bind", what);
        }
        if (p.heldRemovals) {
          this.d.hooks?.held?.("MassUnbind");
          this.d.events.record(
            b,
            "Warning",
            "MassUnbind",
            "Hold",
            `${p.heldRemovals} removal(s) held back by maxUnbindPercent (${spec.maxUnbindPercent}%)`,
          );
        }
        this.d.log.info(
          { binding: bindingKey(b), listener: spec.listenerId, change, drift, entries: p.set.length },
          "bind sent",
        );
        return { requeueAfterMs: this.taskEstimateMs };
      }
    }
  }

  private plan(spec: ResolvedSpec, desired: Desired, listener: ListenerState, owned: Set<string>): Plan {
    return plan({
      spec,
      desired,
      listener,
      owned,
      originIds: this.originIds,
      maxOrigins: this.d.settings.maxOriginsPerListener,
    });
  }

  /**
   * Registers origins we know no ID for. It tries to register them straight away: an IP that is registered already
   * gets DuplicateRS, and only then is it looked up (an IP a listener holds is known from the listener), so a
   * cold start does not look up thousands of IPs that do not exist yet.
   */
  private async register(b: GaapListenerBinding, spec: ResolvedSpec, ips: string[]): Promise<void> {
    if (!this.d.canWrite()) return;
    const ids = await this.d.gaap.registerOrigins(ips, spec.projectId, "gaap-operator", [
      { key: CLUSTER_TAG, value: this.d.settings.clusterName },
      { key: BINDING_TAG, value: bindingKey(b) },
    ]);
    for (const [ip, id] of ids) this.originIds.set(ip, id);
    this.d.log.info({ binding: bindingKey(b), registered: ids.size }, "registered origin servers");
  }

  /** Origin servers removed by the collector: their IDs are no longer valid. */
  forgetOrigins(ips: readonly string[]): void {
    for (const ip of ips) this.originIds.delete(ip);
  }

  /** Origins a listener reports are registered: remember their IDs; a bind that finished teaches its duration. */
  private learn(listener: ListenerState): void {
    for (const o of listener.bound) if (o.realServerId) this.originIds.set(o.ip, o.realServerId);
  }

  /**
   * Follows our bind's task on a listener and learns how long tasks take. The estimate must not only grow: we look
   * when we expect the task done, so finding it done at the first look says it may be shorter (shrink 10%), and
   * finding it still busy says it is longer (move towards what it took, polling included).
   */
  private observeTask(listenerId: string, status: number): void {
    const pending = this.inflight.get(listenerId);
    if (!pending) return;
    if (status !== 0) {
      pending.busySeen = true;
      return;
    }
    this.inflight.delete(listenerId);
    const took = Math.min(Date.now() - pending.sentAt, 60_000);
    this.taskEstimateMs = pending.busySeen
      ? Math.round(0.7 * this.taskEstimateMs + 0.3 * took)
      : Math.max(100, Math.round(this.taskEstimateMs * 0.9));
  }

  private async finalize(b: GaapListenerBinding, spec: ResolvedSpec): Promise<ReconcileResult> {
    const key = bindingKey(b);
    if (!b.metadata.finalizers?.includes(FINALIZER) || !this.d.canWrite()) return {};
    const release = async (why: string) => {
      this.d.origins.forget(key);
      await this.d.status.setFinalizers(
        b,
        (b.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
      );
      this.d.log.info({ binding: key, why }, "finalizer removed");
      return {};
    };
    if (spec.deletionPolicy === "Retain") return release("deletionPolicy Retain: GAAP left as it is");
    const holder = this.holderOf(spec.listenerId);
    if (holder && holder !== key) return release("never held the listener (conflict)");
    // Only what this binding bound is removed: one that never bound (e.g. its Service never existed) leaves the
    // listener alone, even under Exclusive ownership.
    if (this.owned(b).size === 0) return release("bound nothing");

    try {
      return await this.listenerLocks.run(spec.listenerId, async () => {
        const pending = this.pendingBind(spec.listenerId);
        if (pending !== undefined) return { requeueAfterMs: pending };
        let listener: ListenerState;
        try {
          listener = await this.d.gaap.describeListener(spec.listenerId, b.status?.listener?.protocol);
          this.observeTask(spec.listenerId, listener.status);
        } catch (err) {
          if (err instanceof OperatorError && err.kind === "notFound")
            return release("listener no longer exists");
          throw err;
        }
        const owned = this.owned(b);
        const p = planRelease(spec, listener, owned);
        if (p.kind === "wait") return { requeueAfterMs: this.d.settings.busyPollMs };
        if (p.kind === "bind") {
          await this.d.gaap.bind(spec.listenerId, p.set);
          const now = Date.now();
          this.inflight.set(spec.listenerId, { sentAt: now, expectedAt: now + this.taskEstimateMs });
          this.d.events.record(
            b,
            "Normal",
            "Unbinding",
            "Unbind",
            `unbinding this binding's origins from ${spec.listenerId}`,
          );
          return { requeueAfterMs: this.taskEstimateMs };
        }
        // Nothing of ours is bound any more: delete the origins we registered that nothing else uses.
        const ips = (b.status?.boundServers ?? [])
          .map((s) => s.ip)
          .concat((b.status?.ownedServers ?? []).map(ipOfKey));
        this.d.origins.forget(key);
        await this.d.origins.collect(new Set(ips));
        // Origins this binding registered and unbound earlier (scale-downs, rollouts) go with the next sweep.
        this.d.origins.sweepSoon();
        this.d.events.record(b, "Normal", "Unbound", "Unbind", `origins removed from ${spec.listenerId}`);
        return release("unbound");
      });
    } catch (err) {
      if (!(err instanceof OperatorError)) throw err;
      return this.failed(b, err, undefined);
    }
  }

  private async failed(
    b: GaapListenerBinding,
    err: OperatorError,
    desiredCount: number | undefined,
  ): Promise<ReconcileResult> {
    const key = bindingKey(b);
    this.d.log.warn({ binding: key, code: err.code, kind: err.kind, err: err.message }, "reconcile failed");
    if (err.kind === "busy") return { requeueAfterMs: this.d.settings.busyPollMs };
    if (err.kind === "conflict") throw err;
    if (err.kind === "transient" || err.kind === "throttled") {
      await this.report(b, {
        phase: "error",
        error: err,
        ...(desiredCount === undefined ? {} : { desiredCount }),
      }).catch(() => {});
      throw err; // rate-limited requeue with jitter
    }
    // Configuration problems: report, tell the user, retry slowly.
    const retryMs = jitter(Math.min(this.d.settings.verifyIntervalMs, 60_000));
    this.d.events.record(b, "Warning", err.code.replace(/[^A-Za-z0-9]/g, ""), "Sync", err.message);
    await this.report(b, {
      phase: "error",
      error: err,
      retryAt: new Date(Date.now() + retryMs),
      ...(desiredCount === undefined ? {} : { desiredCount }),
    }).catch(() => {});
    return { requeueAfterMs: retryMs };
  }

  private async report(b: GaapListenerBinding, outcome: Outcome): Promise<void> {
    if (!this.d.canWrite()) return;
    await this.d.status.write(b, composeStatus(b.status, b.metadata.generation, outcome, new Date()));
  }
}

function age(b: GaapListenerBinding): string {
  return String(b.metadata.creationTimestamp ?? "");
}

function conflictMessage(b: GaapListenerBinding, holder: string, sources: Sources): string {
  const mode = resolveSpec(b.spec).ownership;
  const other = sources.binding(holder);
  const otherMode = other ? resolveSpec(other.spec).ownership : "Exclusive";
  return `listener ${b.spec.listenerId} is held by ${holder} (${otherMode}); this ${mode} binding does nothing until that one is gone, or until every binding on the listener is Shared`;
}

/** GAAP no longer shows what this binding last confirmed while it was Ready: someone changed it. */
function isDrift(b: GaapListenerBinding, ours: readonly BoundOrigin[]): boolean {
  const ready = b.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return false;
  const shape = (o: { ip: string; port: number; weight?: number; role?: string }) =>
    `${originKey(o)}/${o.weight ?? 1}/${o.role ?? ""}`;
  const confirmed = (b.status?.boundServers ?? []).map(shape).sort().join(",");
  return confirmed !== ours.map(shape).sort().join(",");
}

function ipOfKey(key: string): string {
  return key.startsWith("[") ? key.slice(1, key.indexOf("]")) : key.slice(0, key.lastIndexOf(":"));
}

/** Spreads periodic work: 90-110% of the interval. */
export function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}
