// The emulator's GAAP account at run time: the stores every action module reads and writes (channels,
// listeners, layer-7 domains and rules, origins, health), the lookups those modules share, and the snapshot.
// Origin sets and their tasks live here rather than in the action modules because origins and rendering read
// them too. A TCP/UDP listener and a forwarding rule carry the same task-carrying origin set (OriginSet).
import { randomBytes } from "node:crypto";
import { GaapError } from "../params.ts";
import {
  type Behavior,
  type Binding,
  type BoundOrigin,
  type Domain,
  type EmulatorState,
  isLayer7,
  type Listener,
  type ProxySpec,
  type RealServer,
  type Rule,
} from "./model.ts";

export type Params = Record<string, unknown>;
export type Result = Record<string, unknown>;
/** The actions one module serves, by action name. */
export type Actions = Record<string, (p: Params) => Result>;

/** An origin set with its task: what a full-set bind replaces, and how long its owner reports status 3. */
export interface OriginSet {
  bound: BoundOrigin[];
  /** A bind in progress: its set, and when it takes effect. */
  pending?: { set: BoundOrigin[]; until: number };
  /** The owner reports status 3 until then (a bind, or a task started from outside). */
  busyUntil: number;
}

/**
 * A listener. For TCP/UDP its OriginSet holds its origins; an HTTP/HTTPS listener's stays empty (its origins sit
 * on its rules) and its busyUntil is the listener's own task.
 */
export interface ListenerState extends Listener, OriginSet {}

export interface RuleState extends Rule, OriginSet {}

