// npm run bench [-- reaction rolling coldstart coldstart-limit coldstart-default]   (all by default)
// Each scenario prints a table, writes bench/results/<scenario>.json, and reports every figure as a ratio to the
// floor GAAP itself imposes, measured in the same run. BENCHMARKS.md holds the latest figures.
import {
  PatchStrategy,
  setHeaderOptions,
  type V1DeploymentStrategy,
  type V1EndpointSlice,
  type V1Pod,
} from "@kubernetes/client-node";
import { FLAGS } from "../src/config.ts";
import type { CallRecord } from "../src/emulator/call-log.ts";
import { normalizeState } from "../src/emulator/state.ts";
import { Informer } from "../src/kube/informer.ts";
import { SIM } from "../test/harness/kubelet.ts";
import { DEMO_CREDENTIAL } from "../test/support/gaap.ts";
import { deployment, service } from "../test/support/workload.ts";
import {
  bench,
  log,
  NS,
  percentile,
  processStats,
  round,
  sleep,
  T_MS,
  table,
  until,
  writeResult,
} from "./lib.ts";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

function oneListener(listenerId = "listener-bench0001") {
  return normalizeState({
    credentials: [DEMO_CREDENTIAL],
    proxies: [{ proxyId: "link-bench0001" }],
    listeners: [{ listenerId, proxyId: "link-bench0001", protocol: "TCP", port: 80, scheduler: "wrr" }],
    behavior: { bindTaskMs: T_MS },
  });
}

