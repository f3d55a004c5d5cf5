// What the chart's tests share: the chart, its version, and finders over rendered objects.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { testCluster } from "./cluster.ts";
import { type Manifest, manifestObjects } from "./manifests.ts";

export const info = testCluster().info;
export const CHART = "deploy/helm/gaap-operator";
export const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;
/** What a command that should fail said (its stderr), or "succeeded". */
export const failure = (p: Promise<unknown>) =>
  p.then(
    () => "succeeded",
    (err: { stderr?: string; message: string }) => err.stderr ?? err.message,
  );
export const find = (objects: Manifest[], kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
export const deployment = (objects: Manifest[]) => find(objects, "Deployment");
export const container = (objects: Manifest[]) => deployment(objects).spec.template.spec.containers[0];
export const certManagerFile = () =>
  manifestObjects(readFileSync("deploy/cert-manager/certificate.yaml", "utf8"));
/** Objects in a stable order and form, to compare two renders. */
export const sorted = (objects: Manifest[]) =>
  manifestObjects(objects.map((o) => stringify(o)).join("\n---\n"));
