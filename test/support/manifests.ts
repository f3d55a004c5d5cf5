// Manifests as users render them: `kubectl kustomize` and `helm template` of the repository's deploy/, parsed into
// objects sorted by kind and name so two renderings compare with toEqual.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import type { ClusterInfo } from "../../testenv/cluster/control-plane.ts";

const exec = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are any Kubernetes object
export type Manifest = any;

export function manifestObjects(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS())
    .filter(Boolean)
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

export async function kustomize(info: ClusterInfo, dir: string): Promise<Manifest[]> {
  return manifestObjects((await exec(info.kubectl, ["kustomize", dir])).stdout);
}

/** `helm template` of the chart, with --set values. */
export async function helmTemplate(
  info: ClusterInfo,
  opts: { release?: string; namespace?: string; set?: string[] } = {},
): Promise<Manifest[]> {
  const { stdout } = await exec(info.helm, [
    "template",
    opts.release ?? "gaap-operator",
    "deploy/helm/gaap-operator",
    "--namespace",
    opts.namespace ?? "gaap-operator",
    ...(opts.set ?? []).flatMap((v) => ["--set", v]),
  ]);
  return manifestObjects(stdout);
}
