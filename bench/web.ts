// The Deployment "web" behind a Service, bound to one listener (or one forwarding rule of an HTTP listener): what
// the reaction and rolling scenarios share. Watches its EndpointSlices to time each address's changes, and reads the
// set GAAP holds.
import {
  PatchStrategy,
  setHeaderOptions,
  type V1DeploymentStrategy,
  type V1EndpointSlice,
} from "@kubernetes/client-node";
import { normalizeState } from "../emulator/account/state.ts";
import type { CallRecord } from "../emulator/call-log.ts";
import { Informer } from "../src/watch/informer.ts";
import { SIM } from "../testenv/cluster/kubelet.ts";
import { DEMO_CREDENTIAL } from "../testenv/gaap.ts";
import type { OperatorProcess } from "../testenv/operator.ts";
import { deployment, service } from "../testenv/workload.ts";
import { type Bench, NS, T_MS } from "./lib.ts";

export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** What a scenario binds: a TCP listener, or a rule of an HTTP listener (with a sibling rule nobody binds). */
export interface BenchTarget {
  listenerId: string;
  ruleId?: string;
}

export function oneListener(target: BenchTarget) {
  const { listenerId, ruleId } = target;
  const proxyId = "link-bench0001";
  if (!ruleId) {
    return normalizeState({
      credentials: [DEMO_CREDENTIAL],
      proxies: [{ proxyId }],
      listeners: [{ listenerId, proxyId, protocol: "TCP", port: 80, scheduler: "wrr" }],
      behavior: { bindTaskMs: T_MS },
    });
  }
  const domain = "www.example.com";
  return normalizeState({
    credentials: [DEMO_CREDENTIAL],
    proxies: [{ proxyId }],
    listeners: [{ listenerId, proxyId, protocol: "HTTP", port: 80 }],
    domains: [{ listenerId, domain }],
    rules: [
      { ruleId, listenerId, domain, path: "/", scheduler: "wrr" },
      { ruleId: `${ruleId}x`, listenerId, domain, path: "/static", scheduler: "wrr" },
    ],
    behavior: { bindTaskMs: T_MS },
  });
}

export type SliceWatcher = ReturnType<typeof sliceWatcher>;

/** Watches the namespace's EndpointSlices and records when each address became ready or stopped being ready. */
function sliceWatcher(b: Bench) {
  const ready = new Map<string, boolean>();
  const serving = new Map<string, boolean>();
  const transitions: Array<{ ip: string; ready: boolean; at: number }> = [];
  /** When an address stopped serving: its endpoint's serving condition turned false, or the endpoint went away. */
  const stoppedServing = new Map<string, number>();
  const inf = new Informer<V1EndpointSlice>(b.kc, {
    name: "bench-slices",
    path: `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`,
    list: () => b.discovery.listNamespacedEndpointSlice({ namespace: NS }),
    modelType: "V1EndpointSlice",
  });
  const recompute = () => {
    const now = Date.now();
    const current = new Map<string, boolean>();
    const currentServing = new Map<string, boolean>();
    for (const s of inf.list(NS)) {
      for (const e of s.endpoints ?? []) {
        const ip = e.addresses[0] as string;
        const r = e.conditions?.ready !== false;
        current.set(ip, (current.get(ip) ?? false) || r);
        const sv = e.conditions?.serving ?? r;
        currentServing.set(ip, (currentServing.get(ip) ?? false) || sv);
      }
    }
    for (const [ip, sv] of serving) {
      if (sv && !currentServing.get(ip) && !stoppedServing.has(ip)) stoppedServing.set(ip, now);
    }
    serving.clear();
    for (const [ip, sv] of currentServing) serving.set(ip, sv);
    for (const [ip, r] of current) {
      if ((ready.get(ip) ?? false) !== r) transitions.push({ ip, ready: r, at: now });
    }
    for (const [ip, r] of ready) if (r && !current.has(ip)) transitions.push({ ip, ready: false, at: now });
    ready.clear();
    for (const [ip, r] of current) ready.set(ip, r);
  };
  inf.on({ add: recompute, update: recompute, delete: recompute });
  inf.start();
  return {
    synced: inf.synced,
    transitions,
    stoppedServing,
    readyIPs: () =>
      [...ready]
        .filter(([, r]) => r)
        .map(([ip]) => ip)
        .sort(),
    stop: () => inf.stop(),
  };
}

/**
 * The Deployment "web" behind a Service, the watch on its EndpointSlices, a binding to `listenerId`, and the
 * operator started on it.
 */
export async function webBinding(
  b: Bench,
  target: BenchTarget,
  replicas: number,
  template: { startDelayMs: number; strategy?: V1DeploymentStrategy },
): Promise<{ w: SliceWatcher; op: OperatorProcess }> {
  await b.core.createNamespace({ body: { metadata: { name: NS } } });
  await b.core.createNamespacedService({ namespace: NS, body: service("web") });
  await b.apps.createNamespacedDeployment({
    namespace: NS,
    body: deployment("web", replicas, {
      annotations: { [`${SIM}/start-delay-ms`]: String(template.startDelayMs) },
      terminationGracePeriodSeconds: 2,
      ...(template.strategy ? { strategy: template.strategy } : {}),
    }),
  });
  const w = sliceWatcher(b);
  await w.synced;
  const rule = target.ruleId ? { rule: { ruleId: target.ruleId } } : {};
  await b.bindings.create("web", { listenerId: target.listenerId, ...rule });
  return { w, op: b.operator([]).start() };
}

/** The set GAAP holds on the target, and its status (ListenerStatus or RuleStatus). */
export async function gaapIPs(b: Bench, target: BenchTarget): Promise<{ status: number; ips: string[] }> {
  const ips = (set: Array<{ RealServerIP?: string }> | undefined) =>
    (set ?? []).map((r) => r.RealServerIP as string).sort();
  if (target.ruleId) {
    const r = (await b.gaap.DescribeRulesByRuleIds({ RuleIds: [target.ruleId] })).RuleSet?.[0];
    return { status: r?.RuleStatus ?? -1, ips: ips(r?.RealServerSet) };
  }
  const l = (await b.gaap.DescribeTCPListeners({ ListenerId: target.listenerId })).ListenerSet?.[0];
  return { status: l?.ListenerStatus ?? -1, ips: ips(l?.RealServerSet) };
}

export const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The first bind after `afterSeq` whose set reflects a change of `ip` to `ready`. */
export function reflectingBind(
  calls: CallRecord[],
  afterSeq: number,
  ip: string,
  ready: boolean,
): CallRecord | undefined {
  return calls.find(
    (c) =>
      c.seq > afterSeq &&
      (c.action === "BindListenerRealServers" || c.action === "BindRuleRealServers") &&
      c.code === "Success" &&
      (c.bindSet ?? []).some((x) => x.startsWith(`${ip}:`)) === ready,
  );
}
