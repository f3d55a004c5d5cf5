// The GAAP emulator's world: credentials, channels (proxies), listeners, registered origins, bindings, and the
// behaviour knobs for what the reference leaves UNCONFIRMED. Loaded from a JSON or YAML state file.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

export interface Credential {
  secretId: string;
  secretKey: string;
  /** Temporary credentials carry a token (X-TC-Token) that must match. */
  token?: string;
}

export interface ProxySpec {
  proxyId: string;
  projectId: number;
  status: string;
  name?: string;
  accessRegion?: string;
  realServerRegion?: string;
  version?: string;
}

export type Protocol = "TCP" | "UDP";

export interface Listener {
  listenerId: string;
  proxyId: string;
  protocol: Protocol;
  port: number;
  name?: string;
  scheduler: string;
  realServerType: "IP" | "DOMAIN";
  failoverSwitch: number;
  healthCheck: number;
  delayLoop?: number;
  connectTimeout?: number;
  createTime?: number;
}

export interface RealServer {
  realServerId: string;
  ip: string;
  projectId: number;
  name: string;
  tags: Array<{ key: string; value: string }>;
}

export interface Binding {
  listenerId: string;
  realServerId: string;
  port: number;
  weight: number;
  role?: "master" | "slave";
}

export interface Behavior {
  /** How long a bind keeps the listener in ListenerStatus 3. */
  bindTaskMs: number;
  /** Requests per second per action; `default` for every action not named. */
  rateLimits: Record<string, number>;
  maxRealServersPerListener: number;
  verifySignature: boolean;
  /** Allowed clock skew for X-TC-Timestamp. */
  signatureMaxSkewSec: number;
  /**
   * UNCONFIRMED items, each with the stricter answer by default:
   * - when a bind's new set shows in Describe* ("onComplete": only once the task is done; or "immediate");
   * - what an empty RealServerBindSet does ("unbind": the dangerous answer, so mistakes show; or "reject");
   * - whether one IP may be bound twice on a listener with different ports;
   * - which code an unknown ListenerId gives (ResourceNotFound or InvalidParameter "ListenerId(x) Not Exist.");
   * - whether DuplicateRS is checked per account or per project;
   * - how many IPs one AddRealServers call may carry, and the largest Describe*Listeners Limit.
   */
  bindVisibility: "onComplete" | "immediate";
  emptyBindSet: "unbind" | "reject";
  allowSameIpDifferentPorts: boolean;
  unknownListenerError: "ResourceNotFound" | "InvalidParameter";
  duplicateScope: "account" | "project";
  maxAddRealServersBatch: number;
  maxDescribeListenersLimit: number;
  /** Entries kept in the call log (a ring buffer). */
  callLogSize: number;
}

export interface EmulatorState {
  credentials: Credential[];
  projects: number[];
  proxies: ProxySpec[];
  listeners: Listener[];
  realServers: RealServer[];
  bindings: Binding[];
  behavior: Behavior;
}

export const DEFAULT_BEHAVIOR: Behavior = Object.freeze({
  bindTaskMs: 2000,
  rateLimits: { default: 20, DescribeRealServers: 1000 },
  maxRealServersPerListener: 100,
  verifySignature: true,
  signatureMaxSkewSec: 300,
  bindVisibility: "onComplete",
  emptyBindSet: "unbind",
  allowSameIpDifferentPorts: false,
  unknownListenerError: "ResourceNotFound",
  duplicateScope: "account",
  maxAddRealServersBatch: 20,
  maxDescribeListenersLimit: 50,
  callLogSize: 10_000,
}) as Behavior;

/** The embedded default world: one channel with a listener of each kind, ready for a demo. */
export function defaultState(): EmulatorState {
  return normalizeState({
    credentials: [{ secretId: "AKIDexample", secretKey: "example-key" }],
    proxies: [{ proxyId: "link-aaaa1111", projectId: 0, status: "RUNNING", name: "demo" }],
    listeners: [
      {
        listenerId: "listener-aaaa1111",
        proxyId: "link-aaaa1111",
        protocol: "TCP",
        port: 80,
        scheduler: "wrr",
      },
      {
        listenerId: "listener-bbbb2222",
        proxyId: "link-aaaa1111",
        protocol: "TCP",
        port: 443,
        scheduler: "rr",
      },
      {
        listenerId: "listener-cccc3333",
        proxyId: "link-aaaa1111",
        protocol: "UDP",
        port: 53,
        scheduler: "wrr",
      },
      {
        listenerId: "listener-dddd4444",
        proxyId: "link-aaaa1111",
        protocol: "TCP",
        port: 8443,
        scheduler: "wrr",
        failoverSwitch: 1,
      },
    ],
  });
}

export class StateError extends Error {}

