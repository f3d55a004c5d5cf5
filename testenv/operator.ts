// The operator as a real process (node src/main.ts), pointed at the test cluster and an emulator, with its logs
// captured. Started under the harness's process group, so a crashed test run cannot leave it behind.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterInfo } from "./cluster/control-plane.ts";
import { type ManagedProcess, ProcessGroup, RUN_DIR_PREFIX } from "./cluster/processes.ts";
import { TIMING } from "./deadlines.ts";
import { DEMO_CREDENTIAL } from "./gaap.ts";

export interface OperatorOptions {
  cluster: ClusterInfo;
  gaapUrl: string;
  namespace?: string;
  args?: string[];
  env?: Record<string, string>;
  /** A kubeconfig other than the admin one (e.g. the operator's ServiceAccount). */
  kubeconfig?: string;
  name?: string;
}

/**
 * Fast settings for tests: short verification, polling and retry cap, quick GC (deadlines.ts derives from them).
 * Listeners are open to every namespace here; the grants' own tests (and the installs of deploy/) require them.
 */
export const FAST = [
  "--listener-grants",
  "open",
  "--verify-interval",
  `${TIMING.verifyMs}ms`,
  "--busy-poll",
  `${TIMING.busyPollMs}ms`,
  "--gc-delay",
  `${TIMING.gcDelayMs}ms`,
  "--retry-max-delay",
  `${TIMING.retryMaxMs}ms`,
  "--log-level",
  "debug",
];
/** Tests serve everything on loopback, on free ports; the webhook only where a test turns it on (on 127.0.0.1). */
export const LOOPBACK = [
  "--metrics-bind-address",
  "127.0.0.1:0",
  "--health-probe-bind-address",
  "127.0.0.1:0",
  "--webhook-port",
  "0",
];

export class OperatorProcess {
  private readonly group: ProcessGroup;
  private proc: ManagedProcess | undefined;
  private readonly opts: OperatorOptions;
  private readonly name: string;
  private starts = 0;

  constructor(opts: OperatorOptions, group?: ProcessGroup) {
    this.opts = opts;
    this.name = opts.name ?? "operator";
    this.group = group ?? new ProcessGroup(mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX)));
  }

  start(extraArgs: string[] = []): this {
    const o = this.opts;
    const args = [
      "src/main.ts",
      "--kubeconfig",
      o.kubeconfig ?? o.cluster.kubeconfigPath,
      "--gaap-endpoint",
      o.gaapUrl,
      ...(o.namespace ? ["--watch-namespace", o.namespace] : []),
      ...LOOPBACK,
      ...(o.args ?? FAST),
      ...extraArgs,
    ];
    this.proc = this.group.start(`${this.name}-${++this.starts}`, process.execPath, args, {
      TENCENTCLOUD_SECRET_ID: DEMO_CREDENTIAL.secretId,
      TENCENTCLOUD_SECRET_KEY: DEMO_CREDENTIAL.secretKey,
      ...o.env,
    });
    return this;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  get exited(): Promise<number | null> {
    return this.proc?.exited ?? Promise.resolve(null);
  }

  /** SIGTERM and wait. */
  async stop(): Promise<void> {
    await this.proc?.stop(15_000);
  }

  /** SIGKILL: no chance to clean up. */
  async kill(): Promise<void> {
    await this.proc?.stop(0, "SIGKILL");
  }

  /** Everything the processes started by this helper printed, stdout and stderr. */
  output(): string {
    return this.group.readLogs(this.name);
  }

  /** Parsed JSON log lines of every process this helper started. */
  logs(): Array<Record<string, unknown>> {
    return parseLines(this.output());
  }

  /** Parsed JSON log lines of the latest process only: a restart's earlier lines would say it is up already. */
  currentLogs(): Array<Record<string, unknown>> {
    return parseLines(this.group.readLogs(`${this.name}-${this.starts}.`));
  }

  /** The URLs the latest process serves on: [metrics, probes]; none until it serves both. */
  urls(): string[] {
    const served = this.currentLogs()
      .filter((l) => l.msg === "serving http")
      .map((l) => l.url as string);
    return served.length >= 2 ? served.slice(0, 2) : [];
  }

  async close(): Promise<void> {
    await this.group.close();
  }
}

function parseLines(output: string): Array<Record<string, unknown>> {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}
