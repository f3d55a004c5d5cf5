// The release path, with the real tools: the workflows pass actionlint (with shellcheck), the chart passes helm lint
// and packages with its CRDs and schema, the schema refuses bad values, the release's gaap-operator.yaml applies
// with the image by digest, and docs/install.md's "your own image" commands run as written on the real apiserver.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { debianTools } from "../../../testenv/cluster/debian-tools.ts";
import { eventually } from "../../support/eventually.ts";
import { helmTemplate, manifestObjects } from "../../support/manifests.ts";

const exec = promisify(execFile);
const info = inject("cluster");
const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;
const NS = "gaap-operator";
const kubectl = async (...args: string[]) =>
  (await exec(info.kubectl, ["--kubeconfig", info.kubeconfigPath, ...args], { maxBuffer: 64 << 20 })).stdout;
const deploymentImage = async () =>
  JSON.parse(await kubectl("get", "deployment", "gaap-operator", "-n", NS, "-o", "json")).spec.template.spec
    .containers[0].image as string;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => "succeeded",
    (err: { stdout?: string; stderr?: string; message: string }) =>
      `${err.stdout ?? ""}${err.stderr ?? err.message}`,
  );

/** A doc's sh blocks of one section, one command per line, the image build and push left out (no engine here). */
function docCommands(file: string, heading: string): string[][] {
  const readme = readFileSync(file, "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `${file} section ${heading}`).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf("\n#", start + heading.length + 2));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    (m[1] as string)
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .filter((l) => l.trim() && !/^(docker|podman) /.test(l)),
  );
}

