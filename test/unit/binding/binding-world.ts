// The binding controller's world in memory, for its unit tests: caches, GAAP, the status writer, events, the origin
// sweep and the gates, behind the ports, with a fake clock. `log` lists every write in order.
import pino from "pino";
import {
  FINALIZER,
  type GaapListenerBinding,
  type GaapListenerBindingSpec,
  type GaapListenerBindingStatus,
} from "../../../src/api/types.ts";
import type {
  BindingCache,
  BindingDeps,
  BindingMetrics,
  EventSink,
  Gaap,
  GateSink,
  OriginUse,
  StatusWriter,
} from "../../../src/binding/ports.ts";
import { BindingReconciler } from "../../../src/binding/reconciler.ts";
import { OperatorError } from "../../../src/errors.ts";
import type { BindTarget, TargetQuery } from "../../../src/gaap/types.ts";
import { type BoundOrigin, isLayer7, type OriginTag, type TargetState } from "../../../src/gaap/types.ts";
import type { BindingEvent } from "../../../src/model/binding-event.ts";
import type { ClusterView } from "../../../src/model/cluster-view.ts";
import type { GateFacts } from "../../../src/model/gate-facts.ts";
import type { Clock } from "../../../src/runtime/clock.ts";
import { KeyedMemory } from "../../../src/runtime/memory.ts";
import { listenerState } from "../fixtures.ts";

export const LISTENER = "listener-a";
export const TASK_MS = 1000;
export const VERIFY_MS = 60_000;
export const BUSY_POLL_MS = 250;

/** Everything outside the reconciler, in memory; `log` lists every write in order. */
export class World implements BindingCache, Gaap, StatusWriter, EventSink, OriginUse, GateSink {
  t = 1_000_000;
  readonly clock: Clock = { now: () => this.t };
  readonly bindings = new Map<string, GaapListenerBinding>();
  readonly views = new Map<string, ClusterView>();
  readonly listeners = new Map<string, TargetState & { busyUntil?: number }>();
  /** Forwarding rules of HTTP listeners, by ID. */
  readonly rules = new Map<
    string,
    { listenerId: string; domain: string; path: string; bound: BoundOrigin[]; busyUntil?: number }
  >();
  /** What each read asked for. */
  readonly queries: TargetQuery[] = [];
  readonly known = new Map<string, string>();
  readonly log: string[] = [];
  readonly events: Array<{ reason: string; type: string; note: string }> = [];
  readonly wanted = new Map<string, string[] | undefined>();
  readonly written = new Map<string, GaapListenerBindingStatus>();
  /** Errors the next calls of an action throw, in order. */
  readonly failures: Record<"describe" | "bind", OperatorError[]> = { describe: [], bind: [] };
  leader = true;
  reads = 0;
  memory = new KeyedMemory();

  // BindingCache
  binding(key: string) {
    return this.bindings.get(key);
  }
  bindingsOnListener(listenerId: string) {
    return [...this.bindings.values()].filter((b) => b.spec.listenerId === listenerId);
  }
  view(b: GaapListenerBinding) {
    return this.views.get(`${b.metadata.namespace}/${b.metadata.name}`) ?? podView([]);
  }
  // Gaap: a rule's sibling tasks hold it, as GAAP's ListenerHasTask does.
  async describeTarget(q: TargetQuery): Promise<TargetState> {
    this.reads++;
    this.queries.push(q);
    const fail = this.failures.describe.shift();
    if (fail) throw fail;
    const listenerId = q.listenerId;
    const l = this.listeners.get(listenerId);
    if (!l)
      throw new OperatorError("notFound", "ListenerNotFound", `GAAP listener ${listenerId} does not exist`);
    const busy = (l.busyUntil ?? 0) > this.t;
    const listener = { ...l, status: busy ? 3 : 0, bound: l.bound.map((o) => ({ ...o })) };
    if (!q.rule || !isLayer7(l.protocol)) return listener;
    const ref = q.rule;
    const entry = [...this.rules.entries()].find(([id, r]) =>
      ref.ruleId ? id === ref.ruleId : r.domain === ref.domain && r.path === ref.path,
    );
    if (!entry) throw new OperatorError("notFound", "RuleNotFound", "no such rule");
    const [ruleId, r] = entry;
    const own = (r.busyUntil ?? 0) > this.t ? 3 : 0;
    const sibling = [...this.rules.entries()].find(
      ([id, x]) => id !== ruleId && x.listenerId === listenerId && (x.busyUntil ?? 0) > this.t,
    );
    return {
      ...listener,
      scheduler: "rr",
      bound: r.bound.map((o) => ({ ...o })),
      status: own || (sibling ? 3 : 0),
      ...(own === 0 && sibling ? { busyWith: `a task on its rule ${sibling[0]}` } : {}),
      rule: { ruleId, domain: r.domain, path: r.path, status: own, healthy: true },
    };
  }
  get originIds(): ReadonlyMap<string, string> {
    return this.known;
  }
  /** The tags of the last registration. */
  registeredTags: OriginTag[] = [];
  async registerOrigins(ips: readonly string[], _projectId = 0, _name = "", tags: OriginTag[] = []) {
    this.registeredTags = tags;
    this.log.push(`register ${ips.join(",")}`);
    for (const ip of ips) this.known.set(ip, `rs-${ip}`);
    return new Map(ips.map((ip) => [ip, `rs-${ip}`]));
  }
  invalidateOriginIds(ips: readonly string[]) {
    for (const ip of ips) this.known.delete(ip);
    this.log.push(`invalidate ids ${ips.join(",")}`);
  }
  async bind(target: BindTarget, set: readonly BoundOrigin[]) {
    const fail = this.failures.bind.shift();
    if (fail) throw fail;
    const entries = set.map((o) => `${o.ip}:${o.port}`).join(",");
    if (target.ruleId) {
      const r = this.rules.get(target.ruleId);
      if (!r) throw new Error("no rule");
      const busy = [...this.rules.values()].some(
        (x) => x.listenerId === r.listenerId && (x.busyUntil ?? 0) > this.t,
      );
      if (busy)
        throw new OperatorError(
          "busy",
          "FailedOperation.ListenerHasTask",
          "a rule of the listener has a task",
        );
      this.log.push(`bind ${target.ruleId} ${entries}`);
      r.bound = set.map((o) => ({ ...o }));
      r.busyUntil = this.t + TASK_MS;
      return;
    }
    this.log.push(`bind ${entries}`);
    const l = this.listeners.get(target.listenerId);
    if (!l) throw new Error("no listener");
    l.bound = set.map((o) => ({ ...o }));
    l.busyUntil = this.t + TASK_MS;
  }
  // StatusWriter: the cache sees our writes at once
  async write(b: GaapListenerBinding, status: GaapListenerBindingStatus) {
    if (JSON.stringify(b.status ?? {}) === JSON.stringify(status)) return false;
    const key = `${b.metadata.namespace}/${b.metadata.name}`;
    this.log.push(`status ${status.conditions?.find((c) => c.type === "Ready")?.reason}`);
    this.written.set(key, status);
    this.bindings.set(key, { ...b, status });
    return true;
  }
  async setFinalizers(b: GaapListenerBinding, finalizers: string[]) {
    const key = `${b.metadata.namespace}/${b.metadata.name}`;
    this.log.push(`finalizers [${finalizers.join(",")}]`);
    if (b.metadata.deletionTimestamp && finalizers.length === 0) this.bindings.delete(key);
    else this.bindings.set(key, { ...b, metadata: { ...b.metadata, finalizers } });
  }
  lastWritten(b: GaapListenerBinding) {
    return this.written.get(`${b.metadata.namespace}/${b.metadata.name}`);
  }
  // EventSink
  record(_b: GaapListenerBinding, { type, reason, note }: BindingEvent) {
    this.events.push({ type, reason, note });
  }
  // OriginUse
  want(key: string, ips: string[] | undefined) {
    this.wanted.set(key, ips);
  }
  sweepSoon() {
    this.log.push("sweep soon");
  }
  async collect(only: ReadonlySet<string>) {
    this.log.push(`collect ${[...only].sort().join(",")}`);
  }