/** Watches the namespace's EndpointSlices and records when each address became ready or stopped being ready. */
function sliceWatcher(b: Awaited<ReturnType<typeof bench>>) {
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

async function gaapIPs(
  b: Awaited<ReturnType<typeof bench>>,
  listenerId: string,
): Promise<{ status: number; ips: string[] }> {
  const l = (await b.gaap.DescribeTCPListeners({ ListenerId: listenerId })).ListenerSet?.[0];
  return {
    status: l?.ListenerStatus ?? -1,
    ips: (l?.RealServerSet ?? []).map((r) => r.RealServerIP as string).sort(),
  };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

async function webWorkload(
  b: Awaited<ReturnType<typeof bench>>,
  replicas: number,
  template: { startDelayMs: number; strategy?: V1DeploymentStrategy },
) {
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
}

/** The first bind after `afterSeq` whose set reflects a change of `ip` to `ready`. */
function reflectingBind(
  calls: CallRecord[],
  afterSeq: number,
  ip: string,
  ready: boolean,
): CallRecord | undefined {
  return calls.find(
    (c) =>
      c.seq > afterSeq &&
      c.action === "BindListenerRealServers" &&
      c.code === "Success" &&
      (c.bindSet ?? []).some((x) => x.startsWith(`${ip}:`)) === ready,
  );
}

// ---- 1. Reaction ----------------------------------------------------------------------------------------------

async function reaction(): Promise<void> {
  const changes = Number(process.env.BENCH_CHANGES ?? 200);
  const L = "listener-bench0001";
  const b = await bench(oneListener(L));
  try {
    await webWorkload(b, 6, { startDelayMs: 2500 });
    const w = sliceWatcher(b);
    await w.synced;
    await b.bindings.create("web", { listenerId: L });
    const op = b.operator([]).start();
    const settled = async () =>
      until("settled", 120_000, async () => {
        const g = await gaapIPs(b, L);
        const want = w.readyIPs();
        return g.status === 0 && want.length > 0 && sameSet(g.ips, want) ? true : undefined;
      });
    await settled();
    const samples: Array<{ kind: string; latencyMs: number; floorMs: number; overheadMs: number }> = [];
    const measure = async (
      kind: string,
      afterSeq: number,
      since: number,
      pick: (t: { ip: string; ready: boolean }) => boolean,
    ) => {
      const t = await until(`${kind} transition`, 60_000, async () =>
        w.transitions.find((x) => x.at >= since && pick(x) && !(x as { used?: boolean }).used),
      );
      (t as { used?: boolean }).used = true;
      const bind = await until(`${kind} reflected`, 60_000, async () =>
        reflectingBind(b.emu.calls.list({ since: afterSeq }), afterSeq, t.ip, t.ready),
      );
      const reflectedAt = Date.parse(bind.time) + T_MS;
      const floorMs = bind.latencyMs + T_MS;
      const latencyMs = reflectedAt - t.at;
      samples.push({ kind, latencyMs, floorMs, overheadMs: latencyMs - floorMs });
    };
    const replicasOf = async () =>
      (await b.apps.readNamespacedDeployment({ name: "web", namespace: NS })).spec?.replicas ?? 0;
    while (samples.length < changes) {
      const step = samples.length % 4;
      const seq = b.emu.calls.lastSeq;
      const at = Date.now();
      const before = new Set(w.readyIPs());
      if (step === 0) {
        await b.apps.patchNamespacedDeployment(
          { name: "web", namespace: NS, body: { spec: { replicas: (await replicasOf()) + 1 } } },
          mergePatch,
        );
        await measure("scale up (pod ready)", seq, at, (x) => x.ready && !before.has(x.ip));
      } else if (step === 1) {
        const pods = await b.core.listNamespacedPod({ namespace: NS, labelSelector: "app=web" });
        const victim = pods.items.find(
          (p: V1Pod) => !p.metadata?.deletionTimestamp && before.has(p.status?.podIP ?? ""),
        ) as V1Pod;
        await b.core.deleteNamespacedPod({ name: victim.metadata?.name as string, namespace: NS });
        await measure("pod deleted", seq, at, (x) => !x.ready && x.ip === victim.status?.podIP);
        // The ReplicaSet's replacement becomes ready later: a "pod ready" change of its own.
        await settled();
        const seq2 = b.emu.calls.lastSeq;
        await measure("pod ready (replacement)", seq2 - 1, at, (x) => x.ready && !before.has(x.ip));
      } else if (step === 3) {
        await b.apps.patchNamespacedDeployment(
          { name: "web", namespace: NS, body: { spec: { replicas: Math.max(4, (await replicasOf()) - 1) } } },
          mergePatch,
        );
        await measure("scale down (pod removed)", seq, at, (x) => !x.ready && before.has(x.ip));
      } else {
        continue;
      }
      await settled();
      log(
        `reaction: ${samples.length}/${changes} (${samples.at(-1)?.kind}: ${samples.at(-1)?.overheadMs} ms over the floor)`,
      );
    }
    const over = samples.map((s) => s.overheadMs);
    const lat = samples.map((s) => s.latencyMs);
    const floor = percentile(
      samples.map((s) => s.floorMs),
      50,
    );
    const result = {
      scenario: "reaction",
      changes: samples.length,
      taskMs: T_MS,
      latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: Math.max(...lat) },
      floorMs: { p50: floor },
      overheadMs: { p50: percentile(over, 50), p99: percentile(over, 99), max: Math.max(...over) },
      p99OverFloor: round(percentile(lat, 99) / floor),
      target: "p99 overhead over the floor < 300 ms",
      met: percentile(over, 99) < 300,
      byKind: Object.fromEntries(
        [...new Set(samples.map((s) => s.kind))].map((k) => {
          const o = samples.filter((s) => s.kind === k).map((s) => s.overheadMs);
          return [k, { n: o.length, p50: percentile(o, 50), p99: percentile(o, 99) }];
        }),
      ),
      operator: processStats(op.pid),
    };
    writeResult("reaction", result);
    console.log(
      `\nReaction (${samples.length} single changes, T = ${T_MS} ms)\n${table([
        ["latency p50 / p99 (ms)", `${result.latencyMs.p50} / ${result.latencyMs.p99}`],
        ["floor: bind RTT + T (ms)", floor],
        ["overhead over floor p50 / p99 (ms)", `${result.overheadMs.p50} / ${result.overheadMs.p99}`],
        ["p99 / floor", result.p99OverFloor],
        ["target met (p99 overhead < 300 ms)", String(result.met)],
      ])}`,
    );
    w.stop();
  } finally {
    await b.close();
  }
}

// ---- 2. Rolling update ------------------------------------------------------------------------------------------

async function rolling(): Promise<void> {
  const L = "listener-bench0001";
  const replicas = Number(process.env.BENCH_ROLL_REPLICAS ?? 100);
  const b = await bench(oneListener(L));
  try {
    // 100 origins is the listener's limit, so the rollout may not surge: 10 at a time go away, then come back.
    await webWorkload(b, replicas, {
      startDelayMs: 5000,
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: 0, maxUnavailable: Math.max(1, Math.round(replicas / 10)) },
      },
    });
    const w = sliceWatcher(b);
    await w.synced;
    await b.bindings.create("web", { listenerId: L });
    const op = b.operator([]).start();
    await until(
      "initial convergence",
      180_000,
      async () => {
        const g = await gaapIPs(b, L);
        return g.status === 0 && w.readyIPs().length === replicas && sameSet(g.ips, w.readyIPs())
          ? true
          : undefined;
      },
      200,
    );
    const oldIPs = new Set(w.readyIPs());
    const seq = b.emu.calls.lastSeq;
    const started = Date.now();
    await b.apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: NS,
        body: { spec: { template: { metadata: { annotations: { "bench/rollout": String(started) } } } } },
      },
      mergePatch,
    );
    await until(
      "rollout converged",
      300_000,
      async () => {
        const d = await b.apps.readNamespacedDeployment({ name: "web", namespace: NS });
        const done =
          d.status?.observedGeneration === d.metadata?.generation &&
          d.status?.updatedReplicas === replicas &&
          d.status?.readyReplicas === replicas &&
          d.status?.replicas === replicas;
        if (!done) return undefined;
        const ready = w.readyIPs();
        if (ready.some((ip) => oldIPs.has(ip)) || ready.length !== replicas) return undefined;
        const g = await gaapIPs(b, L);
        return g.status === 0 && sameSet(g.ips, ready) ? true : undefined;
      },
      200,
    );
    const ended = Date.now();
    const durationS = (ended - started) / 1000;
    const calls = b.emu.calls.list({ since: seq });
    const binds = calls.filter((c) => c.action === "BindListenerRealServers");
    const usefulMax = durationS / (T_MS / 1000) + 2;
    let worstStaleMs = Number.NEGATIVE_INFINITY;
    let worstSinceNotReadyMs = 0;
    for (const ip of oldIPs) {
      const unbound = reflectingBind(calls, seq, ip, false);
      if (!unbound) continue;
      const gone = Date.parse(unbound.time) + T_MS;
      const stopped = w.stoppedServing.get(ip);
      if (stopped !== undefined && stopped >= started) worstStaleMs = Math.max(worstStaleMs, gone - stopped);
      const notReady = w.transitions.find((t) => t.ip === ip && !t.ready && t.at >= started);
      if (notReady) worstSinceNotReadyMs = Math.max(worstSinceNotReadyMs, gone - notReady.at);
    }
    const result = {
      scenario: "rolling",
      replicas,
      taskMs: T_MS,
      durationS: round(durationS),
      bindsSent: binds.length,
      usefulMaxBinds: round(usefulMax),
      bindsOverUsefulMax: round(binds.length / usefulMax),
      finalSetExact: true,
      worstStaleMs,
      staleMeasuredFrom:
        "the endpoint's serving condition turning false (the pod drains for its 2 s grace period)",
      worstSinceNotReadyMs,
      staleOverTarget: round(worstStaleMs / (T_MS + 1000)),
      targets: { binds: "<= useful max", staleMs: `<= T + 1 s = ${T_MS + 1000}` },
      met: binds.length <= usefulMax && worstStaleMs <= T_MS + 1000,
      operator: processStats(op.pid),
    };
    writeResult("rolling", result);
    console.log(
      `\nRolling update (${replicas} pods, T = ${T_MS} ms)\n${table([
        ["rollout duration (s)", result.durationS],
        [
          "binds sent / useful max (duration/T + 2)",
          `${binds.length} / ${result.usefulMaxBinds} = ${result.bindsOverUsefulMax}`,
        ],
        ["final set exact", "yes"],
        [
          "worst stale time after stop serving (ms) / T+1s",
          `${worstStaleMs} / ${T_MS + 1000} = ${result.staleOverTarget}`,
        ],
        ["worst time bound after turning not-ready (ms)", worstSinceNotReadyMs],
        ["targets met", String(result.met)],
      ])}`,
    );
    w.stop();
  } finally {
    await b.close();
  }
}