describe("the release path", () => {
  it("the workflows pass actionlint with shellcheck, which does catch a broken one", async () => {
    const { shellcheck } = await debianTools("shellcheck", ["shellcheck"]);
    const lint = (...files: string[]) => exec(info.actionlint, ["-shellcheck", shellcheck, ...files]);
    const ours = await lint(".github/workflows/ci.yml", ".github/workflows/release.yml");
    expect(ours.stdout).toBe("");
    const dir = mkdtempSync(join(tmpdir(), "actionlint-"));
    const bad = join(dir, "bad.yml");
    writeFileSync(
      bad,
      [
        "on: pull_request",
        "jobs:",
        "  x:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        // An untrusted expression inlined in a script, and an unquoted variable (shellcheck's SC2086).
        `      - run: echo "${"$"}{{ github.event.pull_request.title }}" $UNQUOTED`,
        "      - uses: actions/checkout@v5",
        "        with: { nonsense: true }",
      ].join("\n"),
    );
    const out = await failure(lint(bad));
    expect(out).toMatch(/potentially untrusted/);
    expect(out).toMatch(/shellcheck reported issue.*SC2086/);
    expect(out).toMatch(/input "nonsense" is not defined/);
  });

  it("the chart passes helm lint --strict and packages with its CRDs and values schema", async () => {
    const lint = await exec(info.helm, ["lint", "--strict", "deploy/helm/gaap-operator"]);
    expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const dir = mkdtempSync(join(tmpdir(), "helm-package-"));
    await exec(info.helm, ["package", "deploy/helm/gaap-operator", "--destination", dir]);
    const tgz = join(dir, `gaap-operator-${version}.tgz`);
    const files = (await exec("tar", ["tzf", tgz])).stdout.split("\n");
    expect(files).toEqual(
      expect.arrayContaining([
        "gaap-operator/Chart.yaml",
        "gaap-operator/values.schema.json",
        "gaap-operator/crds/gaap.operator.dev_gaaplistenerbindings.yaml",
      ]),
    );
    const packagedCrd = (
      await exec("tar", ["xzOf", tgz, "gaap-operator/crds/gaap.operator.dev_gaaplistenerbindings.yaml"])
    ).stdout;
    expect(packagedCrd).toBe(readFileSync("crds/gaap.operator.dev_gaaplistenerbindings.yaml", "utf8"));
    const chart = (await exec(info.helm, ["show", "chart", tgz])).stdout;
    expect(chart).toMatch(new RegExp(`^version: ${version.replaceAll(".", "\\.")}$`, "m"));
    // The packaged chart renders the image of its own appVersion.
    const rendered = manifestObjects(
      (await exec(info.helm, ["template", "gaap-operator", tgz, "-n", NS])).stdout,
    );
    const d = rendered.find((o) => o.kind === "Deployment");
    expect(d.spec.template.spec.containers[0].image).toBe(`ghcr.io/gaap-operator/gaap-operator:${version}`);
  });

  it.each([
    { set: "replicaCount=two", error: /replicaCount.*got string, want integer/ },
    { set: "credentials.source=vault", error: /credentials\/source.*must be one of 'file', 'env', 'oidc'/ },
    { set: "image.digest=sha256:abc", error: /image\/digest/ },
    { set: "image.tagg=1.0", error: /additional properties 'tagg' not allowed/ },
    { set: "rates.write=0", error: /rates\/write.*minimum/ },
    {
      set: "webhook.certificate=bogus",
      error: /webhook\/certificate.*must be one of 'generate', 'certManager', 'none'/,
    },
    { set: "logLevel=verbose", error: /logLevel/ },
    { set: "extraArgs[0]=workers=3", error: /extraArgs\/0/ },
  ])("values.schema.json refuses $set", async ({ set, error }) => {
    expect(await failure(helmTemplate(info, { set: [set] }))).toMatch(error);
  });

  it("image.digest pins the image by digest, over the tag", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const out = await helmTemplate(info, { set: [`image.digest=${digest},image.tag=9.9.9`] });
    const d = out.find((o) => o.kind === "Deployment");
    expect(d.spec.template.spec.containers[0].image).toBe(`ghcr.io/gaap-operator/gaap-operator@${digest}`);
  });

  describe("on the real apiserver", () => {
    const repo = mkdtempSync(join(tmpdir(), "checkout-"));
    const env = {
      ...process.env,
      KUBECONFIG: info.kubeconfigPath,
      PATH: [dirname(info.kubectl), dirname(info.kustomize), dirname(info.helm), process.env.PATH].join(":"),
    };
    const run = (line: string) => exec("bash", ["-euo", "pipefail", "-c", line], { cwd: repo, env });
    const [kustomizeBlock, helmBlock] = docCommands("docs/install.md", "### Your own image, from a checkout");

    beforeAll(async () => {
      for (const d of ["crds", "deploy"]) cpSync(d, join(repo, d), { recursive: true });
      // Another file's clean-up may still be deleting the namespace: wait until it is gone or in use.
      await eventually(
        async () => {
          const phase = await kubectl("get", "namespace", NS, "-o", "jsonpath={.status.phase}").catch(
            () => "",
          );
          expect(phase).not.toBe("Terminating");
        },
        { what: `namespace ${NS} not terminating`, timeoutMs: 120_000 },
      );
    });

    /** Everything deploy/ made, but the namespace (which other files may be waiting to use). */
    const removeDeploy = async () => {
      const objects = (await run("kustomize build deploy")).stdout;
      const file = join(repo, "remove.yaml");
      writeFileSync(
        file,
        manifestObjects(objects)
          .filter((o) => o.kind !== "Namespace")
          .map((o) => JSON.stringify(o))
          .join("\n---\n"),
      );
      await kubectl("delete", "-f", file, "--ignore-not-found", "--wait=false");
    };

    it("docs/install.md's kustomize commands point deploy/ at your image", async () => {
      expect(kustomizeBlock).toEqual([
        "kubectl apply -f crds/",
        "(cd deploy && kustomize edit set image gaap-operator=registry.example.com/you/gaap-operator:dev)",
        "kubectl apply -k deploy/",
      ]);
      for (const line of kustomizeBlock as string[]) await run(line);
      expect(await deploymentImage()).toBe("registry.example.com/you/gaap-operator:dev");
    });

    it("the release's gaap-operator.yaml holds the CRDs first, names the image by digest and applies", async () => {
      const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
      const image = `ghcr.io/gaap-operator/gaap-operator@${digest}`;
      const cli = (...args: string[]) => exec(process.execPath, ["release/cli.ts", "manifest", ...args]);
      expect(
        await failure(
          cli("--image", "ghcr.io/gaap-operator/gaap-operator:0.1.0", "--kustomize", info.kustomize),
        ),
      ).toMatch(/--image must name the image by digest/);
      const { stdout } = await cli("--image", image, "--kustomize", info.kustomize);
      expect(stdout).toMatch(new RegExp(`^# gaap-operator ${version.replaceAll(".", "\\.")}: `));
      const docs = manifestObjects(stdout);
      const kinds = stdout.match(/^kind: \w+/gm) ?? [];
      expect(kinds[0]).toBe("kind: CustomResourceDefinition");
      const deployment = docs.find((o) => o.kind === "Deployment");
      expect(deployment.spec.template.spec.containers[0].image).toBe(image);
      // The same objects as deploy/, but the image.
      const deploy = manifestObjects((await exec(info.kustomize, ["build", "deploy"])).stdout);
      expect(
        docs.filter((o) => o.kind !== "CustomResourceDefinition").map((o) => `${o.kind}/${o.metadata.name}`),
      ).toEqual(deploy.map((o) => `${o.kind}/${o.metadata.name}`));
      mkdirSync(join(repo, "release"), { recursive: true });
      const file = join(repo, "release", "gaap-operator.yaml");
      writeFileSync(file, stdout);
      await kubectl("apply", "-f", file);
      expect(await deploymentImage()).toBe(image);
      await removeDeploy();
    });

    it("docs/install.md's Helm command points the chart at your image, and installs on the real apiserver", async () => {
      expect(helmBlock).toHaveLength(1);
      expect(helmBlock?.[0]).toMatch(
        /--set image.repository=registry.example.com\/you\/gaap-operator --set image.tag=dev$/,
      );
      // The objects deploy/ made are on their way out: Helm refuses objects it does not own.
      await eventually(
        async () =>
          expect(await failure(kubectl("get", "serviceaccount", "gaap-operator", "-n", NS))).toMatch(
            /NotFound/,
          ),
        {
          what: "deploy/'s objects deleted",
        },
      );
      try {
        await exec("bash", ["-euo", "pipefail", "-c", (helmBlock as string[])[0] as string], {
          cwd: process.cwd(),
          env,
        });
        expect(await deploymentImage()).toBe("registry.example.com/you/gaap-operator:dev");
      } finally {
        await exec(info.helm, ["uninstall", "gaap-operator", "-n", NS, "--wait=false"], { env }).catch(
          () => {},
        );
      }
    });
  });
});
