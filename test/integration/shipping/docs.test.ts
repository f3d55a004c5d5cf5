// The install commands and values the docs give, checked with the real helm and kustomize: the README's one install
// block holds every step (CRDs, namespace, credentials Secret, a values file with the cluster name and the
// certificate, the chart) and its values file renders what it says; docs/install.md's Helm values and kustomize
// overlay set the cluster name; docs/monitoring.md's values fragments render the scrape they describe; and no
// `helm upgrade` in the docs passes --set alone (which would reset every value given before).
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../../src/config.ts";
import { testCluster } from "../../support/cluster.ts";
import { kustomize, type Manifest, manifestObjects } from "../../support/manifests.ts";

const exec = promisify(execFile);
const info = testCluster().info;
const DOCS = ["README.md", ...readdirSync("docs").map((f) => join("docs", f))];

/** The text of a section: from its heading to the next heading of the same or a higher level. */
function section(file: string, heading: string): string {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `${file}: ${heading}`).toBeGreaterThanOrEqual(0);
  const level = (heading.match(/^#+/) as RegExpMatchArray)[0].length;
  const rest = text.slice(start + heading.length + 2);
  // Headings only outside code blocks (a shell comment starts with # too).
  const withoutCode = rest.replace(/```[\s\S]*?```/g, (m) => m.replace(/#/g, "_"));
  const next = withoutCode.search(new RegExp(`^#{1,${level}} `, "m"));
  return next < 0 ? rest : rest.slice(0, next);
}

const blocks = (text: string, lang: string) =>
  [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] as string);

/** What a shell block writes to `file` with cat and a quoted here-document. */
function heredoc(sh: string, file: string): string {
  const m = new RegExp(`^cat > ${file.replaceAll(".", "\\.")} <<'EOF'\\n([\\s\\S]*?)^EOF$`, "m").exec(sh);
  expect(m, `a here-document for ${file}`).not.toBeNull();
  return (m as RegExpExecArray)[1] as string;
}

async function helmTemplate(...values: string[]): Promise<Manifest[]> {
  const dir = mkdtempSync(join(tmpdir(), "docs-values-"));
  const args = values.flatMap((v, i) => {
    writeFileSync(join(dir, `${i}.yaml`), v);
    return ["-f", join(dir, `${i}.yaml`)];
  });
  const { stdout } = await exec(info.helm, [
    "template",
    "gaap-operator",
    "deploy/helm/gaap-operator",
    "--namespace",
    "gaap-operator",
    ...args,
  ]);
  return manifestObjects(stdout);
}

const find = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);
const operatorArgs = (objects: Manifest[]) =>
  find(objects, "Deployment")[0].spec.template.spec.containers[0].args as string[];
const configOf = (args: string[]) => {
  const parsed = parseConfig(args);
  if (parsed.action !== "run") throw new Error(`args parse to ${parsed.action}`);
  return parsed.config;
};

describe("the README's install block", () => {
  const sh = blocks(section("README.md", "## Install"), "sh");
  const block = sh[0] as string;

  it("is one block with every step, in order", () => {
    expect(sh).toHaveLength(1);
    const steps = [
      /^kubectl apply -f crds\/$/m,
      /^kubectl create namespace gaap-operator$/m,
      /^kubectl -n gaap-operator create secret generic gaap-credentials \\$/m,
      /^cat > values\.yaml <<'EOF'$/m,
      /^helm install gaap-operator deploy\/helm\/gaap-operator --namespace gaap-operator .*-f values\.yaml$/m,
    ];
    const at = steps.map((re) => block.search(re));
    expect(
      at.every((i) => i >= 0),
      String(at),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("its values file names the cluster and the certificate, and renders them with the credentials it creates", async () => {
    const values = parse(heredoc(block, "values.yaml"));
    expect(Object.keys(values).sort()).toEqual(["clusterName", "webhook"]);
    const out = await helmTemplate(heredoc(block, "values.yaml"));
    expect(configOf(operatorArgs(out)).clusterName).toBe(values.clusterName);
    expect(configOf(operatorArgs(out)).listenerGrants).toBe("required");
    // The Secret the block creates is the one the operator mounts.
    const volumes = find(out, "Deployment")[0].spec.template.spec.volumes as Manifest[];
    expect(volumes.map((v) => v.secret?.secretName)).toContain("gaap-credentials");
    // certManager: a Certificate for the webhooks' Secret, and no Namespace (the block makes it).
    expect(find(out, "Certificate").map((c) => c.spec.secretName)).toEqual(["gaap-operator-webhook-tls"]);
    expect(find(out, "Namespace")).toEqual([]);
    // The alternative the comment offers renders too.
    const generated = await helmTemplate(
      heredoc(block, "values.yaml").replace("certificate: certManager", "certificate: generate"),
    );
    expect(find(generated, "Certificate")).toEqual([]);
    expect(find(generated, "Secret").map((s) => s.metadata.name)).toContain("gaap-operator-webhook-tls");
  });
});

describe("docs/install.md", () => {
  it("its Helm values set the cluster name", async () => {
    const [values] = blocks(section("docs/install.md", "## Install with Helm"), "yaml");
    const out = await helmTemplate(values as string);
    expect(configOf(operatorArgs(out)).clusterName).toBe("prod-sh-1");
  });

  it("its kustomize overlay sets the cluster name over deploy/'s default", async () => {
    const sh = blocks(section("docs/install.md", "## Install with kustomize"), "sh").find((b) =>
      b.includes("my-gaap-operator"),
    ) as string;
    const dir = mkdtempSync(join(tmpdir(), "docs-overlay-"));
    cpSync("deploy", join(dir, "deploy"), { recursive: true });
    mkdirSync(join(dir, "my-gaap-operator"));
    writeFileSync(
      join(dir, "my-gaap-operator", "kustomization.yaml"),
      heredoc(sh, "my-gaap-operator/kustomization.yaml"),
    );
    const plain = await kustomize(info, join(dir, "deploy"));
    const mine = await kustomize(info, join(dir, "my-gaap-operator"));
    expect(configOf(operatorArgs(plain)).clusterName).toBe("default");
    expect(configOf(operatorArgs(mine)).clusterName).toBe("prod-sh-1");
  });

  it("upgrades with the values file: no helm upgrade in the docs passes --set alone", () => {
    const upgrades = DOCS.flatMap((f) =>
      blocks(readFileSync(f, "utf8"), "sh").flatMap((b) =>
        b
          .replace(/\\\n\s*/g, "")
          .split("\n")
          .filter((l) => /^helm upgrade /.test(l))
          .map((l) => `${f}: ${l}`),
      ),
    );
    expect(upgrades.length).toBeGreaterThan(0);
    for (const u of upgrades) expect(u).toMatch(/ -f values\.yaml\b| --reuse-values\b/);
  });
});

describe("docs/monitoring.md", () => {
  it("its values fragments render the ServiceMonitor, rules, dashboard and authenticated scrape they describe", async () => {
    const readme = heredoc(blocks(section("README.md", "## Install"), "sh")[0] as string, "values.yaml");
    const fragments = [
      ...blocks(section("docs/monitoring.md", "## Dashboard and alerts"), "yaml"),
      ...blocks(section("docs/monitoring.md", "## Metrics authentication"), "yaml"),
    ];
    expect(fragments).toHaveLength(2);
    const out = await helmTemplate(readme, ...fragments);
    expect(configOf(operatorArgs(out)).metricsSecure).toBe(true);
    const [sm] = find(out, "ServiceMonitor");
    expect(sm.spec.endpoints[0]).toMatchObject({
      honorLabels: true,
      scheme: "https",
      authorization: { credentials: { name: "gaap-operator-metrics-token" } },
    });
    expect(find(out, "PrometheusRule")).toHaveLength(1);
    expect(find(out, "ConfigMap").some((c) => c.metadata.labels?.grafana_dashboard === "1")).toBe(true);
    // The role the docs bind to the scraper.
    expect(find(out, "ClusterRole").map((r) => r.metadata.name)).toContain("gaap-operator-metrics-reader");
    const sh = blocks(section("docs/monitoring.md", "## Metrics authentication"), "sh")[0] as string;
    expect(sh).toContain("--clusterrole=gaap-operator-metrics-reader");
    expect(sh).toContain("name: gaap-operator-metrics-token");
  });
});
