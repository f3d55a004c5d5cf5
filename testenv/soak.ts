// The soak (issue 24): bindings under continuous churn that keeps giving their endpoints new IPs (rollouts, scale up
// and down, endpoints failing and replaced), a few broken on purpose (Service deleted, listener deleted in GAAP, rule
// deleted), the operator restarted once, and everything sampled throughout: the operator's RSS, heap and per-key
// store sizes, GAAP's origins tagged with this cluster against those bound or wanted lately, and GAAP calls per
// minute. `npm run bench -- soak` runs it for half an hour or more; a test runs a short one. Endpoints are written as
// EndpointSlices directly (no pods): the churn is what the EndpointSlice controller would write, at any rate chosen.
import { setTimeout as sleep } from "node:timers/promises";
import type { CoreV1Api, DiscoveryV1Api, V1Endpoint } from "@kubernetes/client-node";
import type { Client as GaapSdk } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import type { EmulatorState } from "../emulator/account/model.ts";
import { normalizeState } from "../emulator/account/state.ts";
import type { GaapEmulator } from "../emulator/server.ts";
import type { GaapListenerBinding } from "../src/api/types.ts";
import { forEachLimit } from "../src/runtime/pool.ts";
import type { Bindings } from "./bindings.ts";
import { DEMO_CREDENTIAL } from "./gaap.ts";
import type { Grants } from "./grants.ts";
import type { OperatorProcess } from "./operator.ts";
import { processStats } from "./proc.ts";

export interface SoakOptions {
  /** TCP bindings, one listener each, and rule bindings, one rule each of one HTTP listener. */
  bindings: number;
  ruleBindings: number;
  /** Endpoints each Service starts with. */
  endpoints: number;
  durationMs: number;
  changesPerMinute: number;
  sampleMs: number;
  /** When the operator is restarted, as a fraction of the duration. */
  restartAt: number;
  /** How long the second process warms up before the warm span starts (default: a tenth of the run). */
  warmupMs?: number;
  broken: { serviceDeleted: number; listenerDeleted: number; ruleDeleted: number };
  /** How long a freed origin may stay registered: --gc-delay, one sweep period, and the time a sweep takes. */
  freedWithinMs: number;
  /** Bind task time in the emulator. */
  taskMs: number;
  /** Called after the warm-up that follows the restart, and at the end (heap snapshots). */
  mark?: (label: "start" | "end", pid: number) => Promise<void>;
}

export interface SoakWorld {
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  bindings: Bindings;
  emu: GaapEmulator;
  gaap: GaapSdk;
  ns: string;
  /** A new operator process, not started. */
  operator(): OperatorProcess;
  /** Given, the soak runs under a grant (the operator with --listener-grants=required): by proxy, decided per read. */
  grants?: Grants;
  log(line: string): void;
}

export interface SoakSample {
  /** Seconds since the churn began. */
  atS: number;
  /** Which operator process: 1 before the restart, 2 after. */
  process: number;
  rssMiB: number;
  /** RSS split as the kernel counts it: anonymous (heaps, malloc) and file-backed (the node binary's pages touched). */
  rssAnonMiB: number;
  rssFileMiB: number;
  heapUsedMiB: number;
  /** V8's committed heap, and memory outside it that JS objects hold (buffers): where RSS can grow beside the heap. */
  heapTotalMiB: number;
  externalMiB: number;
  /** V8's heap by space (old, code, new, large objects, ...): committed and in use, MiB. */
  heapSpacesMiB: Record<string, { total: number; used: number }>;
  stores: Record<string, number>;
  /** Origins tagged with this cluster; bound on any listener or rule; wanted by a Service's endpoints now. */
  tagged: number;
  bound: number;
  desired: number;
  /** Tagged origins neither wanted now nor bound or wanted within the last freedWithinMs, nor kept for a broken binding. */
  excess: string[];
  /** The ID cache against what it may hold (tagged, bound or wanted within the window). */
  originIdsAllowed: number;
  /** GAAP calls since the previous sample, per minute, by action. */
  callsPerMinute: Record<string, number>;
}

export interface SoakReport {
  options: Omit<SoakOptions, "mark">;
  restartAtS: number;
  /** From this sample on, the second process is warmed up. */
  warmFromS: number;
  samples: SoakSample[];
  liveBindings: number;
  /** Origins the broken bindings keep by design (a binding whose Service is gone keeps what it registered). */
  keptForBroken: number;
  changes: number;
  /** Endpoint IPs the churn made over the run: what the cluster would have held without a sweep. */
  ipsMade: number;
}

