// Manifests as users render them: `kubectl kustomize` and `helm template` of the repository's deploy/, parsed into
// objects sorted by kind and name so two renderings compare with toEqual.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import type { ClusterInfo } from "../../testenv/cluster/control-plane.ts";

const exec = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are any Kubernetes object
export type Manifest = any;

/** The labels only Helm sets (the chart's version and the tool), which kustomize has no counterpart for. */
export const HELM_ONLY_LABELS = ["helm.sh/chart", "app.kubernetes.io/managed-by"];

export function manifestObjects(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS())
    .filter(Boolean)
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

/** The objects without HELM_ONLY_LABELS, wherever a `labels` map holds them (metadata, pod templates). */
export function withoutHelmLabels<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutHelmLabels) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "labels" && v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).filter(([l]) => !HELM_ONLY_LABELS.includes(l)))
        : withoutHelmLabels(v),
    ]),
  ) as T;
}

export async function kustomize(info: ClusterInfo, dir: string): Promise<Manifest[]> {
  return manifestObjects((await exec(info.kubectl, ["kustomize", dir])).stdout);
}

/** `kubectl kustomize` of an overlay of the repository's directories, as a user's own kustomization would be. */
export async function kustomizeOverlay(
  info: ClusterInfo,
  opts: { resources: string[]; components?: string[] },
): Promise<Manifest[]> {
  const dir = mkdtempSync(join(tmpdir(), "overlay-"));
  // kustomize takes relative paths only.
  const rel = (p: string) => relative(dir, resolve(p));
  writeFileSync(
    join(dir, "kustomization.yaml"),
    stringify({ resources: opts.resources.map(rel), components: (opts.components ?? []).map(rel) }),
  );
  return kustomize(info, dir);
}

export interface HelmOptions {
  release?: string;
  namespace?: string;
  /** --set arguments. */
  set?: string[];
  /** A values file's content (for lists and maps that --set spells badly). */
  values?: Record<string, unknown>;
  /** Keep HELM_ONLY_LABELS (dropped by default, so that a render compares with kustomize's). */
  helmLabels?: boolean;
}

/** `helm template` of the chart, as text. */
export async function helmRender(info: ClusterInfo, opts: HelmOptions = {}): Promise<string> {
  const valuesArgs: string[] = [];
  if (opts.values) {
    const file = join(mkdtempSync(join(tmpdir(), "values-")), "values.yaml");
    // JSON, a YAML that Helm's YAML 1.1 reads the same way (no "no" turning into false).
    writeFileSync(file, JSON.stringify(opts.values));
    valuesArgs.push("--values", file);
  }
  const { stdout } = await exec(info.helm, [
    "template",
    opts.release ?? "gaap-operator",
    "deploy/helm/gaap-operator",
    "--namespace",
    opts.namespace ?? "gaap-operator",
    ...valuesArgs,
    ...(opts.set ?? []).flatMap((v) => ["--set", v]),
  ]);
  return stdout;
}

/** `helm template` of the chart, with --set values, without the Helm-only labels unless helmLabels. */
export async function helmTemplate(info: ClusterInfo, opts: HelmOptions = {}): Promise<Manifest[]> {
  const objects = manifestObjects(await helmRender(info, opts));
  return opts.helmLabels ? objects : withoutHelmLabels(objects);
}

/**
 * Deletes what `kubectl apply -k deploy/` made, and waits until it is gone: the next file that applies deploy/ would
 * otherwise meet its namespace still terminating.
 */
export async function removeDeploy(info: ClusterInfo): Promise<void> {
  await exec(info.kubectl, [
    "--kubeconfig",
    info.kubeconfigPath,
    "delete",
    "-k",
    "deploy/",
    "--wait=true",
    "--timeout=120s",
    "--ignore-not-found",
  ]);
}
