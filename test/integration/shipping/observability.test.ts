// The monitoring shipped in deploy/observability/ (and the chart), proven against a real Prometheus: promtool
// checks and unit-tests the alert rules; a Prometheus on 127.0.0.1 scrapes a running operator, every dashboard
// query returns data, and the MassUnbind and not-Ready alerts fire in a scenario made for them and resolve after.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { gateType } from "../../../src/api/types.ts";
import { condition } from "../../../testenv/bindings.ts";
import { ensurePrometheus, Prometheus, type PrometheusTools } from "../../../testenv/cluster/prometheus.ts";
import { FAST } from "../../../testenv/operator.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { helmTemplate, kustomize } from "../../support/manifests.ts";
import { isReady, podsOf } from "../../support/pods.ts";
import { createWeb, gaapSet, L, type Scenario, scale, scenario } from "../../support/scenario.ts";

const exec = promisify(execFile);
const JOB = "gaap-operator";

interface RuleGroup {
  name: string;
  rules: { alert: string; expr: string; for?: string; annotations: Record<string, string> }[];
}
const ruleCr = parse(readFileSync("deploy/observability/prometheusrule.yaml", "utf8"));
const groups: RuleGroup[] = ruleCr.spec.groups;
const alertNames = groups.flatMap((g) => g.rules.map((r) => r.alert));

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard: { panels: Panel[] } = JSON.parse(
  readFileSync("deploy/observability/dashboard.json", "utf8"),
);
const queries = dashboard.panels
  .filter((p) => p.type !== "row")
  .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

let tools: PrometheusTools;
beforeAll(async () => {
  tools = await ensurePrometheus((l) => console.error(`[prometheus] ${l}`));
});

describe("alert rules", () => {
  it("pass promtool check rules and every alert's promtool unit tests", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gaap-rules-"));
    writeFileSync(join(dir, "prometheus-rules.yaml"), stringify(ruleCr.spec));
    const tests = readFileSync("test/observability/alerts.promtool.yaml", "utf8");
    writeFileSync(join(dir, "alerts.promtool.yaml"), tests);
    const check = await exec(tools.promtool, ["check", "rules", join(dir, "prometheus-rules.yaml")]);
    expect(check.stdout).toContain(`SUCCESS: ${alertNames.length} rules found`);
    const run = await exec(tools.promtool, ["test", "rules", join(dir, "alerts.promtool.yaml")]);
    expect(run.stdout).toContain("SUCCESS");
    // Every alert is tested both ways: firing somewhere, and silent somewhere.
    const suite = parse(tests) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = suite.tests.flatMap((t) => t.alert_rule_test);
    for (const name of alertNames) {
      expect(
        cases.some((c) => c.alertname === name && c.exp_alerts.length > 0),
        `${name} fires`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alertname === name && c.exp_alerts.length === 0),
        `${name} silent`,
      ).toBe(true);
    }
  });

  it("each has a summary, a description and a runbook: the heading in docs/monitoring.md its URL names", () => {
    const monitoring = readFileSync("docs/monitoring.md", "utf8");
    for (const g of groups)
      for (const r of g.rules) {
        expect(r.annotations.summary, r.alert).toBeTruthy();
        expect(r.annotations.description, r.alert).toBeTruthy();
        const anchor = r.alert.toLowerCase();
        expect(r.annotations.runbook_url).toBe(
          `https://github.com/gaap-operator/gaap-operator/blob/main/docs/monitoring.md#${anchor}`,
        );
        // The runbook itself: its heading and at least one numbered step before the next heading.
        expect(monitoring).toMatch(new RegExp(`^### ${r.alert}\n\n[^#]*^1\\. `, "m"));
      }
  });
});