// ---- 3 + 4. Cold start at scale, steady state, restart ---------------------------------------------------------

async function coldstart(budget: "limit" | "default"): Promise<void> {
  const bindings = Number(process.env.BENCH_BINDINGS ?? 1000);
  const perBinding = 20;
  // Ten minutes of steady state at the emulator's limit; one minute beside it at the default budget.
  const steadyMs = Math.min(
    Number(process.env.BENCH_STEADY_MS ?? 600_000),
    budget === "limit" ? Number.POSITIVE_INFINITY : 60_000,
  );
  const proxies = Math.ceil(bindings / 50);
  const listenerId = (i: number) => `listener-cs${String(i).padStart(5, "0")}`;
  const state = normalizeState({
    credentials: [DEMO_CREDENTIAL],
    proxies: Array.from({ length: proxies }, (_, p) => ({ proxyId: `link-cs${String(p).padStart(5, "0")}` })),
    listeners: Array.from({ length: bindings }, (_, i) => ({
      listenerId: listenerId(i),
      proxyId: `link-cs${String(Math.floor(i / 50)).padStart(5, "0")}`,
      protocol: "TCP",
      port: 1000 + (i % 50),
      scheduler: "wrr",
    })),
    behavior: { bindTaskMs: T_MS, callLogSize: 200_000 },
  });
  const b = await bench(state);
  const scenario = `coldstart-${budget}`;
  try {
    await b.core.createNamespace({ body: { metadata: { name: NS } } });
    // Selector-less Services with EndpointSlices written directly: 20,000 simulated pods would measure the test
    // cluster, not the operator.
    log(`${scenario}: creating ${bindings} Services and EndpointSlices`);
    await pool(bindings, 16, async (i) => {
      const name = `svc${i}`;
      await b.core.createNamespacedService({
        namespace: NS,
        body: { metadata: { name }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
      });
      await b.discovery.createNamespacedEndpointSlice({
        namespace: NS,
        body: {
          metadata: {
            name: `${name}-1`,
            labels: { "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": "bench" },
          },
          addressType: "IPv4",
          ports: [{ name: "http", port: 8080, protocol: "TCP" }],
          endpoints: Array.from({ length: perBinding }, (_, k) => {
            const n = i * perBinding + k;
            return {
              addresses: [`198.18.${Math.floor(n / 250)}.${(n % 250) + 2}`],
              conditions: { ready: true },
            };
          }),
        },
      });
    });
    const args =
      budget === "limit"
        ? ["--gaap-write-qps", "20", "--gaap-read-qps", "20", "--workers", "32"]
        : ["--workers", "32"];
    const op = b.operator(args).start();
    await until(
      "operator ready",
      60_000,
      async () => (op.logs().some((l) => l.msg === "caches synced; starting workers") ? true : undefined),
      100,
    );
    log(`${scenario}: creating ${bindings} GaapListenerBindings at once`);
    const seq0 = b.emu.calls.lastSeq;
    const started = Date.now();
    await pool(bindings, 32, async (i) => {
      await b.bindings.create(`b${i}`, {
        listenerId: listenerId(i),
        serviceRef: { name: `svc${i}`, port: 80 },
      });
    });
    let ready = 0;
    await until(
      "all bindings Ready",
      1_800_000,
      async () => {
        ready = (await b.bindings.list()).filter((x) =>
          x.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        ).length;
        return ready === bindings ? true : undefined;
      },
      1000,
    );
    const readyS = (Date.now() - started) / 1000;
    const coldStats = processStats(op.pid);
    const limits = state.behavior.rateLimits;
    const limit = (a: string) => limits[a] ?? limits.default ?? 20;
    const unavoidable: Record<string, number> = {
      BindListenerRealServers: bindings,
      AddRealServers: Math.ceil((bindings * perBinding) / state.behavior.maxAddRealServersBatch),
      DescribeRealServers: bindings * perBinding,
      DescribeTCPListeners: proxies,
    };
    const perAction = Object.fromEntries(
      Object.entries(unavoidable).map(([a, n]) => [a, round(n / limit(a))]),
    );
    const floorS = Math.max(...Object.values(perAction)) + T_MS / 1000;
    // The same floor at the operator's own budget, where that is below GAAP's limit (the default budget).
    const budgetFloorS =
      Math.max(...Object.entries(unavoidable).map(([a, n]) => n / Math.min(limit(a), budgetRate(args, a)))) +
      T_MS / 1000;
    const coldCalls = b.emu.calls.list({ since: seq0 });
    const counts = countCalls(coldCalls);
    // Calls GAAP refused (throttled, or a task still running) are in the counts above; name them.
    const refused = countCalls(
      coldCalls.filter((c) => c.code !== "Success"),
      (c) => `${c.action}: ${c.code}`,
    );
    log(`${scenario}: all Ready in ${readyS.toFixed(1)} s; steady state for ${steadyMs / 1000} s`);

    const seq1 = b.emu.calls.lastSeq;
    const cpu1 = processStats(op.pid).cpuSeconds;
    await sleep(steadyMs);
    const steady = countCalls(b.emu.calls.list({ since: seq1 }));
    const steadyStats = processStats(op.pid);
    const verifyBudget = Math.ceil((bindings * steadyMs) / 300_000 / 0.9) + bindings;
    const steadyWrites = ["BindListenerRealServers", "AddRealServers", "RemoveRealServers"].reduce(
      (n, a) => n + (steady[a] ?? 0),
      0,
    );
    const steadyDescribes = (steady.DescribeTCPListeners ?? 0) + (steady.DescribeUDPListeners ?? 0);

    // 4. Restart with everything converged.
    await op.stop();
    const seq2 = b.emu.calls.lastSeq;
    const restartAt = Date.now();
    const op2 = b.operator(args).start();
    await until(
      "restart: caches synced",
      120_000,
      async () => (op2.logs().some((l) => l.msg === "caches synced; starting workers") ? true : undefined),
      50,
    );
    const restartReadyS = (Date.now() - restartAt) / 1000;
    // Every binding re-verified against GAAP by the new process: its status shows a sync after the restart.
    await until(
      "restart: every binding re-verified",
      600_000,
      async () => {
        const fresh = (await b.bindings.list()).filter(
          (x) => Date.parse(x.status?.lastSyncTime ?? "") >= Math.floor(restartAt / 1000) * 1000,
        );
        return fresh.length >= bindings ? true : undefined;
      },
      1000,
    );
    const restartVerifiedS = (Date.now() - restartAt) / 1000;
    const restartBinds = b.emu.calls.list({ since: seq2, action: "BindListenerRealServers" }).length;

    const result = {
      scenario,
      budget:
        budget === "limit"
          ? "write and read 20/s per action (the emulator's limit)"
          : "default (10/s per action)",
      bindings,
      endpointsPerBinding: perBinding,
      taskMs: T_MS,
      allReadyS: round(readyS),
      floorS: round(floorS),
      floorPerAction: perAction,
      readyOverFloor: round(readyS / floorS),
      budgetFloorS: round(budgetFloorS),
      readyOverBudgetFloor: round(readyS / budgetFloorS),
      target:
        budget === "limit"
          ? "within 1.2x of the floor"
          : "reported beside the limit run; within 1.2x of the floor at this budget",
      met: readyS / (budget === "limit" ? floorS : budgetFloorS) <= 1.2,
      callsDuringColdStart: counts,
      refusedDuringColdStart: refused,
      operatorAtReady: coldStats,
      steadyState: {
        seconds: steadyMs / 1000,
        calls: steady,
        writeCalls: steadyWrites,
        describeCalls: steadyDescribes,
        describeBudget: verifyBudget,
        cpuSeconds: round(steadyStats.cpuSeconds - cpu1),
        rssMiB: round(steadyStats.rssMiB),
        peakRssMiB: round(steadyStats.peakRssMiB),
      },
      restart: {
        readyS: round(restartReadyS),
        allReverifiedS: round(restartVerifiedS),
        bindCalls: restartBinds,
        target: "0 binds",
      },
    };
    writeResult(scenario, result);
    writeResult(`restart-${budget}`, {
      scenario: `restart-${budget}`,
      bindings,
      budget: result.budget,
      ...result.restart,
    });
    console.log(
      `\nCold start: ${bindings} bindings x ${perBinding} endpoints, budget ${result.budget}\n${table([
        ["all Ready (s)", result.allReadyS],
        [
          "floor (s): max over actions of calls/limit, + T",
          `${result.floorS} (${JSON.stringify(perAction)})`,
        ],
        ["ready / floor (target <= 1.2 at the limit)", result.readyOverFloor],
        [
          "floor at this budget (s) / ready over it",
          `${result.budgetFloorS} / ${result.readyOverBudgetFloor}`,
        ],
        ["GAAP calls", JSON.stringify(counts)],
        ["of which refused", JSON.stringify(refused)],
        [
          "operator peak RSS (MiB) / CPU (s) at ready",
          `${round(coldStats.peakRssMiB)} / ${round(coldStats.cpuSeconds)}`,
        ],
        [
          `steady ${steadyMs / 1000} s: writes / describes (budget)`,
          `${steadyWrites} / ${steadyDescribes} (${verifyBudget})`,
        ],
        ["steady CPU (s) / RSS (MiB)", `${result.steadyState.cpuSeconds} / ${result.steadyState.rssMiB}`],
        [
          "restart: caches synced (s) / all re-read (s) / binds",
          `${result.restart.readyS} / ${result.restart.allReverifiedS} / ${restartBinds}`,
        ],
      ])}`,
    );
  } finally {
    await b.close();
  }
}

function countCalls(
  calls: CallRecord[],
  key: (c: CallRecord) => string = (c) => c.action,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[key(c)] = (out[key(c)] ?? 0) + 1;
  return out;
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** The operator's requests/s for one GAAP action under these flags (its defaults where not given). */
function budgetRate(args: string[], action: string): number {
  const flag =
    action === "DescribeRealServers"
      ? "gaap-describe-realservers-qps"
      : ["BindListenerRealServers", "AddRealServers", "RemoveRealServers"].includes(action)
        ? "gaap-write-qps"
        : "gaap-read-qps";
  const i = args.indexOf(`--${flag}`);
  return Number(i >= 0 ? args[i + 1] : FLAGS[flag]?.default);
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const all = wanted.length === 0;
const runs = (name: string) => all || wanted.includes(name);
if (runs("reaction")) await reaction();
if (runs("rolling")) await rolling();
if (runs("coldstart") || runs("coldstart-limit")) await coldstart("limit");
if (runs("coldstart") || runs("coldstart-default")) await coldstart("default");
process.exit(0);
