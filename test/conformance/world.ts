// The account the conformance tests run against: a dedicated empty TCP listener, an HTTP listener with two empty
// dedicated rules, and other people's listener, rule and origins (which a run must never touch), on one channel;
// and a second channel that is all someone else's. Plus a helper that runs the conformance command in process,
// through the operator's transport, with small task times.
import { afterEach, beforeEach } from "vitest";
import type { Behavior, EmulatorState } from "../../emulator/account/model.ts";
import { normalizeState } from "../../emulator/account/state.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import type { ConformanceOptions } from "../../src/conformance/options.ts";
import type { ConformanceReport } from "../../src/conformance/report.ts";
import { runConformance } from "../../src/conformance/run.ts";
import { type GaapObserver, GaapTransport } from "../../src/gaap/transport.ts";
import { admin, DEMO_CREDENTIAL } from "../../testenv/gaap.ts";

export const PROXY = "link-cf000001";
export const LISTENER = "listener-cf000001";
export const HTTP_LISTENER = "listener-cf000002";
export const RULE = "rule-cf000001";
export const SIBLING = "rule-cf000002";
/** Someone else's: a listener and a rule holding an origin, and that origin. */
export const FOREIGN_LISTENER = "listener-other001";
export const FOREIGN_RULE = "rule-other001";
export const FOREIGN_IP = "198.18.0.1";
/** Someone else's channel: a TCP and a UDP listener, both holding their origin. */
export const OTHER_PROXY = "link-other002";
export const OTHER_TCP = "listener-other002";
export const OTHER_UDP = "listener-other003";
export const OTHER_ORIGIN = "rs-other002";
export const OTHER_IP = "198.19.2.2";
/** Everything that names the other channel: none of it may appear in a write or (unless paged) a report. */
export const OTHER_CHANNEL = [OTHER_PROXY, OTHER_TCP, OTHER_UDP, OTHER_ORIGIN, OTHER_IP];
export const TASK_MS = 50;

