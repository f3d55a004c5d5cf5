// A test scenario: a namespace on the shared control plane, an in-process GAAP emulator, and the operator as a real
// process watching that namespace. Helpers to create workloads and to read what GAAP holds through the SDK.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import type { EmulatorState } from "../../emulator/account/model.ts";
import { normalizeState } from "../../emulator/account/state.ts";
import type { CallRecord } from "../../emulator/call-log.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { Bindings } from "../../testenv/bindings.ts";
import { TIMING } from "../../testenv/deadlines.ts";
import { DEMO_CREDENTIAL, gaapClient } from "../../testenv/gaap.ts";
import { OperatorProcess } from "../../testenv/operator.ts";
import { type DeploymentOptions, deployment, service } from "../../testenv/workload.ts";
import { type TestCluster, tempNamespace, testCluster } from "./cluster.ts";
import { eventually } from "./eventually.ts";

export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export const PROXY = "link-test0001";
/** Listeners every scenario's emulator has. */
export const L = {
  wrr: "listener-wrr00001",
  wrr2: "listener-wrr00002",
  rr: "listener-rr000001",
  udp: "listener-udp00001",
  failover: "listener-fo000001",
  shared: "listener-shared01",
};

/** HTTP and HTTPS listeners every scenario's emulator has, and their forwarding rules. */
export const L7 = {
  http: "listener-http0001",
  https: "listener-https001",
  domain: "www.example.com",
  secureDomain: "secure.example.com",
};
export const RULE = {
  /** www.example.com/ on the HTTP listener, wrr. */
  root: "rule-root0001",
  /** www.example.com/api on the HTTP listener, rr. */
  api: "rule-api00001",
  /** www.example.com/node on the HTTP listener, wrr. */
  node: "rule-node0001",
  /** secure.example.com/ on the HTTPS listener, wrr. */
  secure: "rule-secure001",
};

export function scenarioState(extra: Partial<Record<keyof EmulatorState, unknown>> = {}): EmulatorState {
  const { behavior, listeners, domains, rules, ...rest } = extra;
  return normalizeState({
    credentials: [DEMO_CREDENTIAL],
    proxies: [{ proxyId: PROXY, projectId: 0, status: "RUNNING" }],
    listeners: [
      { listenerId: L.wrr, proxyId: PROXY, protocol: "TCP", port: 80, scheduler: "wrr" },
      { listenerId: L.wrr2, proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "wrr" },
      { listenerId: L.rr, proxyId: PROXY, protocol: "TCP", port: 82, scheduler: "rr" },
      { listenerId: L.udp, proxyId: PROXY, protocol: "UDP", port: 53, scheduler: "wrr" },
      {
        listenerId: L.failover,
        proxyId: PROXY,
        protocol: "TCP",
        port: 83,
        scheduler: "wrr",
        failoverSwitch: 1,
      },
      { listenerId: L.shared, proxyId: PROXY, protocol: "TCP", port: 84, scheduler: "wrr" },
      { listenerId: L7.http, proxyId: PROXY, protocol: "HTTP", port: 8000 },
      { listenerId: L7.https, proxyId: PROXY, protocol: "HTTPS", port: 8443, certificateId: "cert-test0001" },
      ...((listeners as unknown[]) ?? []),
    ],
    domains: [
      { listenerId: L7.http, domain: L7.domain },
      { listenerId: L7.https, domain: L7.secureDomain },
      ...((domains as unknown[]) ?? []),
    ],
    rules: [
      { ruleId: RULE.root, listenerId: L7.http, domain: L7.domain, path: "/", scheduler: "wrr" },
      { ruleId: RULE.api, listenerId: L7.http, domain: L7.domain, path: "/api", scheduler: "rr" },
      { ruleId: RULE.node, listenerId: L7.http, domain: L7.domain, path: "/node", scheduler: "wrr" },
      { ruleId: RULE.secure, listenerId: L7.https, domain: L7.secureDomain, path: "/", scheduler: "wrr" },
      ...((rules as unknown[]) ?? []),
    ],
    behavior: { bindTaskMs: TIMING.bindTaskMs, ...(behavior as object) },
    ...rest,
  });
}

export interface Scenario {
  c: TestCluster;
  ns: string;
  emu: GaapEmulator;
  gaap: Client;
  bindings: Bindings;
  operator: OperatorProcess;
  close(): Promise<void>;
}