export function newId(prefix: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(8);
  return `${prefix}-${[...bytes].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

const domainKey = (listenerId: string, domain: string) => `${listenerId} ${domain}`;

export class Account {
  readonly behavior: Behavior;
  readonly now: () => number;
  readonly credentials: EmulatorState["credentials"];
  readonly projects: Set<number>;
  readonly proxies = new Map<string, ProxySpec>();
  readonly listeners = new Map<string, ListenerState>();
  /** Domains by "listenerId domain", in creation order. */
  readonly domains = new Map<string, Domain>();
  readonly rules = new Map<string, RuleState>();
  readonly realServers = new Map<string, RealServer>();
  /**
   * Health per origin on a listener ("listenerId/realServerId"), on a rule ("ruleId/realServerId") or everywhere
   * ("realServerId"): 0 ok, 1 down.
   */
  readonly health = new Map<string, number>();

  constructor(state: EmulatorState, now: () => number) {
    this.now = now;
    this.behavior = state.behavior;
    this.credentials = state.credentials;
    this.projects = new Set(state.projects);
    for (const p of state.proxies) this.proxies.set(p.proxyId, { ...p });
    for (const r of state.realServers) this.realServers.set(r.realServerId, { ...r, tags: [...r.tags] });
    for (const l of state.listeners) this.listeners.set(l.listenerId, { ...l, bound: [], busyUntil: 0 });
    for (const d of state.domains) this.domains.set(domainKey(d.listenerId, d.domain), { ...d });
    for (const r of state.rules) this.rules.set(r.ruleId, { ...structuredClone(r), bound: [], busyUntil: 0 });
    for (const { listenerId, ruleId, ...b } of state.bindings) {
      const owner = ruleId ? this.rules.get(ruleId) : this.listeners.get(listenerId as string);
      owner?.bound.push(b);
    }
  }

  /** The account's state as a state file would hold it; bindings are what each set holds now. */
  snapshot(): EmulatorState {
    const listeners = [...this.listeners.values()];
    const rules = [...this.rules.values()];
    for (const s of [...listeners, ...rules]) this.settle(s);
    return {
      credentials: this.credentials.map((c) => ({ secretId: c.secretId, secretKey: "(redacted)" })),
      projects: [...this.projects],
      proxies: [...this.proxies.values()],
      listeners: listeners.map(({ bound: _b, pending: _p, busyUntil: _u, ...l }) => l),
      domains: [...this.domains.values()].map((d) => ({ ...d })),
      rules: rules.map(({ bound: _b, pending: _p, busyUntil: _u, ...r }) => structuredClone(r)),
      realServers: [...this.realServers.values()],
      bindings: [
        ...listeners.flatMap((l) => l.bound.map((b) => ({ listenerId: l.listenerId, ...b }))),
        ...rules.flatMap((r) => r.bound.map((b) => ({ ruleId: r.ruleId, ...b }))),
      ] as Binding[],
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

  /** A forwarding rule, settled so that a finished bind shows. */
  rule(id: string): RuleState {
    const r = this.rules.get(id);
    if (!r) this.unknownRule(id);
    this.settle(r);
    return r;
  }

  /** Terraform takes InvalidParameter as "gone" only when the message says "ruleId". */
  unknownRule(id: string): never {
    if (this.behavior.unknownRuleError === "InvalidParameter") {
      throw new GaapError("InvalidParameter", `ruleId(${id}) Not Exist.`);
    }
    throw new GaapError("ResourceNotFound", `The rule ${id} does not exist.`);
  }

  domain(listenerId: string, domain: string): Domain | undefined {
    return this.domains.get(domainKey(listenerId, domain));
  }

  addDomain(d: Domain): void {
    this.domains.set(domainKey(d.listenerId, d.domain), d);
  }

  domainsOf(listenerId: string): Domain[] {
    return [...this.domains.values()].filter((d) => d.listenerId === listenerId);
  }

  /** A listener's rules (settled), optionally only those of one domain, in creation order. */
  rulesOf(listenerId: string, domain?: string): RuleState[] {
    const out = [...this.rules.values()].filter(
      (r) => r.listenerId === listenerId && (domain === undefined || r.domain === domain),
    );
    for (const r of out) this.settle(r);
    return out;
  }

  /** Deletes a rule with its bindings and its per-rule health. */
  removeRule(id: string): void {
    this.rules.delete(id);
    for (const key of [...this.health.keys()]) if (key.startsWith(`${id}/`)) this.health.delete(key);
  }

  /** Deletes a listener with its domains, rules and per-listener health. */
  removeListener(id: string): void {
    for (const r of this.rulesOf(id)) this.removeRule(r.ruleId);
    for (const d of this.domainsOf(id)) this.domains.delete(domainKey(id, d.domain));
    for (const key of [...this.health.keys()]) if (key.startsWith(`${id}/`)) this.health.delete(key);
    this.listeners.delete(id);
  }

  /** Applies a bind whose task time is over; every read of a set goes through here first. */
  settle(s: OriginSet): void {
    if (s.pending && this.now() >= s.pending.until) {
      s.bound = s.pending.set;
      s.pending = undefined;
    }
  }

  /** ListenerStatus or RuleStatus: 3 while a task runs, 0 otherwise. */
  status(s: OriginSet): number {
    return this.now() < s.busyUntil ? 3 : 0;
  }

  /** The set Describe* shows, which depends on when a bind is taken to become visible. */
  visibleSet(s: OriginSet): BoundOrigin[] {
    this.settle(s);
    return this.behavior.bindVisibility === "immediate" && s.pending ? s.pending.set : s.bound;
  }

  /** Whether a set holds an origin, bound now or in a bind still in progress. */
  private holds(s: OriginSet, realServerId: string): boolean {
    this.settle(s);
    const sets = s.pending ? [s.bound, s.pending.set] : [s.bound];
    return sets.some((set) => set.some((b) => b.realServerId === realServerId));
  }

  /** Where an origin is bound: on listeners and on rules, counting binds still in progress. */
  bindingsOf(realServerId: string): Array<{ listenerId: string; proxyId: string; ruleId?: string }> {
    const out: Array<{ listenerId: string; proxyId: string; ruleId?: string }> = [];
    for (const l of this.listeners.values()) {
      if (this.holds(l, realServerId)) out.push({ listenerId: l.listenerId, proxyId: l.proxyId });
    }
    for (const r of this.rules.values()) {
      const l = this.listeners.get(r.listenerId);
      if (l && this.holds(r, realServerId))
        out.push({ listenerId: l.listenerId, proxyId: l.proxyId, ruleId: r.ruleId });
    }
    return out;
  }

  /**
   * An origin's health on a listener or a rule (`ownerId`): its own value there, else the account-wide one, else
   * normal; always 0 (normal) with the health check off.
   */
  healthOn(ownerId: string, healthCheck: number, realServerId: string): number {
    if (!healthCheck) return 0;
    return this.health.get(`${ownerId}/${realServerId}`) ?? this.health.get(realServerId) ?? 0;
  }

  /** Whether a listener is busy: a task on the listener itself, or on any of its rules. */
  busyWithTasks(l: ListenerState): boolean {
    return (
      this.status(l) !== 0 ||
      (isLayer7(l.protocol) && this.rulesOf(l.listenerId).some((r) => this.status(r) !== 0))
    );
  }

  /** Whether a listener, or any of its rules, has origins bound. */
  hasOrigins(l: ListenerState): boolean {
    this.settle(l);
    return l.bound.length > 0 || this.rulesOf(l.listenerId).some((r) => r.bound.length > 0);
  }
}