export const ips = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`);

export function account(behavior: Partial<Behavior> = {}) {
  return normalizeState({
    credentials: [DEMO_CREDENTIAL],
    projects: [0, 7],
    // The dedicated channel first: a read run pages the first channel unless --proxy names another.
    proxies: [{ proxyId: PROXY }, { proxyId: OTHER_PROXY, name: "someone else's" }],
    listeners: [
      { listenerId: LISTENER, proxyId: PROXY, protocol: "TCP", port: 80, scheduler: "wrr" },
      { listenerId: FOREIGN_LISTENER, proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "wrr" },
      { listenerId: HTTP_LISTENER, proxyId: PROXY, protocol: "HTTP", port: 8080 },
      { listenerId: OTHER_TCP, proxyId: OTHER_PROXY, protocol: "TCP", port: 80, scheduler: "wrr" },
      { listenerId: OTHER_UDP, proxyId: OTHER_PROXY, protocol: "UDP", port: 53, scheduler: "wrr" },
    ],
    domains: [{ listenerId: HTTP_LISTENER, domain: "conformance.example.com" }],
    rules: [
      {
        ruleId: RULE,
        listenerId: HTTP_LISTENER,
        domain: "conformance.example.com",
        path: "/a",
        scheduler: "wrr",
      },
      {
        ruleId: SIBLING,
        listenerId: HTTP_LISTENER,
        domain: "conformance.example.com",
        path: "/b",
        scheduler: "wrr",
      },
      {
        ruleId: FOREIGN_RULE,
        listenerId: HTTP_LISTENER,
        domain: "conformance.example.com",
        path: "/c",
        scheduler: "wrr",
      },
    ],
    realServers: [
      { realServerId: "rs-other001", ip: FOREIGN_IP, name: "someone else's" },
      { realServerId: OTHER_ORIGIN, ip: OTHER_IP, name: "someone else's" },
    ],
    bindings: [
      { listenerId: FOREIGN_LISTENER, realServerId: "rs-other001", port: 80 },
      { ruleId: FOREIGN_RULE, realServerId: "rs-other001", port: 80 },
      { listenerId: OTHER_TCP, realServerId: OTHER_ORIGIN, port: 80 },
      { listenerId: OTHER_UDP, realServerId: OTHER_ORIGIN, port: 53 },
    ],
    behavior: { bindTaskMs: TASK_MS, rateLimits: { default: 1000 }, ...behavior },
  });
}

/** What a channel holds in `state`: the channel, its listeners, their rules and bindings, and the origins bound. */
export function channelOf(state: EmulatorState, proxyId: string) {
  const listeners = state.listeners.filter((l) => l.proxyId === proxyId);
  const onIt = new Set(listeners.map((l) => l.listenerId));
  const rules = state.rules.filter((r) => onIt.has(r.listenerId));
  const ruleIds = new Set(rules.map((r) => r.ruleId));
  const bindings = state.bindings.filter(
    (b) =>
      (b.listenerId !== undefined && onIt.has(b.listenerId)) ||
      (b.ruleId !== undefined && ruleIds.has(b.ruleId)),
  );
  const bound = new Set(bindings.map((b) => b.realServerId));
  return {
    proxies: state.proxies.filter((p) => p.proxyId === proxyId),
    listeners,
    rules,
    bindings,
    realServers: state.realServers.filter((r) => bound.has(r.realServerId)),
  };
}

/** The options of a read-only run: no targets, no origins. */
export const READ_ONLY: Partial<ConformanceOptions> = {
  write: false,
  listenerId: undefined,
  ruleId: undefined,
  siblingRuleId: undefined,
  originIps: [],
};

/** A write run on the dedicated targets with two origins, unless `opts` says otherwise. */
export function options(opts: Partial<ConformanceOptions> = {}): ConformanceOptions {
  return {
    endpoint: "http://127.0.0.1:1",
    credentials: "env",
    credentialsDir: "",
    rates: { write: 200, read: 200, describeRealServers: 1000 },
    timeoutSec: 5,
    write: true,
    listenerId: LISTENER,
    ruleId: RULE,
    siblingRuleId: SIBLING,
    originIps: ips(2),
    originPort: 80,
    projectId: 0,
    otherProjectId: 7,
    binds: 2,
    taskTimeoutMs: 5000,
    pollMs: 5,
    ...opts,
  };
}

export interface World {
  readonly emu: GaapEmulator;
  behave(b: Partial<Behavior>): Promise<unknown>;
  run(
    opts?: Partial<ConformanceOptions>,
    extra?: { signal?: AbortSignal; observer?: GaapObserver },
  ): Promise<ConformanceReport>;
}

/** A fresh emulator per test; `behave` changes its settings as the admin endpoint does. */
export function useWorld(): World {
  let emu: GaapEmulator | undefined;
  const w: World = {
    get emu() {
      if (!emu) throw new Error("the emulator runs only inside a test");
      return emu;
    },
    behave: (b) => admin(w.emu.url, "POST", "behavior", b),
    async run(
      opts: Partial<ConformanceOptions> = {},
      extra: { signal?: AbortSignal; observer?: GaapObserver } = {},
    ) {
      const o = options({ endpoint: w.emu.url, ...opts });
      const transport = new GaapTransport({
        endpoint: o.endpoint,
        credential: DEMO_CREDENTIAL,
        timeoutSec: o.timeoutSec,
        rates: o.rates,
        ...(extra.observer ? { observer: extra.observer } : {}),
      });
      return runConformance(o, {
        transport,
        tool: "test",
        ...(extra.signal ? { signal: extra.signal } : {}),
      });
    },
  };
  beforeEach(async () => {
    emu = await startEmulator({ state: account() });
  });
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });
  return w;
}

export const answerOf = (r: ConformanceReport, key: string) => r.findings.find((f) => f.key === key);
