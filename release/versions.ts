// One version everywhere. package.json's version is the source; every other place that names it is listed here
// once, so the same table both checks (versionDisagreements: what a test and the release workflow run) and writes
// (syncVersion: what `npm version` runs).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Document, parse, parseDocument, stringify } from "yaml";
import { artifactHubChanges, findRelease, parseChangelog } from "./changelog.ts";

export const CHART = "deploy/helm/gaap-operator";
export const IMAGE = "ghcr.io/gaap-operator/gaap-operator";

interface Place {
  file: string;
  what: string;
  /** What the file says now. */
  read(doc: Document): unknown;
  /** What it should say for this version. */
  expected(version: string, root: string): unknown;
  write(doc: Document, value: unknown): void;
}

const scalar = (file: string, path: (string | number)[], what: string): Place => ({
  file,
  what,
  read: (doc) => doc.getIn(path),
  expected: (v) => v,
  write: (doc, v) => doc.setIn(path, v),
});

/** An annotation that holds YAML (Artifact Hub's form), compared as data and written as a block. */
const yamlAnnotation = (name: string, what: string, expected: Place["expected"]): Place => ({
  file: `${CHART}/Chart.yaml`,
  what,
  read: (doc) => {
    const text = doc.getIn(["annotations", name]);
    return typeof text === "string" ? parse(text) : undefined;
  },
  expected,
  write: (doc, v) => {
    const node = doc.createNode(stringify(v, { lineWidth: 0 }));
    node.type = "BLOCK_LITERAL";
    doc.setIn(["annotations", name], node);
  },
});

const kustomizeImage = (doc: Document) => {
  const images = (doc.toJS().images ?? []) as Array<{ name: string }>;
  return images.findIndex((i) => i.name === "gaap-operator");
};

export const PLACES: Place[] = [
  scalar(`${CHART}/Chart.yaml`, ["version"], "the chart's version"),
  scalar(`${CHART}/Chart.yaml`, ["appVersion"], "the chart's appVersion"),
  yamlAnnotation("artifacthub.io/images", "Artifact Hub's image list", (v) => [
    { name: "gaap-operator", image: `${IMAGE}:${v}`, platforms: ["linux/amd64", "linux/arm64"] },
  ]),
  yamlAnnotation("artifacthub.io/changes", "Artifact Hub's changes (CHANGELOG.md's section)", (v, root) =>
    artifactHubChanges(findRelease(parseChangelog(readFileSync(join(root, "CHANGELOG.md"), "utf8")), v)),
  ),
  {
    file: "deploy/kustomization.yaml",
    what: "the gaap-operator image's newTag",
    read: (doc) => doc.getIn(["images", kustomizeImage(doc), "newTag"]),
    expected: (v) => v,
    write: (doc, v) => doc.setIn(["images", kustomizeImage(doc), "newTag"], v),
  },
  scalar("package-lock.json", ["version"], "the lock file's version"),
  scalar("package-lock.json", ["packages", "", "version"], "the lock file's root package version"),
];

/** Files whose `app.kubernetes.io/version` labels (every one in them) name the version, as kustomize ships them. */
export const VERSION_LABELLED = [
  "deploy/kustomization.yaml",
  "deploy/observability/kustomization.yaml",
  "deploy/cert-manager/certificate.yaml",
  "deploy/metrics-auth/metrics-reader.yaml",
];
const VERSION_LABEL = /(app\.kubernetes\.io\/version: )"([^"]*)"/g;

export function packageVersion(root: string): string {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
}

const load = (root: string, file: string) => parseDocument(readFileSync(join(root, file), "utf8"));

/** One line per place that does not name package.json's version; empty when all agree. */
export function versionDisagreements(root: string, version = packageVersion(root)): string[] {
  const out: string[] = [];
  for (const place of PLACES) {
    let expected: unknown;
    try {
      expected = place.expected(version, root);
    } catch (err) {
      out.push(`${place.what}: ${(err as Error).message}`);
      continue;
    }
    const found = place.read(load(root, place.file));
    if (JSON.stringify(found) !== JSON.stringify(expected))
      out.push(
        `${place.file}: ${place.what} is ${JSON.stringify(found)}, for ${version} it should be ${JSON.stringify(expected)}`,
      );
  }
  for (const file of VERSION_LABELLED) {
    const labels = [...readFileSync(join(root, file), "utf8").matchAll(VERSION_LABEL)].map((m) => m[2]);
    if (labels.length === 0 || labels.some((l) => l !== version))
      out.push(
        `${file}: its app.kubernetes.io/version labels are ${JSON.stringify(labels)}, for ${version} all should be "${version}"`,
      );
  }
  return out;
}

/** Writes the version (and what follows from it) into every place; returns the files it changed. */
export function syncVersion(root: string, version = packageVersion(root)): string[] {
  const docs = new Map<string, Document>();
  const changed = new Set<string>();
  for (const place of PLACES) {
    const doc = docs.get(place.file) ?? load(root, place.file);
    docs.set(place.file, doc);
    const expected = place.expected(version, root);
    if (JSON.stringify(place.read(doc)) === JSON.stringify(expected)) continue;
    place.write(doc, expected);
    changed.add(place.file);
  }
  for (const file of changed) {
    const doc = docs.get(file) as Document;
    const text = file.endsWith(".json")
      ? `${JSON.stringify(doc.toJS(), null, 2)}\n`
      : doc.toString({ lineWidth: 0 });
    writeFileSync(join(root, file), text);
  }
  // The version labels are rewritten in place: every occurrence, comments and layout kept.
  for (const file of VERSION_LABELLED) {
    const text = readFileSync(join(root, file), "utf8");
    const next = text.replace(VERSION_LABEL, `$1"${version}"`);
    if (next === text) continue;
    writeFileSync(join(root, file), next);
    changed.add(file);
  }
  return [...changed];
}
