// Cold start at scale (BENCH_BINDINGS bindings of BENCH_ENDPOINTS endpoints each, default 1,000 x 20, created at once), then steady state for
// BENCH_STEADY_MS, then a restart with everything converged; at the emulator's limit or at the default budget.
import { setTimeout as sleep } from "node:timers/promises";
import { normalizeState } from "../emulator/account/state.ts";
import type { CallRecord } from "../emulator/call-log.ts";
import type { GaapListenerBinding } from "../src/api/types.ts";
import { FLAGS } from "../src/config.ts";
import { WRITE_ACTIONS } from "../src/gaap/actions.ts";
import { forEachLimit } from "../src/runtime/pool.ts";
import { DEMO_CREDENTIAL } from "../testenv/gaap.ts";
import type { OperatorProcess } from "../testenv/operator.ts";
import {
  type Bench,
  bench,
  heapSnapshot,
  log,
  NS,
  processStats,
  round,
  T_MS,
  table,
  until,
  writeResult,
} from "./lib.ts";

const PER_BINDING = Number(process.env.BENCH_ENDPOINTS ?? 20);
const listenerId = (i: number) => `listener-cs${String(i).padStart(5, "0")}`;
const proxyId = (p: number) => `link-cs${String(p).padStart(5, "0")}`;
const indices = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function coldstart(budget: "limit" | "default"): Promise<void> {
  const bindings = Number(process.env.BENCH_BINDINGS ?? 1000);
  // Ten minutes of steady state at the emulator's limit; one minute beside it at the default budget.
  const steadyMs = Math.min(
    Number(process.env.BENCH_STEADY_MS ?? 600_000),
    budget === "limit" ? Number.POSITIVE_INFINITY : 60_000,
  );
  const proxies = Math.ceil(bindings / 50);
  const state = normalizeState({
    credentials: [DEMO_CREDENTIAL],
    proxies: indices(proxies).map((p) => ({ proxyId: proxyId(p) })),
    listeners: indices(bindings).map((i) => ({
      listenerId: listenerId(i),
      proxyId: proxyId(Math.floor(i / 50)),
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
    log(`${scenario}: creating ${bindings} Services and EndpointSlices`);
    await seedServices(b, bindings);
    const args =
      budget === "limit"
        ? ["--gaap-write-qps", "20", "--gaap-read-qps", "20", "--workers", "32"]
        : ["--workers", "32"];
    const op = b.operator(args).start();
    await cachesSynced(op, "operator ready", 60_000, 100);
    log(`${scenario}: creating ${bindings} GaapListenerBindings at once`);
    const seq0 = b.emu.calls.lastSeq;
    const started = Date.now();
    await forEachLimit(indices(bindings), 32, async (i) => {
      await b.bindings.create(`b${i}`, {
        listenerId: listenerId(i),
        serviceRef: { name: `svc${i}`, port: 80 },
      });
    });
    await untilBindings(b, "all bindings Ready", 1_800_000, bindings, (x) =>
      Boolean(x.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
    );
    const readyS = (Date.now() - started) / 1000;
    const coldStats = processStats(op.pid);
    await heapSnapshot(op.pid, `${scenario}-ready`);
    const limits = state.behavior.rateLimits;
    const limit = (a: string) => limits[a] ?? limits.default ?? 20;
    const unavoidable: Record<string, number> = {
      BindListenerRealServers: bindings,
      AddRealServers: Math.ceil((bindings * PER_BINDING) / state.behavior.maxAddRealServersBatch),
      DescribeRealServers: bindings * PER_BINDING,
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
    const steadyWrites = [...WRITE_ACTIONS].reduce((n, a) => n + (steady[a] ?? 0), 0);
    const steadyDescribes = (steady.DescribeTCPListeners ?? 0) + (steady.DescribeUDPListeners ?? 0);

    // Restart with everything converged.
    await op.stop();
    const seq2 = b.emu.calls.lastSeq;
    const restartAt = Date.now();
    const op2 = b.operator(args).start();
    await cachesSynced(op2, "restart: caches synced", 120_000, 50);
    const restartReadyS = (Date.now() - restartAt) / 1000;
    // Every binding re-verified against GAAP by the new process: its status shows a sync after the restart.
    await untilBindings(
      b,
      "restart: every binding re-verified",
      600_000,
      bindings,
      (x) => Date.parse(x.status?.lastSyncTime ?? "") >= Math.floor(restartAt / 1000) * 1000,
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
      endpointsPerBinding: PER_BINDING,
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
      `\nCold start: ${bindings} bindings x ${PER_BINDING} endpoints, budget ${result.budget}\n${table([
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

/**
 * Selector-less Services svc0.. with EndpointSlices written directly: 20,000 simulated pods would measure the
 * test cluster, not the operator.
 */
async function seedServices(b: Bench, bindings: number): Promise<void> {
  await forEachLimit(indices(bindings), 16, async (i) => {
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
        endpoints: indices(PER_BINDING).map((k) => {
          const n = i * PER_BINDING + k;
          return {
            addresses: [`198.18.${Math.floor(n / 250)}.${(n % 250) + 2}`],
            conditions: { ready: true },
          };
        }),
      },
    });
  });
}

/** Until the operator logs that its caches are synced and its workers start. */
async function cachesSynced(op: OperatorProcess, what: string, timeoutMs: number, intervalMs: number) {
  await until(
    what,
    timeoutMs,
    async () => (op.logs().some((l) => l.msg === "caches synced; starting workers") ? true : undefined),
    intervalMs,
  );
}

/** Until `count` bindings in NS pass `ok`, polling once a second. */
async function untilBindings(
  b: Bench,
  what: string,
  timeoutMs: number,
  count: number,
  ok: (x: GaapListenerBinding) => boolean,
) {
  await until(
    what,
    timeoutMs,
    async () => ((await b.bindings.list()).filter(ok).length >= count ? true : undefined),
    1000,
  );
}

function countCalls(
  calls: CallRecord[],
  key: (c: CallRecord) => string = (c) => c.action,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[key(c)] = (out[key(c)] ?? 0) + 1;
  return out;
}

/** The operator's requests/s for one GAAP action under these flags (its defaults where not given). */
function budgetRate(args: string[], action: string): number {
  const flag =
    action === "DescribeRealServers"
      ? "gaap-describe-realservers-qps"
      : WRITE_ACTIONS.has(action)
        ? "gaap-write-qps"
        : "gaap-read-qps";
  const i = args.indexOf(`--${flag}`);
  return Number(i >= 0 ? args[i + 1] : FLAGS[flag]?.default);
}
