// One version everywhere: package.json's, in the chart, deploy/, the lock file, Artifact Hub's metadata, the
// CHANGELOG, the running code and the release workflow's tools.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { cutRelease, findRelease, parseChangelog } from "../../../release/changelog.ts";
import {
  CHART,
  packageVersion,
  syncVersion,
  VERSION_LABELLED,
  versionDisagreements,
} from "../../../release/versions.ts";
import { VERSION } from "../../../src/version.ts";
import { VERSIONS } from "../../../testenv/cluster/binaries.ts";

const root = process.cwd();
const version = packageVersion(root);

/** The files the version lives in, copied so a test can change them. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), "version-"));
  for (const f of [
    "package.json",
    "package-lock.json",
    "CHANGELOG.md",
    `${CHART}/Chart.yaml`,
    ...VERSION_LABELLED,
  ]) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  return dir;
}

describe("one version, package.json's", () => {
  it("every place names it", () => {
    expect(versionDisagreements(root)).toEqual([]);
    expect(VERSION).toBe(version);
  });

  it("CHANGELOG.md is in Keep a Changelog form and has this version's section", () => {
    const log = parseChangelog(readFileSync("CHANGELOG.md", "utf8"));
    expect(Object.keys(findRelease(log, version).changes).length).toBeGreaterThan(0);
    expect(log.releases[1]?.version).toBe(version);
  });

  it("names the place that disagrees, and what it should say", () => {
    const dir = copy();
    const k = join(dir, "deploy/kustomization.yaml");
    writeFileSync(k, readFileSync(k, "utf8").replace(`newTag: "${version}"`, 'newTag: "0.0.1"'));
    const chart = join(dir, CHART, "Chart.yaml");
    writeFileSync(
      chart,
      readFileSync(chart, "utf8").replace(`appVersion: "${version}"`, 'appVersion: "9.9.9"'),
    );
    const o = join(dir, "deploy/observability/kustomization.yaml");
    writeFileSync(o, readFileSync(o, "utf8").replace(`version: "${version}"`, 'version: "0.0.2"'));
    const problems = versionDisagreements(dir);
    expect(problems).toEqual([
      expect.stringMatching(/Chart.yaml: the chart's appVersion is "9.9.9", for .* it should be /),
      expect.stringMatching(/kustomization.yaml: the gaap-operator image's newTag is "0.0.1"/),
      `deploy/observability/kustomization.yaml: its app.kubernetes.io/version labels are ["0.0.2"], for ${version} all should be "${version}"`,
    ]);
  });

  it("npm version's hook writes a new version everywhere, Artifact Hub's changes from its CHANGELOG section", () => {
    const dir = copy();
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ ...pkg, version: "7.8.9" }));
    // Whatever Unreleased holds today, the release carries just this entry.
    const changelog = readFileSync(join(dir, "CHANGELOG.md"), "utf8").replace(
      /## \[Unreleased\]\n[\s\S]*?(?=\n## \[)/,
      "## [Unreleased]\n\n### Fixed\n\n- A `thing`.\n",
    );
    writeFileSync(join(dir, "CHANGELOG.md"), cutRelease(changelog, "7.8.9", "2027-01-02", pkg.homepage));
    expect(versionDisagreements(dir).length).toBeGreaterThan(3);
    expect(syncVersion(dir).sort()).toEqual([
      "deploy/cert-manager/certificate.yaml",
      `${CHART}/Chart.yaml`,
      "deploy/kustomization.yaml",
      "deploy/metrics-auth/metrics-reader.yaml",
      "deploy/observability/kustomization.yaml",
      "package-lock.json",
    ]);
    expect(versionDisagreements(dir)).toEqual([]);
    const chart = parse(readFileSync(join(dir, CHART, "Chart.yaml"), "utf8"));
    expect(chart).toMatchObject({ version: "7.8.9", appVersion: "7.8.9", kubeVersion: ">=1.28.0-0" });
    expect(parse(chart.annotations["artifacthub.io/changes"])).toEqual([
      { kind: "fixed", description: "A thing." },
    ]);
    expect(parse(chart.annotations["artifacthub.io/images"])[0].image).toBe(
      "ghcr.io/gaap-operator/gaap-operator:7.8.9",
    );
    // Comments survive the rewrite.
    expect(readFileSync(join(dir, "deploy/kustomization.yaml"), "utf8")).toMatch(/^# Install: kubectl apply/);
    expect(syncVersion(dir)).toEqual([]);
  });

  it("Artifact Hub's CRD list is the CRDs the chart ships, and its examples are of those kinds", () => {
    const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8"));
    const crds = readdirSync(join(CHART, "crds"))
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => parse(readFileSync(join(CHART, "crds", f), "utf8")));
    expect(crds.map((crd) => crd.spec.names.kind)).toEqual(["GaapListenerBinding", "GaapListenerGrant"]);
    expect(parse(chart.annotations["artifacthub.io/crds"])).toEqual(
      crds.map((crd) =>
        expect.objectContaining({
          kind: crd.spec.names.kind,
          version: crd.spec.versions[0].name,
          name: crd.metadata.name,
        }),
      ),
    );
    const examples = parse(chart.annotations["artifacthub.io/crdsExamples"]);
    expect(examples.map((e: { kind: string }) => e.kind)).toEqual(crds.map((crd) => crd.spec.names.kind));
    for (const [i, example] of examples.entries())
      expect(example.apiVersion).toBe(`${crds[i].spec.group}/${crds[i].spec.versions[0].name}`);
    expect(chart.annotations["artifacthub.io/license"]).toBe(
      JSON.parse(readFileSync("package.json", "utf8")).license,
    );
  });

  // release/versions.ts does not write these yet: `npm version` leaves them for a person, and this test names them.
  it("deploy/'s version labels name package.json's version", () => {
    const labels = (file: string) =>
      parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS().metadata.labels);
    const kustomizationLabels = (file: string) =>
      parse(readFileSync(file, "utf8")).labels.map(
        (l: { pairs: Record<string, string> }) => l.pairs["app.kubernetes.io/version"],
      );
    expect({
      deploy: kustomizationLabels("deploy/kustomization.yaml"),
      observability: kustomizationLabels("deploy/observability/kustomization.yaml"),
      certManager: labels("deploy/cert-manager/certificate.yaml").map((l) => l["app.kubernetes.io/version"]),
      metricsAuth: labels("deploy/metrics-auth/metrics-reader.yaml").map(
        (l) => l["app.kubernetes.io/version"],
      ),
    }).toEqual({
      deploy: [version],
      observability: [version],
      certManager: [version, version],
      metricsAuth: [version],
    });
  });

  it("the release workflow uses the helm and kustomize the tests use, and runs the same checks", () => {
    const release = parse(readFileSync(".github/workflows/release.yml", "utf8"));
    expect(release.jobs.release.env).toEqual({
      HELM_VERSION: `v${VERSIONS.helm}`,
      KUSTOMIZE_VERSION: `v${VERSIONS.kustomize}`,
    });
    expect(release.jobs.test.uses).toBe("./.github/workflows/ci.yml");
    const ci = parse(readFileSync(".github/workflows/ci.yml", "utf8"));
    expect(ci.jobs.test.steps.at(-1).run).toBe(".ci/run");
  });
});
