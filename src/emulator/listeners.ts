// TCP/UDP listener actions: create, delete and describe listeners, and full-set binds of origins that keep
// the listener busy (ListenerStatus 3) for the bind task time.
import {
  type Account,
  type Actions,
  type ListenerState,
  newId,
  type Params,
  type Result,
} from "./account.ts";
import { GaapError, page } from "./params.ts";
import { bindableRealServerInfo, boundInfo, listenerInfo } from "./render.ts";
import type { Binding, Protocol } from "./state.ts";

const SCHEDULERS = ["rr", "wrr", "lc", "lrtt"];

export function listenerActions(a: Account): Actions {
  return {
    BindListenerRealServers: (p) => bind(a, p),
    DescribeTCPListeners: (p) => describeListeners(a, "TCP", p),
    DescribeUDPListeners: (p) => describeListeners(a, "UDP", p),
    DescribeListenerRealServers: (p) => describeListenerRealServers(a, p),
    CreateTCPListeners: (p) => createListeners(a, "TCP", p),
    CreateUDPListeners: (p) => createListeners(a, "UDP", p),
    DeleteListeners: (p) => deleteListeners(a, p),
  };
}

/** Makes a listener busy as if someone else had started a task on it. */
export function startTask(a: Account, listenerId: string, durationMs: number): void {
  const l = a.listener(listenerId);
  l.busyUntil = Math.max(l.busyUntil, a.now() + durationMs);
}

function bind(a: Account, p: Params): Result {
  const l = a.listener(p.ListenerId as string);
  a.runningProxy(l.proxyId);
  if (a.status(l) !== 0) {
    throw new GaapError("FailedOperation.ListenerHasTask", "The listener is being operated, do not repeat.");
  }
  const req = (p.RealServerBindSet ?? []) as Array<Record<string, unknown>>;
  if (req.length === 0 && a.behavior.emptyBindSet === "reject") {
    throw new GaapError("InvalidParameter", "RealServerBindSet must not be empty.");
  }
  if (req.length > a.behavior.maxRealServersPerListener) {
    throw new GaapError(
      "FailedOperation.LimitRealServerNum",
      `The number of bound origin servers exceeds the limit (${a.behavior.maxRealServersPerListener}).`,
    );
  }
  const set: Binding[] = [];
  const seenIpPort = new Set<string>();
  const seenIp = new Set<string>();
  for (const [idx, e] of req.entries()) {
    const id = e.RealServerId as string;
    const ip = e.RealServerIP as string;
    const port = e.RealServerPort as number;
    const rs = a.realServers.get(id);
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
    if (seenIp.has(ip) && !a.behavior.allowSameIpDifferentPorts) {
      throw new GaapError("InvalidParameterValue", `RealServer ${ip} appears twice in RealServerBindSet.`);
    }
    seenIpPort.add(`${ip}:${port}`);
    seenIp.add(ip);
    const weight = checkWeight(l, idx, e.RealServerWeight as number | undefined);
    const role = checkRole(l, e.RealServerFailoverRole as string | undefined);
    set.push({
      listenerId: l.listenerId,
      realServerId: id,
      port,
      weight: weight ?? 1,
      ...(l.failoverSwitch === 1 ? { role: (role ?? "master") as "master" | "slave" } : {}),
    });
  }
  const until = a.now() + a.behavior.bindTaskMs;
  l.pending = { set, until };
  l.busyUntil = Math.max(l.busyUntil, until);
  a.settle(l);
  return {};
}

/** Weights mean something only under wrr; every other scheduler takes 1 or none. */
function checkWeight(l: ListenerState, idx: number, weight: number | undefined): number | undefined {
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
  return weight;
}

function checkRole(l: ListenerState, role: string | undefined): string | undefined {
  if (role === undefined) return role;
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
  return role;
}

function describeListeners(a: Account, protocol: Protocol, p: Params): Result {
  if (p.ProxyId && p.GroupId)
    throw new GaapError("InvalidParameter", "ProxyId and GroupId cannot both be set.");
  if (!p.ProxyId && !p.GroupId && !p.ListenerId) {
    throw new GaapError("MissingParameter", "One of ProxyId, GroupId and ListenerId is required.");
  }
  if (p.SearchValue !== undefined && (p.ListenerName !== undefined || p.Port !== undefined)) {
    throw new GaapError("InvalidParameter", "SearchValue cannot be combined with ListenerName or Port.");
  }
  const { offset, limit } = page(p, 20, a.behavior.maxDescribeListenersLimit);
  if (p.GroupId)
    throw new GaapError("ResourceNotFound", `GroupId ${p.GroupId} not found (the emulator has no groups).`);
  if (p.ProxyId) a.proxy(p.ProxyId as string);
  if (p.ListenerId) {
    const l = a.listeners.get(p.ListenerId as string);
    if (!l || l.protocol !== protocol) a.unknownListener(p.ListenerId as string);
    if (p.ProxyId && l?.proxyId !== p.ProxyId) {
      throw new GaapError(
        "InvalidParameterValue",
        `ListenerId ${p.ListenerId} does not belong to ${p.ProxyId}.`,
      );
    }
  }
  const search = p.SearchValue as string | undefined;
  const matches = [...a.listeners.values()].filter(
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
    ListenerSet: matches.slice(offset, offset + limit).map((l) => listenerInfo(a, l)),
  };
}

function describeListenerRealServers(a: Account, p: Params): Result {
  const l = a.listener(p.ListenerId as string);
  const project = a.proxy(l.proxyId).projectId;
  const bindable = [...a.realServers.values()].filter((r) => r.projectId === project);
  const bound = boundInfo(a, l);
  return {
    TotalCount: bindable.length,
    RealServerSet: bindable.map(bindableRealServerInfo),
    BindRealServerTotalCount: bound.length,
    BindRealServerSet: bound,
  };
}

function createListeners(a: Account, protocol: Protocol, p: Params): Result {
  if (p.GroupId) throw new GaapError("ResourceNotFound", "The emulator has no connection groups.");
  if (!p.ProxyId) throw new GaapError("MissingParameter", "One of ProxyId and GroupId is required.");
  const proxy = a.runningProxy(p.ProxyId as string);
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
  const onProxy = [...a.listeners.values()].filter((l) => l.proxyId === proxy.proxyId);
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
      throw new GaapError("InvalidParameterValue", `Port ${port} is already used by a ${protocol} listener.`);
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
      createTime: Math.floor(a.now() / 1000),
      bound: [],
      busyUntil: 0,
    };
    a.listeners.set(l.listenerId, l);
    return l.listenerId;
  });
  return { ListenerIds: ids };
}

function deleteListeners(a: Account, p: Params): Result {
  const failed: string[] = [];
  const succeeded: string[] = [];
  const invalid: string[] = [];
  for (const id of p.ListenerIds as string[]) {
    const l = a.listeners.get(id);
    if (l) a.settle(l);
    if (!l || (p.ProxyId && l.proxyId !== p.ProxyId)) failed.push(id);
    else if (a.status(l) !== 0) invalid.push(id);
    else if (l.bound.length > 0 && p.Force !== 1) failed.push(id);
    else {
      a.listeners.delete(id);
      succeeded.push(id);
    }
  }
  return {
    OperationFailedListenerSet: failed,
    OperationSucceedListenerSet: succeeded,
    InvalidStatusListenerSet: invalid,
  };
}