const CLUSTER = "default";
const CLUSTER_TAG = "gaap.operator.dev/cluster";
const listenerId = (i: number) => `listener-sk${String(i).padStart(5, "0")}`;
const proxyId = (p: number) => `link-sk${String(p).padStart(4, "0")}`;
const HTTP_LISTENER = "listener-skhttp0";
const ruleId = (i: number) => `rule-sk${String(i).padStart(5, "0")}`;

/** The GAAP account the soak runs against: a listener per TCP binding, one HTTP listener with a rule per rule one. */
export function soakState(o: Pick<SoakOptions, "bindings" | "ruleBindings" | "taskMs">): EmulatorState {
  const proxies = Math.ceil(o.bindings / 50) + 1;
  return normalizeState({
    credentials: [DEMO_CREDENTIAL],
    proxies: Array.from({ length: proxies }, (_, p) => ({ proxyId: proxyId(p) })),
    listeners: [
      ...Array.from({ length: o.bindings }, (_, i) => ({
        listenerId: listenerId(i),
        proxyId: proxyId(Math.floor(i / 50)),
        protocol: "TCP",
        port: 1000 + (i % 50),
        scheduler: "wrr",
      })),
      { listenerId: HTTP_LISTENER, proxyId: proxyId(proxies - 1), protocol: "HTTP", port: 8000 },
    ],
    domains: [{ listenerId: HTTP_LISTENER, domain: "soak.example.com" }],
    rules: Array.from({ length: o.ruleBindings }, (_, i) => ({
      ruleId: ruleId(i),
      listenerId: HTTP_LISTENER,
      domain: "soak.example.com",
      path: `/r${i}`,
      scheduler: "wrr",
    })),
    behavior: { bindTaskMs: o.taskMs, callLogSize: 500_000 },
  });
}