export async function scenario(
  prefix: string,
  opts: { state?: EmulatorState; start?: boolean; args?: string[] } = {},
): Promise<Scenario> {
  const c = testCluster();
  const ns = await tempNamespace(c.core, prefix);
  const emu = await startEmulator({ state: opts.state ?? scenarioState() });
  const operator = new OperatorProcess({
    cluster: c.info,
    gaapUrl: emu.url,
    namespace: ns.name,
    ...(opts.args ? { args: opts.args } : {}),
  });
  if (opts.start !== false) operator.start();
  return {
    c,
    ns: ns.name,
    emu,
    gaap: gaapClient(emu.url),
    bindings: new Bindings(c.kc, ns.name),
    operator,
    close: async () => {
      // For debugging: GAAP_TEST_LOG_DIR=<dir> keeps each scenario's operator output.
      if (process.env.GAAP_TEST_LOG_DIR) {
        writeFileSync(join(process.env.GAAP_TEST_LOG_DIR, `${ns.name}.log`), operator.output());
      }
      await operator.close();
      await emu.close();
      await ns.remove();
    },
  };
}

export async function createWeb(
  s: Scenario,
  replicas: number,
  extra: DeploymentOptions & { type?: string } = {},
): Promise<void> {
  await s.c.core.createNamespacedService({ namespace: s.ns, body: service("web", extra) });
  await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment("web", replicas, extra) });
}

export async function scale(s: Scenario, replicas: number, name = "web"): Promise<void> {
  await s.c.apps.patchNamespacedDeployment(
    { name, namespace: s.ns, body: { spec: { replicas } } },
    mergePatch,
  );
}

/** The pod IPs the Service's EndpointSlices list as ready. */
export async function readyPodIPs(s: Scenario, service = "web"): Promise<string[]> {
  const slices = await s.c.discovery.listNamespacedEndpointSlice({
    namespace: s.ns,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return slices.items
    .flatMap((sl) => sl.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false)
    .flatMap((e) => e.addresses)
    .sort();
}

/** The ready pods as "ip:port", sorted as gaapSet sorts ("10.0.0.20:80" before "10.0.0.2:80"). */
export async function readyOrigins(s: Scenario, port: number, service = "web"): Promise<string[]> {
  return (await readyPodIPs(s, service)).map((ip) => `${ip}:${port}`).sort();
}

/**
 * What GAAP has bound on a listener, or on a forwarding rule (an ID rule-…), read through the SDK: "ip:port" (and
 * weight/role when asked).
 */
export async function gaapSet(s: Scenario, listenerOrRule: string, detail = false): Promise<string[]> {
  if (listenerOrRule.startsWith("rule-")) {
    const rules = await s.gaap.DescribeRulesByRuleIds({ RuleIds: [listenerOrRule] });
    return (rules.RuleSet?.[0]?.RealServerSet ?? [])
      .map((r) => `${r.RealServerIP}:${r.RealServerPort}${detail ? `/w${r.RealServerWeight}` : ""}`)
      .sort();
  }
  const listenerId = listenerOrRule;
  let res: {
    ListenerSet?: Array<{
      RealServerSet?: Array<{
        RealServerIP?: string;
        RealServerPort?: number;
        RealServerWeight?: number;
        RealServerFailoverRole?: string;
      }>;
    }>;
  };
  try {
    res = await s.gaap.DescribeTCPListeners({ ListenerId: listenerId });
  } catch {
    res = await s.gaap.DescribeUDPListeners({ ListenerId: listenerId });
  }
  return (res.ListenerSet?.[0]?.RealServerSet ?? [])
    .map(
      (r) =>
        `${r.RealServerIP}:${r.RealServerPort}${detail ? `/w${r.RealServerWeight}${r.RealServerFailoverRole ? `/${r.RealServerFailoverRole}` : ""}` : ""}`,
    )
    .sort();
}

/** Waits until GAAP holds exactly the ready pods of the Service, with this port, on a listener or a rule. */
export async function untilBound(
  s: Scenario,
  listenerId: string,
  port = 8080,
  opts: { timeoutMs?: number; count?: number; service?: string } = {},
): Promise<string[]> {
  return eventually(
    async () => {
      const want = await readyOrigins(s, port, opts.service);
      if (opts.count !== undefined && want.length !== opts.count)
        throw new Error(`${want.length} ready endpoints, waiting for ${opts.count}`);
      const have = await gaapSet(s, listenerId);
      if (JSON.stringify(have) !== JSON.stringify(want))
        throw new Error(`GAAP holds ${have.join(",")}; want ${want.join(",")}`);
      return have;
    },
    { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 200, what: `GAAP set of ${listenerId}` },
  );
}

export function calls(
  s: Pick<Scenario, "emu">,
  filter: { action?: string; listenerId?: string; ruleId?: string; since?: number } = {},
): CallRecord[] {
  return s.emu.calls.list(filter);
}