  readonly published = new Map<string, GateFacts | undefined>();
  // GateSink
  publish(key: string, facts: GateFacts | undefined) {
    this.published.set(key, facts);
  }

  reconciler(opts: { unbindWindowMs?: number; metrics?: BindingMetrics } = {}) {
    return new BindingReconciler(this.deps(opts));
  }

  /** The binding controller's ports, all of them this world; each call is a fresh process (empty memory). */
  deps(opts: { unbindWindowMs?: number; metrics?: BindingMetrics } = {}): BindingDeps {
    this.memory = new KeyedMemory();
    return {
      cache: this,
      gaap: this,
      status: this,
      events: this,
      origins: this,
      gates: this,
      memory: this.memory,
      log: pino({ level: "silent" }),
      settings: {
        clusterName: "test",
        verifyIntervalMs: VERIFY_MS,
        busyPollMs: BUSY_POLL_MS,
        maxOriginsPerListener: 100,
        initialTaskMs: TASK_MS,
        ...(opts.unbindWindowMs === undefined ? {} : { unbindWindowMs: opts.unbindWindowMs }),
      },
      canWrite: () => this.leader,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      clock: this.clock,
      random: () => 0.5,
    };
  }

  addListener(bound: BoundOrigin[] = [], extra: Partial<TargetState & { busyUntil: number }> = {}) {
    this.listeners.set(LISTENER, { ...listenerState({ listenerId: LISTENER, bound }), ...extra });
  }

  addBinding(
    name: string,
    spec: Partial<GaapListenerBindingSpec> = {},
    ips: string[] = [],
    created = "2026-01-01T00:00:00Z",
  ) {
    const b: GaapListenerBinding = {
      metadata: {
        namespace: "ns",
        name,
        uid: `uid-${name}`,
        generation: 1,
        creationTimestamp: created as unknown as Date,
        finalizers: [FINALIZER],
      },
      spec: { listenerId: LISTENER, serviceRef: { name: "web", port: 80 }, ...spec },
    };
    this.bindings.set(`ns/${name}`, b);
    this.views.set(`ns/${name}`, podView(ips));
    return `ns/${name}`;
  }

  get(key: string) {
    return this.bindings.get(key) as GaapListenerBinding;
  }
  condition(key: string, type: string) {
    return this.get(key).status?.conditions?.find((c) => c.type === type);
  }
  bound() {
    return (this.listeners.get(LISTENER)?.bound ?? []).map((o) => o.ip).sort();
  }
}

export function podView(ips: string[]): ClusterView {
  return {
    service: { metadata: { name: "web" }, spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] } },
    slices: [
      {
        addressType: "IPv4",
        metadata: { name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
        endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      },
    ],
    nodes: [],
    pod: () => undefined,
    selectedPods: () => [],
  };
}

export const origin = (ip: string): BoundOrigin => ({ realServerId: `rs-${ip}`, ip, port: 8080 });
