// The world the layer7-*.test.ts files share: an emulator account with HTTP/HTTPS listeners, domains and rules,
// started afresh around each test (useWorld), and helpers that read it through the official SDK.
import type { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import type {
  RealServerBindSetReq,
  RuleInfo,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { afterEach, beforeEach } from "vitest";
import type { EmulatorState } from "../../emulator/account/model.ts";
import { normalizeState } from "../../emulator/account/state.ts";
import type { CallRecord } from "../../emulator/call-log.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { admin, gaapClient } from "../../testenv/gaap.ts";

export const CRED = { secretId: "AKIDtest", secretKey: "test-key" };
export const PROXY = "link-l7000001";
export const HTTP = "listener-http0001";
export const HTTPS = "listener-https001";
export const TCP = "listener-tcp00001";
export const CLOSED = "listener-closed01";
export const OLD = "listener-oldver01";
/** On HTTP, www.example.com: "/" under wrr, "/rr" under rr; api.example.com "/" with the health check off. */
export const WRR = "rule-wrr00001";
export const RR = "rule-rr000001";
export const NOHC = "rule-nohc0001";
/** On HTTPS (forwardProtocol HTTPS), secure.example.com "/". */
export const SECURE = "rule-secure001";
/** On an HTTP listener of a CLOSED channel. */
export const SHUT = "rule-closed01";

export const ORIGINS = 101;
export const pad = (i: number) => String(i).padStart(4, "0");
/** Origin i (0-based) of the 101 seeded in project 0. */
export const o = (i: number) => ({
  id: `rs-o${pad(i)}`,
  ip: `198.18.${Math.floor(i / 200)}.${(i % 200) + 1}`,
});
export const entry = (i: number, port = 8080, weight?: number): RealServerBindSetReq => ({
  RealServerId: o(i).id,
  RealServerIP: o(i).ip,
  RealServerPort: port,
  ...(weight === undefined ? {} : { RealServerWeight: weight }),
});

export function account(extra: Partial<Record<keyof EmulatorState, unknown>> = {}): EmulatorState {
  const rule = (ruleId: string, listenerId: string, domain: string, path: string, more = {}) => ({
    ruleId,
    listenerId,
    domain,
    path,
    ...more,
  });
  return normalizeState({
    credentials: [CRED],
    projects: [0, 7],
    proxies: [
      { proxyId: PROXY },
      { proxyId: "link-closed01", status: "CLOSED" },
      { proxyId: "link-oldver01", version: "2.0" },
    ],
    listeners: [
      { listenerId: HTTP, proxyId: PROXY, protocol: "HTTP", port: 80, name: "web" },
      {
        listenerId: HTTPS,
        proxyId: PROXY,
        protocol: "HTTPS",
        port: 443,
        name: "secure",
        certificateId: "cert-abc",
        forwardProtocol: "HTTPS",
      },
      { listenerId: TCP, proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "rr" },
      { listenerId: CLOSED, proxyId: "link-closed01", protocol: "HTTP", port: 80 },
      { listenerId: OLD, proxyId: "link-oldver01", protocol: "HTTP", port: 80 },
    ],
    domains: [
      { listenerId: HTTP, domain: "www.example.com" },
      { listenerId: HTTP, domain: "api.example.com" },
      { listenerId: HTTPS, domain: "secure.example.com" },
      { listenerId: CLOSED, domain: "shut.example.com" },
    ],
    rules: [
      rule(WRR, HTTP, "www.example.com", "/", { scheduler: "wrr" }),
      rule(RR, HTTP, "www.example.com", "/rr"),
      rule(NOHC, HTTP, "api.example.com", "/", { healthCheck: 0 }),
      rule(SECURE, HTTPS, "secure.example.com", "/"),
      rule(SHUT, CLOSED, "shut.example.com", "/"),
    ],
    realServers: [
      ...Array.from({ length: ORIGINS }, (_, i) => ({ realServerId: o(i).id, ip: o(i).ip, name: "seed" })),
      { realServerId: "rs-p7000001", ip: "198.18.7.1", projectId: 7, name: "other project" },
    ],
    behavior: { bindTaskMs: 300, rateLimits: { default: 1000 } },
    ...extra,
  });
}

export const calls = async (url: string, query = "") =>
  (await admin<{ calls: CallRecord[]; lastSeq: number }>(url, "GET", `calls${query}`)).calls;

/** "ip:port" of each origin of a rule, sorted. */
export const ipPorts = (r: RuleInfo | undefined) =>
  (r?.RealServerSet ?? []).map((s) => `${s.RealServerIP}:${s.RealServerPort}`).sort();

export let emu: GaapEmulator;
export let gaap: Client;

export const behavior = (patch: Record<string, unknown>) => admin(emu.url, "POST", "behavior", patch);

export async function rule(id: string): Promise<RuleInfo> {
  const r = (await gaap.DescribeRulesByRuleIds({ RuleIds: [id] })).RuleSet?.[0];
  if (!r) throw new Error(`${id} not found`);
  return r;
}

/** Polls until the rule's task is over (RuleStatus 0), with a deadline. */
export async function untilRuleIdle(id: string): Promise<RuleInfo> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await rule(id);
    if (r.RuleStatus === 0) return r;
    if (Date.now() > deadline) throw new Error(`${id} still busy`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

export async function httpListenerStatus(id: string): Promise<number | undefined> {
  return (await gaap.DescribeHTTPListeners({ ListenerId: id })).ListenerSet?.[0]?.ListenerStatus;
}

export async function untilListenerIdle(id: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await httpListenerStatus(id)) !== 0) {
    if (Date.now() > deadline) throw new Error(`${id} still busy`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

export const createRule = (over: Partial<Parameters<Client["CreateRule"]>[0]> = {}) =>
  gaap.CreateRule({
    ListenerId: HTTP,
    Domain: "www.example.com",
    Path: "/new",
    RealServerType: "IP",
    Scheduler: "rr",
    HealthCheck: 1,
    ...over,
  });

/** Starts a fresh world around each test (or the file), as the tests below expect. */
export function useWorld(): void {
  beforeEach(async () => {
    emu = await startEmulator({ state: account() });
    gaap = gaapClient(emu.url, { credential: CRED });
  });
  afterEach(async () => emu.close());
}