describe("installing the monitoring", () => {
  it("the chart's toggles, off by default, render the same objects as deploy/observability/ (kustomize)", async () => {
    const info = testCluster().info;
    const kustomized = await kustomize(info, "deploy/observability/");
    expect(kustomized.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ConfigMap/gaap-operator-dashboard",
      "PrometheusRule/gaap-operator",
      "ServiceMonitor/gaap-operator",
    ]);
    const helm = (...set: string[]) => helmTemplate(info, { set });
    const on = await helm(
      "webhook.certificate=none",
      "serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true",
    );
    const kinds = new Set(["ConfigMap", "PrometheusRule", "ServiceMonitor"]);
    expect(on.filter((o) => kinds.has(o.kind))).toEqual(kustomized);
    const off = await helm("webhook.certificate=none");
    expect(off.filter((o) => kinds.has(o.kind))).toEqual([]);
    // The ServiceMonitor selects the metrics Service, and only it.
    const services = off.filter((o) => o.kind === "Service");
    const monitor = kustomized.find((o) => o.kind === "ServiceMonitor");
    const selected = services.filter((svc) =>
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v),
    );
    expect(selected.map((svc) => svc.metadata.name)).toEqual(["gaap-operator-metrics"]);
    expect(selected[0].spec.ports.map((p: { name: string }) => p.name)).toContain(
      monitor.spec.endpoints[0].port,
    );
    // jobLabel turns the Service's name label into job="gaap-operator", what the alerts select on.
    expect(selected[0].metadata.labels[monitor.spec.jobLabel]).toBe(JOB);
  });
});

