// The emulator's GAAP account at run time: the stores every action module reads and writes (channels,
// listeners with their bind tasks, origins, health), the lookups those modules share, and the snapshot.
// Listener task state lives here rather than in listeners.ts because origins and rendering read it too.
import { randomBytes } from "node:crypto";
import { GaapError } from "./params.ts";
import type { Behavior, Binding, EmulatorState, Listener, ProxySpec, RealServer } from "./state.ts";

export type Params = Record<string, unknown>;
export type Result = Record<string, unknown>;
/** The actions one module serves, by action name. */
export type Actions = Record<string, (p: Params) => Result>;

export interface ListenerState extends Listener {
  bound: Binding[];
  /** A bind in progress: its set, and when it takes effect. */
  pending?: { set: Binding[]; until: number };
  /** The listener reports status 3 until then (a bind, or a task started from outside). */
  busyUntil: number;
}

export function newId(prefix: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(8);
  return `${prefix}-${[...bytes].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

export class Account {
  readonly behavior: Behavior;
  readonly now: () => number;
  readonly credentials: EmulatorState["credentials"];
  readonly projects: Set<number>;
  readonly proxies = new Map<string, ProxySpec>();
  readonly listeners = new Map<string, ListenerState>();
  readonly realServers = new Map<string, RealServer>();
  /** Health per origin on a listener ("listenerId/realServerId") or everywhere ("realServerId"): 0 ok, 1 down. */
  readonly health = new Map<string, number>();

  constructor(state: EmulatorState, now: () => number) {
    this.now = now;
    this.behavior = state.behavior;
    this.credentials = state.credentials;
    this.projects = new Set(state.projects);
    for (const p of state.proxies) this.proxies.set(p.proxyId, { ...p });
    for (const r of state.realServers) this.realServers.set(r.realServerId, { ...r, tags: [...r.tags] });
    for (const l of state.listeners) this.listeners.set(l.listenerId, { ...l, bound: [], busyUntil: 0 });
    for (const b of state.bindings) this.listeners.get(b.listenerId)?.bound.push({ ...b });
  }

  /** The account's state as a state file would hold it; bindings are what each listener has bound now. */
  snapshot(): EmulatorState {
    const listeners = [...this.listeners.values()];
    for (const l of listeners) this.settle(l);
    return {
      credentials: this.credentials.map((c) => ({ secretId: c.secretId, secretKey: "(redacted)" })),
      projects: [...this.projects],
      proxies: [...this.proxies.values()],
      listeners: listeners.map(({ bound: _b, pending: _p, busyUntil: _u, ...l }) => l),
      realServers: [...this.realServers.values()],
      bindings: listeners.flatMap((l) => l.bound),
      behavior: this.behavior,
    };
  }

  proxy(id: string): ProxySpec {
    const proxy = this.proxies.get(id);
    if (!proxy) throw new GaapError("ResourceNotFound", `The proxy ${id} does not exist.`);
    return proxy;
  }

  /** A channel that must be RUNNING, as every write to its listeners requires. */
  runningProxy(id: string): ProxySpec {
    const proxy = this.proxy(id);
    if (proxy.status !== "RUNNING") {
      throw new GaapError(
        "FailedOperation.ProxyStatusNotInRuning",
        `Proxy ${proxy.proxyId} is ${proxy.status}.`,
      );
    }
    return proxy;
  }

  /** A listener, settled so that a finished bind shows. */
  listener(id: string): ListenerState {
    const l = this.listeners.get(id);
    if (!l) this.unknownListener(id);
    this.settle(l);
    return l;
  }

  unknownListener(id: string): never {
    if (this.behavior.unknownListenerError === "InvalidParameter") {
      throw new GaapError("InvalidParameter", `ListenerId(${id}) Not Exist.`);
    }
    throw new GaapError("ResourceNotFound", `The listener ${id} does not exist.`);
  }

  /** Applies a bind whose task time is over; every read of a listener's set goes through here first. */
  settle(l: ListenerState): void {
    if (l.pending && this.now() >= l.pending.until) {
      l.bound = l.pending.set;
      l.pending = undefined;
    }
  }

  /** ListenerStatus: 3 while a task runs, 0 otherwise. */
  status(l: ListenerState): number {
    return this.now() < l.busyUntil ? 3 : 0;
  }

  /** The set Describe* shows, which depends on when a bind is taken to become visible. */
  visibleSet(l: ListenerState): Binding[] {
    this.settle(l);
    return this.behavior.bindVisibility === "immediate" && l.pending ? l.pending.set : l.bound;
  }

  /** Where an origin is bound: in a listener's current set or in a bind still in progress. */
  bindingsOf(realServerId: string): Array<{ listenerId: string; proxyId: string }> {
    const out: Array<{ listenerId: string; proxyId: string }> = [];
    for (const l of this.listeners.values()) {
      this.settle(l);
      const sets = l.pending ? [l.bound, l.pending.set] : [l.bound];
      if (sets.some((s) => s.some((b) => b.realServerId === realServerId))) {
        out.push({ listenerId: l.listenerId, proxyId: l.proxyId });
      }
    }
    return out;
  }

  /** An origin's health on a listener: per-listener, else account-wide, else normal; always 0 unchecked. */
  healthOn(l: ListenerState, realServerId: string): number {
    if (!l.healthCheck) return 0;
    return this.health.get(`${l.listenerId}/${realServerId}`) ?? this.health.get(realServerId) ?? 0;
  }
}
