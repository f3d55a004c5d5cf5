// The emulator's GAAP account at run time and the semantics of each action: full-set binds that keep the
// listener busy for a task time, origin registration per project, and the error codes the reference lists.
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { GaapError } from "./params.ts";
import type { Behavior, Binding, EmulatorState, Listener, Protocol, ProxySpec, RealServer } from "./state.ts";

interface ListenerState extends Listener {
  bound: Binding[];
  /** A bind in progress: its set, and when it takes effect. */
  pending?: { set: Binding[]; until: number };
  /** The listener reports status 3 until then (a bind, or a task started from outside). */
  busyUntil: number;
}

type Params = Record<string, unknown>;
type Result = Record<string, unknown>;

const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SCHEDULERS = ["rr", "wrr", "lc", "lrtt"];

function newId(prefix: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(8);
  return `${prefix}-${[...bytes].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

export class World {
  readonly behavior: Behavior;
  private readonly now: () => number;
  private readonly credentials: EmulatorState["credentials"];
  private readonly projects: Set<number>;
  private readonly proxies = new Map<string, ProxySpec>();
  private readonly listeners = new Map<string, ListenerState>();
  private readonly realServers = new Map<string, RealServer>();
  /** Health per origin on a listener ("listenerId/realServerId") or everywhere ("realServerId"): 0 ok, 1 down. */
  private readonly health = new Map<string, number>();

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

  credential(secretId: string) {
    return this.credentials.find((c) => c.secretId === secretId);
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

  // ---- admin ----

  setHealth(status: number, realServerId: string, listenerId?: string): void {
    if (!this.realServers.has(realServerId))
      throw new GaapError("ResourceNotFound", `RealServer ${realServerId} not found`);
    this.health.set(listenerId ? `${listenerId}/${realServerId}` : realServerId, status);
  }

  /** Makes a listener busy as if someone else had started a task on it. */
  startTask(listenerId: string, durationMs: number): void {
    const l = this.listener(listenerId);
    l.busyUntil = Math.max(l.busyUntil, this.now() + durationMs);
  }

  findRealServerByIp(ip: string): RealServer | undefined {
    return [...this.realServers.values()].find((r) => r.ip === ip);
  }

  // ---- actions ----

  handle(action: string, p: Params): Result {
    switch (action) {
      case "BindListenerRealServers":
        return this.bind(p);
      case "DescribeTCPListeners":
        return this.describeListeners("TCP", p);
      case "DescribeUDPListeners":
        return this.describeListeners("UDP", p);
      case "DescribeListenerRealServers":
        return this.describeListenerRealServers(p);
      case "AddRealServers":
        return this.addRealServers(p);
      case "DescribeRealServers":
        return this.describeRealServers(p);
      case "RemoveRealServers":
        return this.removeRealServers(p);
      case "DescribeRealServersStatus":
        return this.describeRealServersStatus(p);
      case "ModifyRealServerName":
        return this.modifyRealServerName(p);
      case "DescribeProxies":
        return this.describeProxies(p);
      case "DescribeProxiesStatus":
        return this.describeProxiesStatus(p);
      case "DescribeProxyDetail":
        return { ProxyDetail: this.proxyInfo(this.proxy(p.ProxyId as string)) };
      case "CreateTCPListeners":
        return this.createListeners("TCP", p);
      case "CreateUDPListeners":
        return this.createListeners("UDP", p);
      case "DeleteListeners":
        return this.deleteListeners(p);
      default:
        throw new GaapError("InvalidAction", `The action ${action} is not supported.`);
    }
  }

  private bind(p: Params): Result {
    const l = this.listener(p.ListenerId as string);
    const proxy = this.proxy(l.proxyId);
    if (proxy.status !== "RUNNING") {
      throw new GaapError(
        "FailedOperation.ProxyStatusNotInRuning",
        `ProxySpec ${proxy.proxyId} is ${proxy.status}.`,
      );
    }
    if (this.status(l) !== 0) {
      throw new GaapError(
        "FailedOperation.ListenerHasTask",
        "The listener is being operated, do not repeat.",
      );
    }
    const req = (p.RealServerBindSet ?? []) as Array<Record<string, unknown>>;
    if (req.length === 0 && this.behavior.emptyBindSet === "reject") {
      throw new GaapError("InvalidParameter", "RealServerBindSet must not be empty.");
    }
    if (req.length > this.behavior.maxRealServersPerListener) {
      throw new GaapError(
        "FailedOperation.LimitRealServerNum",
        `The number of bound origin servers exceeds the limit (${this.behavior.maxRealServersPerListener}).`,
      );
    }
    const set: Binding[] = [];
    const seenIpPort = new Set<string>();
    const seenIp = new Set<string>();
    for (const [idx, e] of req.entries()) {
      const id = e.RealServerId as string;
      const ip = e.RealServerIP as string;
      const port = e.RealServerPort as number;
      const rs = this.realServers.get(id);
      if (!rs || rs.ip !== ip) {
        throw new GaapError(
          "InvalidParameterValue.RealServerNotBelong",
          `RealServer ${id} (${ip}) does not belong to this account.`,
        );
      }
      if (port < 1 || port > 65535) {
        throw new GaapError(
          "InvalidParameterValue",
          `RealServerBindSet.${idx}.RealServerPort must be in 1-65535.`,
        );
      }
      if (seenIpPort.has(`${ip}:${port}`)) {
        throw new GaapError(
          "InvalidParameterValue",
          `RealServer ${ip}:${port} appears twice in RealServerBindSet.`,
        );
      }
      if (seenIp.has(ip) && !this.behavior.allowSameIpDifferentPorts) {
        throw new GaapError("InvalidParameterValue", `RealServer ${ip} appears twice in RealServerBindSet.`);
      }
      seenIpPort.add(`${ip}:${port}`);
      seenIp.add(ip);
      const weight = e.RealServerWeight as number | undefined;
      if (l.scheduler === "wrr") {
        if (weight !== undefined && (weight < 1 || weight > 100)) {
          throw new GaapError(
            "InvalidParameterValue",
            `RealServerBindSet.${idx}.RealServerWeight must be in 1-100.`,
          );
        }
      } else if (weight !== undefined && weight !== 1) {
        throw new GaapError(
          "InvalidParameterValue",
          `RealServerBindSet.${idx}.RealServerWeight must be 1 under scheduler ${l.scheduler}.`,
        );
      }
      const role = e.RealServerFailoverRole as string | undefined;
      if (role !== undefined) {
        if (l.failoverSwitch !== 1 || l.realServerType !== "IP") {
          throw new GaapError(
            "InvalidParameterValue",
            "RealServerFailoverRole needs a listener with FailoverSwitch=1 and IP origins.",
          );
        }
        if (role !== "master" && role !== "slave") {
          throw new GaapError(
            "InvalidParameterValue",
            `RealServerFailoverRole must be master or slave, not ${role}.`,
          );
        }
      }
      set.push({
        listenerId: l.listenerId,
        realServerId: id,
        port,
        weight: weight ?? 1,
        ...(l.failoverSwitch === 1 ? { role: (role ?? "master") as "master" | "slave" } : {}),
      });
    }
    const until = this.now() + this.behavior.bindTaskMs;
    l.pending = { set, until };
    l.busyUntil = Math.max(l.busyUntil, until);
    this.settle(l);
    return {};
  }

  private describeListeners(protocol: Protocol, p: Params): Result {
    if (p.ProxyId && p.GroupId)
      throw new GaapError("InvalidParameter", "ProxyId and GroupId cannot both be set.");
    if (!p.ProxyId && !p.GroupId && !p.ListenerId) {
      throw new GaapError("MissingParameter", "One of ProxyId, GroupId and ListenerId is required.");
    }
    if (p.SearchValue !== undefined && (p.ListenerName !== undefined || p.Port !== undefined)) {
      throw new GaapError("InvalidParameter", "SearchValue cannot be combined with ListenerName or Port.");
    }
    const { offset, limit } = this.page(p, 20, this.behavior.maxDescribeListenersLimit);
    if (p.GroupId)
      throw new GaapError("ResourceNotFound", `GroupId ${p.GroupId} not found (the emulator has no groups).`);
    if (p.ProxyId) this.proxy(p.ProxyId as string);
    if (p.ListenerId) {
      const l = this.listeners.get(p.ListenerId as string);
      if (!l || l.protocol !== protocol) this.unknownListener(p.ListenerId as string);
      if (p.ProxyId && l?.proxyId !== p.ProxyId) {
        throw new GaapError(
          "InvalidParameterValue",
          `ListenerId ${p.ListenerId} does not belong to ${p.ProxyId}.`,
        );
      }
    }
    const search = p.SearchValue as string | undefined;
    const matches = [...this.listeners.values()].filter(
      (l) =>
        l.protocol === protocol &&
        (!p.ProxyId || l.proxyId === p.ProxyId) &&
        (!p.ListenerId || l.listenerId === p.ListenerId) &&
        (p.ListenerName === undefined || (l.name ?? "") === p.ListenerName) &&
        (p.Port === undefined || l.port === p.Port) &&
        (search === undefined || String(l.port).includes(search) || (l.name ?? "").includes(search)),
    );
    return {
      TotalCount: matches.length,
      ListenerSet: matches.slice(offset, offset + limit).map((l) => this.listenerInfo(l)),
    };
  }

  private describeListenerRealServers(p: Params): Result {
    const l = this.listener(p.ListenerId as string);
    const project = this.proxy(l.proxyId).projectId;
    const bindable = [...this.realServers.values()].filter((r) => r.projectId === project);
    const bound = this.boundInfo(l);
    return {
      TotalCount: bindable.length,
      RealServerSet: bindable.map((r) => ({
        RealServerIP: r.ip,
        RealServerId: r.realServerId,
        RealServerName: r.name,
        ProjectId: r.projectId,
        InBanBlacklist: 0,
      })),
      BindRealServerTotalCount: bound.length,
      BindRealServerSet: bound,
    };
  }

  private addRealServers(p: Params): Result {
    const project = p.ProjectId as number;
    if (!this.projects.has(project)) {
      throw new GaapError(
        "InvalidParameterValue.ProjectIdNotBelong",
        `Project ${project} does not belong to this account.`,
      );
    }
    const ips = p.RealServerIP as string[];
    if (ips.length === 0) throw new GaapError("InvalidParameterValue", "RealServerIP must not be empty.");
    if (ips.length > this.behavior.maxAddRealServersBatch) {
      throw new GaapError(
        "InvalidParameterValue",
        `At most ${this.behavior.maxAddRealServersBatch} RealServerIP entries per call.`,
      );
    }
    const tags = ((p.TagSet ?? []) as Array<{ TagKey: string; TagValue: string }>).map((t) => ({
      key: t.TagKey,
      value: t.TagValue,
    }));
    if (tags.length > 5) throw new GaapError("InvalidParameterValue.InvalidTags", "At most 5 tags.");
    const seen = new Set<string>();
    for (const ip of ips) {
      if (!isIP(ip) && !HOSTNAME_RE.test(ip)) {
        throw new GaapError(
          "InvalidParameterValue",
          `RealServerIP ${JSON.stringify(ip)} is not an IP or a domain.`,
        );
      }
      const clash = [...this.realServers.values()].some(
        (r) => r.ip === ip && (this.behavior.duplicateScope === "account" || r.projectId === project),
      );
      if (clash || seen.has(ip))
        throw new GaapError("InvalidParameterValue.DuplicateRS", `RealServer ${ip} already exists.`);
      seen.add(ip);
    }
    const created = ips.map((ip) => {
      const rs: RealServer = {
        realServerId: newId("rs"),
        ip,
        projectId: project,
        name: p.RealServerName as string,
        tags: tags.map((t) => ({ ...t })),
      };
      this.realServers.set(rs.realServerId, rs);
      return { RealServerId: rs.realServerId, RealServerIP: ip };
    });
    return { RealServerSet: created };
  }

  private describeRealServers(p: Params): Result {
    const { offset, limit } = this.page(p, 20, 50);
    const project = p.ProjectId as number;
    const tags = (p.TagSet ?? []) as Array<{ TagKey: string; TagValue: string }>;
    if (tags.length > 5) throw new GaapError("InvalidParameterValue", "At most 5 tags.");
    const filters = (p.Filters ?? []) as Array<{ Name: string; Values: string[] }>;
    for (const f of filters) {
      if (f.Name !== "RealServerName" && f.Name !== "RealServerIP") {
        throw new GaapError(
          "InvalidParameterValue",
          `Unknown filter ${f.Name}; use RealServerName or RealServerIP.`,
        );
      }
    }
    const search = p.SearchValue as string | undefined;
    const matches = [...this.realServers.values()].filter(
      (r) =>
        (project === -1 || r.projectId === project) &&
        // Fuzzy, as the real API: "1.2.3.4" also matches "1.2.3.40".
        (search === undefined || r.ip.includes(search)) &&
        (tags.length === 0 ||
          tags.some((t) => r.tags.some((rt) => rt.key === t.TagKey && rt.value === t.TagValue))) &&
        filters.every((f) => f.Values.includes(f.Name === "RealServerIP" ? r.ip : r.name)),
    );
    return {
      TotalCount: matches.length,
      RealServerSet: matches.slice(offset, offset + limit).map((r) => ({
        RealServerIP: r.ip,
        RealServerId: r.realServerId,
        RealServerName: r.name,
        ProjectId: r.projectId,
        TagSet: r.tags.map((t) => ({ TagKey: t.key, TagValue: t.value })),
      })),
    };
  }

  private removeRealServers(p: Params): Result {
    const ids = p.RealServerIds as string[];
    if (ids.length === 0) throw new GaapError("InvalidParameterValue", "RealServerIds must not be empty.");
    for (const id of ids) {
      if (!this.realServers.has(id)) throw new GaapError("ResourceNotFound", `RealServer ${id} not found.`);
    }
    // All or nothing: one bound origin refuses the whole call.
    for (const id of ids) {
      if (this.bindingsOf(id).length > 0) {
        throw new GaapError(
          "FailedOperation.RealServerAlreadyBound",
          `RealServer ${id} is bound and cannot be deleted.`,
        );
      }
    }
    for (const id of ids) {
      this.realServers.delete(id);
      for (const key of [...this.health.keys()])
        if (key === id || key.endsWith(`/${id}`)) this.health.delete(key);
    }
    return {};
  }

  private describeRealServersStatus(p: Params): Result {
    const ids = p.RealServerIds as string[];
    const set = ids.map((id) => {
      if (!this.realServers.has(id)) {
        throw new GaapError(
          "InvalidParameterValue.RealServerNotBelong",
          `RealServer ${id} does not belong to this account.`,
        );
      }
      const first = this.bindingsOf(id)[0];
      return {
        RealServerId: id,
        BindStatus: first ? 1 : 0,
        ProxyId: first ? first.proxyId : "",
        GroupId: "",
      };
    });
    return { TotalCount: set.length, RealServerStatusSet: set };
  }

  private modifyRealServerName(p: Params): Result {
    const rs = this.realServers.get(p.RealServerId as string);
    if (!rs) throw new GaapError("InvalidParameterValue", `RealServer ${p.RealServerId} not found.`);
    rs.name = p.RealServerName as string;
    return {};
  }

  private describeProxies(p: Params): Result {
    const ids = (p.ProxyIds ?? p.InstanceIds) as string[] | undefined;
    const filters = (p.Filters ?? []) as Array<{ Name: string; Values: string[] }>;
    if (ids && filters.length > 0)
      throw new GaapError("InvalidParameter", "ProxyIds cannot be combined with Filters.");
    if (ids && ids.length > 100) throw new GaapError("InvalidParameterValue", "At most 100 ProxyIds.");
    const { offset, limit } = this.page(p, 20, 100);
    const field = (proxy: ProxySpec, name: string): string | undefined =>
      ({
        ProjectId: String(proxy.projectId),
        AccessRegion: proxy.accessRegion,
        RealServerRegion: proxy.realServerRegion,
        GroupId: "",
        IPAddressVersion: "IPv4",
        PackageType: "Thunder",
      })[name];
    const matches = [...this.proxies.values()].filter(
      (proxy) =>
        (!ids || ids.includes(proxy.proxyId)) &&
        filters.every((f) => f.Values.includes(field(proxy, f.Name) ?? "")) &&
        p.Independent !== 0,
    );
    const set = matches.slice(offset, offset + limit).map((x) => this.proxyInfo(x));
    return { TotalCount: matches.length, ProxySet: set, InstanceSet: set };
  }

  private describeProxiesStatus(p: Params): Result {
    const ids = (p.ProxyIds ?? p.InstanceIds ?? []) as string[];
    return {
      InstanceStatusSet: ids.map((id) => {
        const proxy = this.proxy(id);
        return { InstanceId: proxy.proxyId, Status: proxy.status };
      }),
    };
  }

  private createListeners(protocol: Protocol, p: Params): Result {
    if (p.GroupId) throw new GaapError("ResourceNotFound", "The emulator has no connection groups.");
    if (!p.ProxyId) throw new GaapError("MissingParameter", "One of ProxyId and GroupId is required.");
    const proxy = this.proxy(p.ProxyId as string);
    if (proxy.status !== "RUNNING") {
      throw new GaapError(
        "FailedOperation.ProxyStatusNotInRuning",
        `ProxySpec ${proxy.proxyId} is ${proxy.status}.`,
      );
    }
    const ports = p.Ports as number[];
    if (ports.length === 0 || ports.length > 20)
      throw new GaapError("InvalidParameterValue", "Ports takes 1 to 20 ports.");
    const scheduler = p.Scheduler as string;
    if (!SCHEDULERS.includes(scheduler))
      throw new GaapError("InvalidParameterValue", `Unknown Scheduler ${scheduler}.`);
    const type = p.RealServerType as string;
    if (type !== "IP" && type !== "DOMAIN")
      throw new GaapError("InvalidParameterValue", "RealServerType is IP or DOMAIN.");
    const failover = (p.FailoverSwitch as number | undefined) ?? 0;
    if (type === "DOMAIN" && (scheduler === "wrr" || scheduler === "lrtt")) {
      throw new GaapError("InvalidParameterValue", `DOMAIN origins cannot use scheduler ${scheduler}.`);
    }
    if (type === "DOMAIN" && failover === 1) {
      throw new GaapError("InvalidParameterValue", "FailoverSwitch is not supported for DOMAIN origins.");
    }
    const delayLoop = (p.DelayLoop as number | undefined) ?? 5;
    const connectTimeout = (p.ConnectTimeout as number | undefined) ?? 2;
    if (delayLoop < 5 || delayLoop > 300)
      throw new GaapError("InvalidParameterValue", "DelayLoop must be in 5-300.");
    if (connectTimeout < 2 || connectTimeout > 60 || connectTimeout >= delayLoop) {
      throw new GaapError(
        "InvalidParameterValue",
        "ConnectTimeout must be in 2-60 and smaller than DelayLoop.",
      );
    }
    const onProxy = [...this.listeners.values()].filter((l) => l.proxyId === proxy.proxyId);
    if (onProxy.length + ports.length > 50)
      throw new GaapError("LimitExceeded", "At most 50 listeners per channel.");
    for (const port of ports) {
      if (port < 1 || port > 64999 || port === 21) {
        throw new GaapError("InvalidParameterValue", `Port ${port} is not available (1-64999, not 21).`);
      }
      if (
        onProxy.some((l) => l.protocol === protocol && l.port === port) ||
        ports.indexOf(port) !== ports.lastIndexOf(port)
      ) {
        throw new GaapError(
          "InvalidParameterValue",
          `Port ${port} is already used by a ${protocol} listener.`,
        );
      }
    }
    const ids = ports.map((port) => {
      const l: ListenerState = {
        listenerId: newId("listener"),
        proxyId: proxy.proxyId,
        protocol,
        port,
        name: p.ListenerName as string,
        scheduler,
        realServerType: type,
        failoverSwitch: failover,
        healthCheck: (p.HealthCheck as number | undefined) ?? 0,
        delayLoop,
        connectTimeout,
        createTime: Math.floor(this.now() / 1000),
        bound: [],
        busyUntil: 0,
      };
      this.listeners.set(l.listenerId, l);
      return l.listenerId;
    });
    return { ListenerIds: ids };
  }

  private deleteListeners(p: Params): Result {
    const failed: string[] = [];
    const succeeded: string[] = [];
    const invalid: string[] = [];
    for (const id of p.ListenerIds as string[]) {
      const l = this.listeners.get(id);
      if (l) this.settle(l);
      if (!l || (p.ProxyId && l.proxyId !== p.ProxyId)) failed.push(id);
      else if (this.status(l) !== 0) invalid.push(id);
      else if (l.bound.length > 0 && p.Force !== 1) failed.push(id);
      else {
        this.listeners.delete(id);
        succeeded.push(id);
      }
    }
    return {
      OperationFailedListenerSet: failed,
      OperationSucceedListenerSet: succeeded,
      InvalidStatusListenerSet: invalid,
    };
  }

  // ---- helpers ----

  private listener(id: string): ListenerState {
    const l = this.listeners.get(id);
    if (!l) this.unknownListener(id);
    this.settle(l);
    return l;
  }

  private unknownListener(id: string): never {
    if (this.behavior.unknownListenerError === "InvalidParameter") {
      throw new GaapError("InvalidParameter", `ListenerId(${id}) Not Exist.`);
    }
    throw new GaapError("ResourceNotFound", `The listener ${id} does not exist.`);
  }

  private proxy(id: string): ProxySpec {
    const proxy = this.proxies.get(id);
    if (!proxy) throw new GaapError("ResourceNotFound", `The proxy ${id} does not exist.`);
    return proxy;
  }

  private settle(l: ListenerState): void {
    if (l.pending && this.now() >= l.pending.until) {
      l.bound = l.pending.set;
      l.pending = undefined;
    }
  }

  private status(l: ListenerState): number {
    return this.now() < l.busyUntil ? 3 : 0;
  }

  /** Where an origin is bound: in a listener's current set or in a bind still in progress. */
  private bindingsOf(realServerId: string): Array<{ listenerId: string; proxyId: string }> {
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

  private visibleSet(l: ListenerState): Binding[] {
    this.settle(l);
    return this.behavior.bindVisibility === "immediate" && l.pending ? l.pending.set : l.bound;
  }

  private boundInfo(l: ListenerState): Result[] {
    return this.visibleSet(l).map((b) => {
      const rs = this.realServers.get(b.realServerId);
      const status = l.healthCheck
        ? (this.health.get(`${l.listenerId}/${b.realServerId}`) ?? this.health.get(b.realServerId) ?? 0)
        : 0;
      return {
        RealServerId: b.realServerId,
        RealServerIP: rs?.ip ?? "",
        RealServerWeight: b.weight,
        RealServerStatus: status,
        RealServerPort: b.port,
        DownIPList: [],
        RealServerFailoverRole: b.role ?? "",
      };
    });
  }

  private listenerInfo(l: ListenerState): Result {
    const bound = this.boundInfo(l);
    const anyDown = bound.some((b) => b.RealServerStatus === 1);
    const common = {
      ListenerId: l.listenerId,
      ListenerName: l.name ?? "",
      Port: l.port,
      RealServerPort: null,
      RealServerType: l.realServerType,
      Protocol: l.protocol,
      ListenerStatus: this.status(l),
      Scheduler: l.scheduler,
      ConnectTimeout: l.connectTimeout ?? 2,
      DelayLoop: l.delayLoop ?? 5,
      HealthCheck: l.healthCheck,
      RealServerSet: bound,
      CreateTime: l.createTime ?? 0,
      HealthyThreshold: 1,
      UnhealthyThreshold: 1,
      FailoverSwitch: l.failoverSwitch,
      SessionPersist: 0,
      ProxyId: l.proxyId,
      GroupId: null,
    };
    // BindStatus encodings differ by protocol: TCP 1 = normal; UDP 0 = normal, 1 = IP abnormal.
    if (l.protocol === "TCP") return { ...common, BindStatus: anyDown ? 0 : 1, ClientIPMethod: 0 };
    return { ...common, BindStatus: anyDown ? 1 : 0, CheckType: "PORT", CheckPort: -1, ContextType: "TEXT" };
  }

  private proxyInfo(proxy: ProxySpec): Result {
    return {
      ProxyId: proxy.proxyId,
      InstanceId: proxy.proxyId,
      ProjectId: proxy.projectId,
      ProxyName: proxy.name ?? proxy.proxyId,
      AccessRegion: proxy.accessRegion ?? "SouthChina",
      RealServerRegion: proxy.realServerRegion ?? "NorthChina",
      Bandwidth: 10,
      Concurrent: 2,
      Status: proxy.status,
      Domain: `${proxy.proxyId}.gaap.example.invalid`,
      IP: "192.0.2.250",
      Version: proxy.version ?? "3.0",
      Scalarable: 1,
      SupportProtocols: ["TCP", "UDP"],
      GroupId: null,
      IPAddressVersion: "IPv4",
      NetworkType: "normal",
      PackageType: "Thunder",
      BanStatus: "RECOVER",
      InBanBlacklist: 0,
      TagSet: [],
      CreateTime: 1_700_000_000,
    };
  }

  private page(p: Params, defLimit: number, maxLimit: number): { offset: number; limit: number } {
    const offset = (p.Offset as number | undefined) ?? 0;
    const limit = (p.Limit as number | undefined) ?? defLimit;
    if (offset < 0) throw new GaapError("InvalidParameterValue", "Offset must not be negative.");
    if (limit < 1 || limit > maxLimit)
      throw new GaapError("InvalidParameterValue", `Limit must be in 1-${maxLimit}.`);
    return { offset, limit };
  }
}