describe("Prometheus scraping a running operator", () => {
  let s: Scenario;
  let prom: Prometheus;
  const target = () => new URL(s.operator.urls()[0] as string).host;
  const firing = async () =>
    (await prom.alerts())
      .filter((a) => a.state === "firing")
      .map((a) => `${a.labels.alertname} ${a.labels.namespace ?? ""}/${a.labels.name ?? ""}`)
      .sort();

  beforeAll(async () => {
    // A read budget of one call per 2 s (a bucket of 1), so the second read of an action within 2 s waits and the
    // rate-budget panel has waits to show however fast or slow the machine is.
    s = await scenario("obs", { args: [...FAST, "--gaap-read-qps", "0.5"] });
    await eventually(async () => expect(s.operator.urls()).toHaveLength(2), { what: "operator serving" });
    // The shipped rules as they are, but for `for:` shortened to seconds: promtool tests the durations.
    const fast = groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: "2s" })) }));
    // Scraped as the Prometheus Operator scrapes the shipped ServiceMonitor: its relabeling gives every target the
    // operator's own namespace (and service, endpoint, job, pod); only honorLabels keeps the binding's.
    const monitor = parse(readFileSync("deploy/observability/servicemonitor.yaml", "utf8"));
    const endpoint = monitor.spec.endpoints[0];
    prom = await Prometheus.start({
      tools,
      jobs: {
        [`serviceMonitor/${monitor.metadata.namespace}/${monitor.metadata.name}/0`]: {
          targets: [target()],
          honorLabels: endpoint.honorLabels === true,
          labels: {
            namespace: monitor.metadata.namespace,
            service: "gaap-operator-metrics",
            endpoint: endpoint.port,
            job: JOB,
            pod: "gaap-operator-7d9f8b6c5d-x2x4q",
            container: "operator",
          },
        },
      },
      rules: [stringify({ groups: fast })],
    });
    await eventually(async () => expect(await prom.ready()).toBe(true), { what: "prometheus ready" });
    await s.bindings.create("web", { listenerId: L.wrr, maxUnbindPercent: 50 });
    await createWeb(s, 4, { readinessGates: [gateType("web")] });
  });
  afterAll(async () => {
    await prom?.close();
    await s?.close();
  });

  it("scrapes the operator", async () => {
    await eventually(async () => expect(await prom.targets()).toMatchObject([{ job: JOB, health: "up" }]), {
      what: "target up",
    });
    await eventually(
      async () => {
        expect((await podsOf(s.c.core, s.ns)).filter(isReady)).toHaveLength(4);
        const ready = await prom.query(`gaap_binding_condition{condition="Ready", name="web"}`);
        expect(ready.map((r) => r.metric.status)).toEqual(["True"]);
      },
      { what: "4 gated pods Ready, and Prometheus seeing the binding Ready", timeoutMs: 60_000 },
    );
    await eventually(async () => expect(await firing()).toEqual([]), { what: "no alert firing" });
  });

  it("a held mass unbind fires GaapMassUnbindHeld and GaapBindingNotReady; every dashboard query returns data", async () => {
    expect(await gaapSet(s, L.wrr)).toHaveLength(4);
    // 3 of 4 going is 75%, over maxUnbindPercent 50: held.
    await scale(s, 1);
    await eventually(
      async () => expect(condition(await s.bindings.get("web"), "Degraded")?.reason).toBe("MassUnbind"),
      { what: "MassUnbind held", timeoutMs: 60_000 },
    );
    const ns = s.ns;
    await eventually(
      // The alerts name the binding's namespace, not the operator's (the scrape's): honorLabels keeps it.
      async () =>
        expect(await firing()).toEqual([`GaapBindingNotReady ${ns}/web`, `GaapMassUnbindHeld ${ns}/web`]),
      { what: "both alerts firing", timeoutMs: 60_000 },
    );
    // Held: GAAP keeps more than the one origin the Service now has (all 4, unless endpoints left one at a time
    // and the first went through under the 50%).
    expect((await gaapSet(s, L.wrr)).length).toBeGreaterThan(1);
    // Every panel, at a moment that has something to show in each.
    const empty = async () => {
      const out: string[] = [];
      for (const q of queries) {
        const result = await prom.query(q.expr.replaceAll("$__rate_interval", "1m"));
        if (result.length === 0) out.push(`${q.panel}: ${q.expr}`);
      }
      return out;
    };
    await eventually(
      async () => {
        const none = await empty();
        if (none.length > 0) throw new Error(`no data for\n${none.join("\n")}`);
      },
      {
        what: "every dashboard query returning data",
        timeoutMs: 60_000,
      },
    );
  });

  it("the alerts resolve once the hold is lifted", async () => {
    await s.bindings.patchSpec("web", { maxUnbindPercent: 100 });
    await eventually(async () => expect(await gaapSet(s, L.wrr)).toHaveLength(1), {
      what: "1 bound",
      timeoutMs: 60_000,
    });
    await eventually(async () => expect(await firing()).toEqual([]), {
      what: "alerts resolved",
      timeoutMs: 60_000,
    });
  });

  it("exports the metrics docs/monitoring.md lists, with low-cardinality labels only", async () => {
    const body = await (await fetch(`${s.operator.urls()[0]}/metrics`)).text();
    const families = new Map<string, Set<string>>();
    for (const line of body.split("\n")) {
      const m = line.match(/^# TYPE (\S+) (\S+)$/);
      if (m) families.set(m[1] as string, new Set());
    }
    const values: string[] = [];
    for (const line of body.split("\n")) {
      if (line.startsWith("#") || !line) continue;
      const [, name = "", labels = ""] = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /) ?? [];
      const family = [...families.keys()].find(
        (f) => name === f || name.match(new RegExp(`^${f}_(bucket|sum|count)$`)),
      );
      for (const [, k, v] of labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        if (k !== "le" && k !== "quantile") families.get(family as string)?.add(k as string);
        values.push(v as string);
      }
    }
    // docs/monitoring.md's table: | `name` | type | `label`, `label` | meaning |
    const doc = readFileSync("docs/monitoring.md", "utf8");
    const section = doc.slice(
      doc.indexOf("\n## Metrics and health\n"),
      doc.indexOf("\n## Metrics authentication\n"),
    );
    expect(section.length).toBeGreaterThan(0);
    const listed = new Map<string, string[]>();
    for (const [, name, labels] of section.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*\w+\s*\|([^|]*)\|/gm))
      listed.set(
        name as string,
        [...(labels as string).matchAll(/`(\w+)`/g)].map((m) => m[1] as string),
      );
    const ours = [...families.entries()].filter(([f]) => !/^(process|nodejs)_/.test(f));
    expect(ours.map(([f]) => f).sort()).toEqual([...listed.keys()].sort());
    // A series carries the labels listed (a labelled family shows none before its first sample).
    for (const [f, labels] of ours) {
      const want = listed.get(f) ?? [];
      if (labels.size > 0) expect([...labels].sort(), f).toEqual([...want].sort());
    }
    // No pod names, no IPs.
    const pods = (await podsOf(s.c.core, s.ns)).map((p) => p.metadata?.name as string);
    for (const v of values) {
      expect(v).not.toMatch(/^\d+\.\d+\.\d+\.\d+(:\d+)?$/);
      expect(pods).not.toContain(v);
    }
  });
});
