// A real Prometheus for the observability tests: Debian's `prometheus` package (which brings `promtool`, see
// debian-tools.ts), started on 127.0.0.1 with a scrape config and rule files of the test's choosing.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "../net.ts";
import { debianTools } from "./debian-tools.ts";
import { type ManagedProcess, ProcessGroup, RUN_DIR_PREFIX } from "./processes.ts";

export interface PrometheusTools {
  prometheus: string;
  promtool: string;
}

export function ensurePrometheus(log: (line: string) => void = console.error): Promise<PrometheusTools> {
  return debianTools("prometheus", ["prometheus", "promtool"], log);
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

/** Targets scraped as a ServiceMonitor's endpoint is (prometheus-operator pkg/prometheus/promcfg.go). */
export interface MonitoredTargets {
  targets: string[];
  /** The ServiceMonitor endpoint's honorLabels (false: a scraped label that collides becomes exported_<name>). */
  honorLabels: boolean;
  /** What the generated relabeling sets on every target. */
  labels: Record<string, string>;
}

/** A Prometheus process scraping its targets and evaluating its rules every second. */
export class Prometheus {
  readonly url: string;
  private readonly group: ProcessGroup;
  private readonly proc: ManagedProcess;

  private constructor(url: string, group: ProcessGroup, proc: ManagedProcess) {
    this.url = url;
    this.group = group;
    this.proc = proc;
  }

  static async start(opts: {
    tools: PrometheusTools;
    /**
     * job name -> host:port targets, scraped plainly; or, as the Prometheus Operator scrapes a ServiceMonitor's
     * endpoint, with the labels its relabeling attaches to every target (namespace, service, endpoint, job, pod)
     * and its honorLabels.
     */
    jobs: Record<string, string[] | MonitoredTargets>;
    /** Rule files' contents (Prometheus `groups:` documents). */
    rules?: string[];
  }): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
    const group = new ProcessGroup(dir);
    const ruleFiles = (opts.rules ?? []).map((text, i) => {
      const file = join(dir, `rules-${i}.yaml`);
      writeFileSync(file, text);
      return file;
    });
    writeFileSync(
      join(dir, "prometheus.yml"),
      stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "900ms" },
        rule_files: ruleFiles,
        scrape_configs: Object.entries(opts.jobs).map(([job, t]) =>
          Array.isArray(t)
            ? { job_name: job, static_configs: [{ targets: t }] }
            : {
                job_name: job,
                honor_labels: t.honorLabels,
                static_configs: [{ targets: t.targets }],
                // A rule with only a target label and a replacement always fires: how the Operator sets these.
                relabel_configs: Object.entries(t.labels).map(([label, value]) => ({
                  target_label: label,
                  replacement: value,
                })),
              },
        ),
      }),
    );
    const port = await freePort();
    const proc = group.start("prometheus", opts.tools.prometheus, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    return new Prometheus(`http://127.0.0.1:${port}`, group, proc);
  }

  async ready(): Promise<boolean> {
    if (!this.proc.running) throw new Error(`prometheus exited:\n${this.proc.tail()}`);
    try {
      return (await fetch(`${this.url}/-/ready`)).ok;
    } catch {
      return false;
    }
  }

  async query(expr: string): Promise<PromSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: PromSample[] };
    };
    if (body.status !== "success") throw new Error(`query ${expr}: ${body.error}`);
    return body.data?.result ?? [];
  }

  async alerts(): Promise<PromAlert[]> {
    const body = (await (await fetch(`${this.url}/api/v1/alerts`)).json()) as {
      data: { alerts: PromAlert[] };
    };
    return body.data.alerts;
  }

  /** Health of the scrape targets: "up", "down" or "unknown" per job. */
  async targets(): Promise<{ job: string; health: string; lastError: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
    };
    return body.data.activeTargets.map((t) => ({
      job: t.labels.job ?? "",
      health: t.health,
      lastError: t.lastError,
    }));
  }

  async close(): Promise<void> {
    await this.group.close();
  }
}
