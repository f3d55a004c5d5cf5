// TCP/UDP listener actions: create, delete and describe listeners, and full-set binds of origins that keep
// the listener busy (ListenerStatus 3) for the bind task time. DeleteListeners and the listener query serve
// HTTP/HTTPS listeners too (layer7-listeners.ts describes those).
import {
  type Account,
  type Actions,
  type ListenerState,
  newId,
  type Params,
  type Result,
} from "../account/account.ts";
import { isLayer7, type Protocol } from "../account/model.ts";
import { GaapError, page } from "../params.ts";
import { checkBindSet, startBind } from "./origin-binds.ts";
import { bindableRealServerInfo, boundInfo, listenerInfo } from "./render.ts";

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

/** A TCP/UDP listener: layer-7 listeners have no origins of their own. */
function transportListener(a: Account, id: string): ListenerState {
  const l = a.listener(id);
  if (isLayer7(l.protocol)) {
    throw new GaapError(
      "InvalidParameterValue",
      `${id} is an ${l.protocol} listener: its origins are bound on its forwarding rules.`,
    );
  }
  return l;
}

function bind(a: Account, p: Params): Result {
  const l = transportListener(a, p.ListenerId as string);
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
  const set = checkBindSet(a, req, {
    scheduler: l.scheduler,
    failover: l.failoverSwitch === 1,
    ...(l.failoverSwitch !== 1 || l.realServerType !== "IP"
      ? { roleRefusal: "RealServerFailoverRole needs a listener with FailoverSwitch=1 and IP origins." }
      : {}),
  });
  startBind(a, l, set);
  return {};
}

function describeListeners(a: Account, protocol: Protocol, p: Params): Result {
  const { total, listeners } = queryListeners(a, protocol, p);
  return { TotalCount: total, ListenerSet: listeners.map((l) => listenerInfo(a, l)) };
}

/**
 * The page of `protocol` listeners a Describe*Listeners call asks for (at least one of ProxyId, GroupId and
 * ListenerId; exact ListenerName and Port, or a fuzzy SearchValue), with their total.
 */
export function queryListeners(
  a: Account,
  protocol: Protocol,
  p: Params,
  extra: (l: ListenerState) => boolean = () => true,
): { total: number; listeners: ListenerState[] } {
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
      (search === undefined || String(l.port).includes(search) || (l.name ?? "").includes(search)) &&
      extra(l),
  );
  return { total: matches.length, listeners: matches.slice(offset, offset + limit) };
}

function describeListenerRealServers(a: Account, p: Params): Result {
  const l = transportListener(a, p.ListenerId as string);
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
    // HTTP and HTTPS listeners take TCP ports: a port is unique per transport protocol.
    const clash = onProxy.find((l) => transport(l.protocol) === protocol && l.port === port);
    if (clash || ports.indexOf(port) !== ports.lastIndexOf(port)) {
      throw new GaapError(
        "InvalidParameterValue",
        `Port ${port} is already used by a ${clash?.protocol ?? protocol} listener.`,
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
    if (!l || (p.ProxyId && l.proxyId !== p.ProxyId)) failed.push(id);
    else if (a.busyWithTasks(l)) invalid.push(id);
    else if (a.hasOrigins(l) && p.Force !== 1) failed.push(id);
    else {
      a.removeListener(id);
      succeeded.push(id);
    }
  }
  return {
    OperationFailedListenerSet: failed,
    OperationSucceedListenerSet: succeeded,
    InvalidStatusListenerSet: invalid,
  };
}

function transport(protocol: Protocol): Protocol {
  return isLayer7(protocol) ? "TCP" : protocol;
}
