// Benchmark plumbing: a control plane from the harness, the emulator in this process, the operator as a real
// process; clocks, percentiles, process stats, and result files.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Client as GaapSdk } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import { parse } from "yaml";
import type { EmulatorState } from "../emulator/account/model.ts";
import { type GaapEmulator, startEmulator } from "../emulator/server.ts";
import { Bindings } from "../testenv/bindings.ts";
import { ControlPlane } from "../testenv/cluster/control-plane.ts";
import { KubeletSimulator } from "../testenv/cluster/kubelet.ts";
import { gaapClient } from "../testenv/gaap.ts";
import { OperatorProcess } from "../testenv/operator.ts";

export const T_MS = 2000;
/** The namespace every scenario's objects live in. */
export const NS = "bench";

export interface Bench {
  cp: ControlPlane;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  discovery: DiscoveryV1Api;
  /** GaapListenerBindings in NS. */
  bindings: Bindings;
  emu: GaapEmulator;
  gaap: GaapSdk;
  kubelet: KubeletSimulator;
  operator(args: string[]): OperatorProcess;
  close(): Promise<void>;
}

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export async function bench(
  state: EmulatorState,
  opts: { startDelayMs?: number; maxGraceMs?: number; onSigterm?: (podKey: string, at: number) => void } = {},
): Promise<Bench> {
  const cp = await ControlPlane.start({ log });
  const kc = cp.kubeConfig();
  const kubelet = new KubeletSimulator(kc, {
    nodes: [1, 2, 3, 4].map((i) => ({ name: `bench-node-${i}` })),
    startDelayMs: opts.startDelayMs ?? 200,
    maxGraceMs: opts.maxGraceMs ?? 2000,
    ...(opts.onSigterm ? { onSigterm: opts.onSigterm } : {}),
  });
  await kubelet.start();
  const kubectl = promisify(execFile);
  await kubectl(cp.info.kubectl, ["--kubeconfig", cp.info.kubeconfigPath, "apply", "-f", "crds/"]);
  await kubectl(cp.info.kubectl, [
    "--kubeconfig",
    cp.info.kubeconfigPath,
    "wait",
    "--for=condition=Established",
    "crd/gaaplistenerbindings.gaap.operator.dev",
  ]);
  const emu = await startEmulator({ state });
  const ops: OperatorProcess[] = [];
  return {
    cp,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    bindings: new Bindings(kc, NS),
    emu,
    gaap: gaapClient(emu.url),
    kubelet,
    operator: (args) => {
      const op = new OperatorProcess({
        cluster: cp.info,
        gaapUrl: emu.url,
        // Listeners open to the namespace unless a scenario says otherwise (the soak runs under a grant).
        args: ["--listener-grants", "open", ...args, "--log-level", "info"],
        name: `operator${ops.length}`,
        // BENCH_HEAP_DIR=<dir>: the operator writes a heap snapshot there on SIGUSR2 (heapSnapshot below).
        // BENCH_NODE_OPTIONS, BENCH_MALLOC_ARENA_MAX: instead of the shipped values (0: glibc's default arenas).
        env: operatorEnv(),
      });
      ops.push(op);
      return op;
    },
    close: async () => {
      if (process.env.BENCH_DEBUG) {
        writeFileSync("/tmp/bench-operator.log", ops.map((o) => o.output()).join("\n"));
        writeFileSync("/tmp/bench-calls.json", JSON.stringify(emu.calls.list(), null, 1));
      }
      for (const op of ops) await op.close();
      kubelet.stop();
      await emu.close();
      await cp.stop();
    },
  };
}

/** The literal environment deploy/deployment.yaml gives the operator: V8's flags and glibc's malloc arenas. */
function shippedEnv(): Record<string, string> {
  const d = parse(readFileSync("deploy/deployment.yaml", "utf8"));
  const env: { name: string; value?: string }[] = d.spec.template.spec.containers[0].env ?? [];
  return Object.fromEntries(env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

/** The shipped environment, each variable replaced by BENCH_<name> when that is set (to compare against it). */
function operatorEnv(): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(shippedEnv()).map(([name, value]) => [name, process.env[`BENCH_${name}`] ?? value]),
  );
  const heap = process.env.BENCH_HEAP_DIR;
  if (heap)
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${heap}`]
      .filter(Boolean)
      .join(" ");
  return env;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export { processStats } from "../testenv/proc.ts";

export function writeResult(scenario: string, result: object): void {
  const dir = join("bench", "results");
  mkdirSync(dir, { recursive: true });
  // The environment the operator ran with, so a result says what it measured.
  const recorded = { operatorEnv: operatorEnv(), ...result };
  writeFileSync(join(dir, `${scenario}.json`), `${JSON.stringify(recorded, null, 2)}\n`);
}

export function table(rows: Array<[string, string | number]>): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${typeof v === "number" ? round(v) : v}`).join("\n");
}

export const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

/**
 * With BENCH_HEAP_DIR set, asks the operator for a heap snapshot (`<label>-<pid>.heapsnapshot` there) and waits until
 * it is written; the size of each kind of object in it is what `node bench/heap.ts <file>` lists.
 */
export async function heapSnapshot(pid: number, label: string): Promise<void> {
  const dir = process.env.BENCH_HEAP_DIR;
  if (!dir) return;
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  const file = await until(`heap snapshot (${label})`, 300_000, async () => {
    const fresh = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
    if (!fresh) return undefined;
    // Written in one go at the end: wait for its size to settle.
    const size = statSync(join(dir, fresh)).size;
    await sleep(2000);
    return statSync(join(dir, fresh)).size === size && size > 0 ? fresh : undefined;
  });
  renameSync(join(dir, file), join(dir, `${label}-${pid}.heapsnapshot`));
  log(`heap snapshot (${label}) in ${dir}`);
}
