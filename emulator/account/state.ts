// The GAAP emulator's world as a state file gives it (JSON or YAML): defaults, checks and behaviour settings. The
// shapes are in model.ts; layer 7's part of the checks is in layer7-spec.ts.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { normalizeDomains, normalizeRules } from "./layer7-spec.ts";
import {
  type Behavior,
  type Binding,
  type Credential,
  type EmulatorState,
  isLayer7,
  type Listener,
  type ProxySpec,
  type RealServer,
} from "./model.ts";

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
  weightZero: "reject",
  ruleTaskScope: "listener",
  maxRealServersPerRule: 100,
  ruleOverLimit: "reject",
  unknownRuleError: "ResourceNotFound",
  unknownRuleInBatch: "error",
  createRuleMissingDomain: "reject",
  callLogSize: 10_000,
}) as Behavior;

/** The embedded default world: one channel with a listener of each kind and an HTTP rule, ready for a demo. */
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
      { listenerId: "listener-eeee5555", proxyId: "link-aaaa1111", protocol: "HTTP", port: 8080 },
    ],
    domains: [{ listenerId: "listener-eeee5555", domain: "www.example.com" }],
    rules: [
      {
        ruleId: "rule-aaaa1111",
        listenerId: "listener-eeee5555",
        domain: "www.example.com",
        path: "/",
        scheduler: "wrr",
      },
    ],
  });
}

export class StateError extends Error {}

/** Fills defaults and checks references, reporting every problem at once. */
export function normalizeState(input: unknown): EmulatorState {
  const raw = (input ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const known = [
    "credentials",
    "projects",
    "proxies",
    "listeners",
    "domains",
    "rules",
    "realServers",
    "bindings",
    "behavior",
  ];
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
    if (!["TCP", "UDP", "HTTP", "HTTPS"].includes(l.protocol as string))
      problems.push(`listeners[${i}].protocol must be TCP, UDP, HTTP or HTTPS`);
    if (l.protocol !== "HTTPS" && (l.certificateId !== undefined || l.forwardProtocol !== undefined))
      problems.push(`listeners[${i}]: certificateId and forwardProtocol are for HTTPS listeners`);
    if (l.forwardProtocol !== undefined && l.forwardProtocol !== "HTTP" && l.forwardProtocol !== "HTTPS")
      problems.push(`listeners[${i}].forwardProtocol must be HTTP or HTTPS`);
    return {
      port: 80,
      scheduler: "rr",
      realServerType: "IP",
      failoverSwitch: 0,
      healthCheck: 1,
      delayLoop: 5,
      connectTimeout: 2,
      createTime: 1_700_000_000,
      ...(l.protocol === "HTTPS" ? { forwardProtocol: "HTTP" } : {}),
      ...l,
    } as Listener;
  });
  const byId = new Map(listeners.map((l) => [l.listenerId, l]));
  const domains = normalizeDomains(arr("domains"), byId, problems);
  const rules = normalizeRules(arr("rules"), domains, problems);
  const ruleIds = new Set(rules.map((r) => r.ruleId));
  const realServers = arr<Partial<RealServer>>("realServers").map((r, i) => {
    if (!r.realServerId || !r.ip) problems.push(`realServers[${i}] needs realServerId and ip`);
    return { projectId: 0, name: "", tags: [], ...r } as RealServer;
  });
  const rsIds = new Set(realServers.map((r) => r.realServerId));
  const bindings = arr<Partial<Binding>>("bindings").map((b, i) => {
    if ((b.listenerId === undefined) === (b.ruleId === undefined))
      problems.push(`bindings[${i}] names exactly one of listenerId and ruleId`);
    else if (b.ruleId !== undefined && !ruleIds.has(b.ruleId))
      problems.push(`bindings[${i}] names unknown rule ${b.ruleId}`);
    else if (b.listenerId !== undefined) {
      const l = byId.get(b.listenerId);
      if (!l) problems.push(`bindings[${i}] names unknown listener`);
      else if (isLayer7(l.protocol))
        problems.push(
          `bindings[${i}] names ${l.protocol} listener ${l.listenerId}: its origins sit on rules`,
        );
    }
    if (!b.realServerId || !rsIds.has(b.realServerId))
      problems.push(`bindings[${i}] names unknown realServer`);
    return { weight: 1, ...b } as Binding;
  });
  const projects = [...new Set([0, ...arr<number>("projects"), ...proxies.map((p) => p.projectId)])];
  if (problems.length > 0) throw new StateError(`invalid emulator state: ${problems.join("; ")}`);
  return { credentials, projects, proxies, listeners, domains, rules, realServers, bindings, behavior };
}

/** `base` with the keys of `patch` applied; unknown keys and wrongly typed values are refused together. */
const BEHAVIOR_CHOICES: Partial<Record<keyof Behavior, readonly string[]>> = {
  bindVisibility: ["onComplete", "immediate"],
  emptyBindSet: ["unbind", "reject"],
  unknownListenerError: ["ResourceNotFound", "InvalidParameter"],
  duplicateScope: ["account", "project"],
  ruleTaskScope: ["listener", "rule"],
  ruleOverLimit: ["reject", "accept"],
  unknownRuleError: ["ResourceNotFound", "InvalidParameter"],
  unknownRuleInBatch: ["error", "omit"],
  createRuleMissingDomain: ["reject", "create"],
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
