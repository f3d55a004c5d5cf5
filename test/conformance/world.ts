// The account the conformance tests run against: a dedicated empty TCP listener, an HTTP listener with two empty
// dedicated rules, and other people's listener, rule and origins (which a run must never touch); plus a helper
// that runs the conformance command in process, through the operator's transport, with small task times.
import { afterEach, beforeEach } from "vitest";
import type { Behavior } from "../../emulator/account/model.ts";
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
export const TASK_MS = 50;

export const ips = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`);

export function account(behavior: Partial<Behavior> = {}) {
  return normalizeState({
    credentials: [DEMO_CREDENTIAL],
    projects: [0, 7],
    proxies: [{ proxyId: PROXY }],
    listeners: [
      { listenerId: LISTENER, proxyId: PROXY, protocol: "TCP", port: 80, scheduler: "wrr" },
      { listenerId: FOREIGN_LISTENER, proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "wrr" },
      { listenerId: HTTP_LISTENER, proxyId: PROXY, protocol: "HTTP", port: 8080 },
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
    realServers: [{ realServerId: "rs-other001", ip: FOREIGN_IP, name: "someone else's" }],
    bindings: [
      { listenerId: FOREIGN_LISTENER, realServerId: "rs-other001", port: 80 },
      { ruleId: FOREIGN_RULE, realServerId: "rs-other001", port: 80 },
    ],
    behavior: { bindTaskMs: TASK_MS, rateLimits: { default: 1000 }, ...behavior },
  });
}

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