/** A deterministic random source (mulberry32), so two runs churn alike. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runSoak(w: SoakWorld, o: SoakOptions): Promise<SoakReport> {
  const grant = `soak-${w.ns}`;
  const proxies = [...new Set(w.emu.snapshot().listeners.map((l) => l.proxyId))];
  await w.grants?.create(grant, { namespaces: [w.ns], targets: proxies.map((proxyId) => ({ proxyId })) });
  try {
    return await soak(w, o);
  } finally {
    await w.grants?.delete(grant);
  }
}

async function soak(w: SoakWorld, o: SoakOptions): Promise<SoakReport> {
  const rand = random(24);
  let nextIp = 0;
  // Fake, never contacted: 198.18.0.0/15 is for benchmarks (RFC 2544).
  const freshIp = () => {
    const n = nextIp++;
    return `198.${18 + (Math.floor(n / 65_024) % 2)}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  };
  /** Each Service's endpoints, as last written. */
  const endpoints = new Map<string, string[]>();
  const names: Array<{ svc: string; target: { listenerId: string; rule?: { ruleId: string } } }> = [
    ...Array.from({ length: o.bindings }, (_, i) => ({
      svc: `svc${i}`,
      target: { listenerId: listenerId(i) },
    })),
    ...Array.from({ length: o.ruleBindings }, (_, i) => ({
      svc: `rsvc${i}`,
      target: { listenerId: HTTP_LISTENER, rule: { ruleId: ruleId(i) } },
    })),
  ];
  /** When each IP stopped being an endpoint: GAAP may hold it for freedWithinMs more. */
  const leftAt = new Map<string, number>();
  const writeSlice = async (svc: string, ips: string[], create = false) => {
    const kept = new Set(ips);
    for (const ip of endpoints.get(svc) ?? []) if (!kept.has(ip)) leftAt.set(ip, Date.now());
    endpoints.set(svc, ips);
    const body = {
      metadata: {
        name: `${svc}-1`,
        labels: { "kubernetes.io/service-name": svc, "endpointslice.kubernetes.io/managed-by": "soak" },
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: ips.map((ip): V1Endpoint => ({ addresses: [ip], conditions: { ready: true } })),
    };
    if (create) await w.discovery.createNamespacedEndpointSlice({ namespace: w.ns, body });
    else await w.discovery.replaceNamespacedEndpointSlice({ namespace: w.ns, name: `${svc}-1`, body });
  };

  w.log(`soak: ${names.length} Services and bindings`);
  await forEachLimit(names, 16, async ({ svc, target }, i) => {
    await w.core.createNamespacedService({
      namespace: w.ns,
      body: { metadata: { name: svc }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
    });
    await writeSlice(svc, Array.from({ length: o.endpoints }, freshIp), true);
    await w.bindings.create(`b${i}`, { ...target, serviceRef: { name: svc, port: 80 } });
  });
  let op = w.operator().start();
  await untilReady(w, names.length, 1_800_000);

  // Broken on purpose: their Service gone, their listener gone, their rule gone.
  const serviceDeleted = names.slice(0, o.broken.serviceDeleted).map((n) => n.svc);
  const listenerDeleted = names.slice(
    o.broken.serviceDeleted,
    o.broken.serviceDeleted + o.broken.listenerDeleted,
  );
  const ruleDeleted = names.filter((n) => n.target.rule).slice(0, o.broken.ruleDeleted);
  const keptForBroken = new Set(serviceDeleted.flatMap((svc) => endpoints.get(svc) ?? []));
  for (const svc of serviceDeleted) {
    await w.core.deleteNamespacedService({ namespace: w.ns, name: svc });
    await w.discovery.deleteNamespacedEndpointSlice({ namespace: w.ns, name: `${svc}-1` });
    endpoints.delete(svc);
  }
  for (const n of listenerDeleted)
    await w.gaap.DeleteListeners({ ListenerIds: [n.target.listenerId], Force: 1 });
  for (const n of ruleDeleted)
    await w.gaap.DeleteRule({ ListenerId: HTTP_LISTENER, RuleId: n.target.rule?.ruleId ?? "", Force: 1 });
  const churned = names.map((n) => n.svc).filter((svc) => endpoints.has(svc));

  const samples: SoakSample[] = [];
  /** What was bound at each sample, for the window a freed origin may stay within. */
  const history: Array<{ at: number; ips: Set<string> }> = [];
  const started = Date.now();
  let seq = w.emu.calls.lastSeq;
  let lastSampleAt = started;
  let processNo = 1;
  let restartAtS = 0;
  let warmFromS = 0;
  let changes = 0;
  let nextSample = started;
  let restarted = false;
  const gap = 60_000 / o.changesPerMinute;

  const sample = async () => {
    const now = Date.now();
    const snap = w.emu.snapshot();
    const ipOf = new Map(snap.realServers.map((r) => [r.realServerId, r.ip]));
    const tagged = snap.realServers.filter((r) =>
      r.tags.some((t) => t.key === CLUSTER_TAG && t.value === CLUSTER),
    );
    const bound = new Set(snap.bindings.map((b) => ipOf.get(b.realServerId) ?? ""));
    const desired = new Set([...endpoints.values()].flat());
    history.push({ at: now, ips: bound });
    while ((history[0]?.at ?? now) < now - o.freedWithinMs) history.shift();
    for (const [ip, at] of leftAt) if (at < now - o.freedWithinMs) leftAt.delete(ip);
    // Wanted now, wanted until lately (between two samples too), bound lately, or kept for a broken binding.
    const allowed = new Set([
      ...keptForBroken,
      ...desired,
      ...leftAt.keys(),
      ...history.flatMap((h) => [...h.ips]),
    ]);
    const excess = tagged.map((r) => r.ip).filter((ip) => !allowed.has(ip));
    const m = await scrape(op);
    const stats = processStats(op.pid);
    const calls = w.emu.calls.list({ since: seq });
    seq = w.emu.calls.lastSeq;
    const minutes = (now - lastSampleAt) / 60_000;
    lastSampleAt = now;
    const perMinute: Record<string, number> = {};
    for (const c of calls) perMinute[c.action] = (perMinute[c.action] ?? 0) + 1;
    for (const a of Object.keys(perMinute)) perMinute[a] = Math.round((perMinute[a] as number) / minutes);
    samples.push({
      atS: Math.round((now - started) / 1000),
      process: processNo,
      rssMiB: m.rssMiB,
      rssAnonMiB: stats.rssAnonMiB,
      rssFileMiB: stats.rssFileMiB,
      heapUsedMiB: m.heapUsedMiB,
      heapTotalMiB: m.heapTotalMiB,
      externalMiB: m.externalMiB,
      heapSpacesMiB: m.heapSpacesMiB,
      stores: m.stores,
      tagged: tagged.length,
      bound: bound.size,
      desired: desired.size,
      excess,
      originIdsAllowed: new Set([...allowed, ...tagged.map((r) => r.ip)]).size,
      callsPerMinute: perMinute,
    });
  };

  w.log(
    `soak: churning ${churned.length} Services for ${o.durationMs / 1000} s, ${o.changesPerMinute} changes/min`,
  );
  while (Date.now() - started < o.durationMs) {
    const now = Date.now();
    if (now >= nextSample) {
      await sample();
      nextSample += o.sampleMs;
    }
    if (!restarted && now - started >= o.restartAt * o.durationMs) {
      restarted = true;
      restartAtS = Math.round((now - started) / 1000);
      w.log(`soak: restarting the operator at ${restartAtS} s`);
      await op.stop();
      op = w.operator().start();
      processNo = 2;
      await untilSynced(op);
      // Warm: every binding re-verified by the new process, then the warm-up (a tenth of the run unless set).
      const warmupMs = o.warmupMs ?? o.durationMs / 10;
      warmFromS = Math.round((Date.now() - started + warmupMs) / 1000);
      setTimeout(() => void o.mark?.("start", op.pid), warmupMs).unref();
    }
    const svc = churned[Math.floor(rand() * churned.length)] as string;
    const ips = endpoints.get(svc) as string[];
    const kind = rand();
    let next: string[];
    if (kind < 0.25)
      next = ips.map(freshIp); // a rollout: every pod replaced
    else if (kind < 0.5 && ips.length < o.endpoints * 2)
      next = [...ips, freshIp()]; // scale up
    else if (kind < 0.75 && ips.length > 1)
      next = ips.slice(1); // scale down
    else next = ips.map((ip, k) => (k === 0 ? freshIp() : ip)); // a pod failed and was replaced
    await writeSlice(svc, next).catch((err) => w.log(`soak: slice ${svc} not written: ${String(err)}`));
    changes++;
    await sleep(Math.max(0, gap - (Date.now() - now)));
  }
  await sample();
  await o.mark?.("end", op.pid);
  const { mark: _mark, ...options } = o;
  return {
    options,
    restartAtS,
    warmFromS,
    samples,
    liveBindings: names.length,
    keptForBroken: keptForBroken.size,
    changes,
    ipsMade: nextIp,
  };
}

/** RSS, heap and store sizes from the operator's own /metrics. */
async function scrape(
  op: OperatorProcess,
): Promise<
  Pick<SoakSample, "rssMiB" | "heapUsedMiB" | "heapTotalMiB" | "externalMiB" | "heapSpacesMiB" | "stores">
> {
  const text = await (await fetch(`${op.urls()[0]}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  const stores: Record<string, number> = {};
  for (const m of text.matchAll(/^gaap_operator_store_entries\{store="([^"]+)"\} (\S+)$/gm))
    stores[m[1] as string] = Number(m[2]);
  const heapSpacesMiB: SoakSample["heapSpacesMiB"] = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_(total|used)_bytes\{space="([^"]+)"\} (\S+)$/gm)) {
    const space = heapSpacesMiB[m[2] as string] ?? { total: 0, used: 0 };
    space[m[1] as "total" | "used"] = Number(m[3]) / 1048576;
    heapSpacesMiB[m[2] as string] = space;
  }
  return {
    rssMiB: value("process_resident_memory_bytes") / 1048576,
    heapUsedMiB: value("nodejs_heap_size_used_bytes") / 1048576,
    heapTotalMiB: value("nodejs_heap_size_total_bytes") / 1048576,
    externalMiB: value("nodejs_external_memory_bytes") / 1048576,
    heapSpacesMiB,
    stores,
  };
}

async function untilSynced(op: OperatorProcess): Promise<void> {
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(200))
    if (op.currentLogs().some((l) => l.msg === "caches synced; starting workers") && op.urls().length === 2)
      return;
  throw new Error("the operator did not sync its caches within 300 s");
}

async function untilReady(w: SoakWorld, count: number, timeoutMs: number): Promise<void> {
  const ready = (b: GaapListenerBinding) =>
    b.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(1000))
    if ((await w.bindings.list()).filter(ready).length >= count) return;
  throw new Error(`fewer than ${count} bindings Ready within ${timeoutMs / 1000} s`);
}

/** Least-squares slope of y over x, per unit of x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}
