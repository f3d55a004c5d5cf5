// gaap-operator.yaml, the release's single install manifest: the CRDs, then deploy/ with the image pinned by digest.
// Rendered by the commands the README gives users (`kustomize edit set image`, `kustomize build`), on a copy of
// deploy/ so the repository is never edited.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** A reference by digest: a tag can be moved after the release, a digest cannot. */
const BY_DIGEST =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+(?::[\w.-]+)?@sha256:[a-f0-9]{64}$/;

export interface ManifestOptions {
  root: string;
  /** e.g. ghcr.io/gaap-operator/gaap-operator@sha256:<64 hex> */
  image: string;
  version: string;
  kustomize?: string;
}

export async function installManifest(opts: ManifestOptions): Promise<string> {
  if (!BY_DIGEST.test(opts.image))
    throw new Error(
      `--image must name the image by digest, like ghcr.io/gaap-operator/gaap-operator@sha256:<64 hex digits>, not "${opts.image}"`,
    );
  const kustomize = opts.kustomize ?? "kustomize";
  const dir = mkdtempSync(join(tmpdir(), "gaap-operator-manifest-"));
  try {
    cpSync(join(opts.root, "deploy"), join(dir, "deploy"), { recursive: true });
    const overlay = join(dir, "deploy");
    await exec(kustomize, ["edit", "set", "image", `gaap-operator=${opts.image}`], { cwd: overlay });
    const { stdout } = await exec(kustomize, ["build", overlay], { maxBuffer: 64 << 20 });
    const crds = readdirSync(join(opts.root, "crds"))
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) =>
        readFileSync(join(opts.root, "crds", f), "utf8")
          .replace(/^---\n/, "")
          .trimEnd(),
      );
    const header = [
      `# gaap-operator ${opts.version}: the CustomResourceDefinitions and the operator (deploy/), image ${opts.image}`,
      "# kubectl apply -f gaap-operator.yaml; the operator starts once Secret gaap-operator/gaap-credentials exists (README).",
    ].join("\n");
    return `${header}\n${[...crds, stdout.trimEnd()].map((doc) => `---\n${doc}`).join("\n")}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