/** Fills defaults and checks references, reporting every problem at once. */
export function normalizeState(input: unknown): EmulatorState {
  const raw = (input ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const known = ["credentials", "projects", "proxies", "listeners", "realServers", "bindings", "behavior"];
  for (const k of Object.keys(raw)) if (!known.includes(k)) problems.push(`unknown key "${k}"`);
  const arr = <T>(k: string): T[] => {
    const v = raw[k] ?? [];
    if (!Array.isArray(v)) {
      problems.push(`"${k}" must be a list`);
      return [];
    }
    return v as T[];
  };
  let behavior = DEFAULT_BEHAVIOR;
  try {
    behavior = mergeBehavior(DEFAULT_BEHAVIOR, raw.behavior);
  } catch (err) {
    problems.push((err as Error).message);
  }

  const credentials = arr<Credential>("credentials").map((c, i) => {
    if (!c?.secretId || !c?.secretKey) problems.push(`credentials[${i}] needs secretId and secretKey`);
    return { ...c };
  });
  const proxies = arr<Partial<ProxySpec>>("proxies").map((p, i) => {
    if (!p.proxyId) problems.push(`proxies[${i}] needs proxyId`);
    return { projectId: 0, status: "RUNNING", version: "3.0", ...p } as ProxySpec;
  });
  const proxyIds = new Set(proxies.map((p) => p.proxyId));
  const listeners = arr<Partial<Listener>>("listeners").map((l, i) => {
    if (!l.listenerId || !/^listener-[a-z0-9]+$/.test(l.listenerId))
      problems.push(`listeners[${i}] needs a listenerId`);
    if (!l.proxyId || !proxyIds.has(l.proxyId))
      problems.push(`listeners[${i}] names unknown proxy ${l.proxyId}`);
    if (l.protocol !== "TCP" && l.protocol !== "UDP")
      problems.push(`listeners[${i}].protocol must be TCP or UDP`);
    return {
      port: 80,
      scheduler: "rr",
      realServerType: "IP",
      failoverSwitch: 0,
      healthCheck: 1,
      delayLoop: 5,
      connectTimeout: 2,
      createTime: 1_700_000_000,
      ...l,
    } as Listener;
  });
  const listenerIds = new Set(listeners.map((l) => l.listenerId));
  const realServers = arr<Partial<RealServer>>("realServers").map((r, i) => {
    if (!r.realServerId || !r.ip) problems.push(`realServers[${i}] needs realServerId and ip`);
    return { projectId: 0, name: "", tags: [], ...r } as RealServer;
  });
  const rsIds = new Set(realServers.map((r) => r.realServerId));
  const bindings = arr<Partial<Binding>>("bindings").map((b, i) => {
    if (!b.listenerId || !listenerIds.has(b.listenerId))
      problems.push(`bindings[${i}] names unknown listener`);
    if (!b.realServerId || !rsIds.has(b.realServerId))
      problems.push(`bindings[${i}] names unknown realServer`);
    return { weight: 1, ...b } as Binding;
  });
  const projects = [...new Set([0, ...arr<number>("projects"), ...proxies.map((p) => p.projectId)])];
  if (problems.length > 0) throw new StateError(`invalid emulator state: ${problems.join("; ")}`);
  return { credentials, projects, proxies, listeners, realServers, bindings, behavior };
}

/** `base` with the keys of `patch` applied; unknown keys and wrongly typed values are refused together. */
const BEHAVIOR_CHOICES: Partial<Record<keyof Behavior, readonly string[]>> = {
  bindVisibility: ["onComplete", "immediate"],
  emptyBindSet: ["unbind", "reject"],
  unknownListenerError: ["ResourceNotFound", "InvalidParameter"],
  duplicateScope: ["account", "project"],
};

export function mergeBehavior(base: Behavior, patch: unknown): Behavior {
  const p = (patch ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, v] of Object.entries(p)) {
    const choices = BEHAVIOR_CHOICES[k as keyof Behavior];
    if (!(k in DEFAULT_BEHAVIOR)) problems.push(`unknown behavior "${k}"`);
    else if (choices && !choices.includes(v as string))
      problems.push(`behavior.${k} must be one of ${choices.join(", ")}`);
    else if (k === "rateLimits") {
      if (
        typeof v !== "object" ||
        v === null ||
        Object.values(v).some((r) => !(typeof r === "number" && r > 0))
      ) {
        problems.push("behavior.rateLimits must map actions to positive numbers");
      }
    } else if (typeof v !== typeof DEFAULT_BEHAVIOR[k as keyof Behavior]) {
      problems.push(`behavior.${k} must be a ${typeof DEFAULT_BEHAVIOR[k as keyof Behavior]}`);
    }
  }
  if (problems.length > 0) throw new StateError(problems.join("; "));
  return {
    ...base,
    ...(p as Partial<Behavior>),
    rateLimits: { ...base.rateLimits, ...((p.rateLimits as Record<string, number>) ?? {}) },
  };
}

export function loadStateFile(path: string): EmulatorState {
  const text = readFileSync(path, "utf8");
  const data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  return normalizeState(data);
}
