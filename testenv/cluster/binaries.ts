// Finds, or builds from the Go module proxy, the binaries the tests run: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kubectl for the control plane; helm, kustomize and actionlint for the
// chart, the install manifests and the release workflows.
//
// Resolution order for each binary: TEST_ASSET_<NAME>, then $KUBEBUILDER_ASSETS/<name>, then the
// version-keyed cache (built on demand). Nothing is ever built into the repository.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export const VERSIONS = Object.freeze({
  kubernetes: "1.35.4",
  etcd: "3.6.16",
  helm: "4.3.2",
  kustomize: "5.8.2",
  actionlint: "1.7.12",
});

/** Tools that are one main package of one Go module, built with their version stamped in. */
const GO_TOOLS = {
  helm: {
    module: "helm.sh/helm/v4",
    pkg: "helm.sh/helm/v4/cmd/helm",
    versionVar: "helm.sh/helm/v4/internal/version.version",
  },
  kustomize: {
    module: "sigs.k8s.io/kustomize/kustomize/v5",
    pkg: "sigs.k8s.io/kustomize/kustomize/v5",
    versionVar: "sigs.k8s.io/kustomize/api/provenance.version",
  },
  actionlint: {
    module: "github.com/rhysd/actionlint",
    pkg: "github.com/rhysd/actionlint/cmd/actionlint",
    versionVar: "github.com/rhysd/actionlint.version",
  },
} as const;
type GoToolName = keyof typeof GO_TOOLS;
const isGoTool = (name: string): name is GoToolName => name in GO_TOOLS;

export const BINARIES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
  "helm",
  "kustomize",
  "actionlint",
] as const;
export type BinaryName = (typeof BINARIES)[number];
export type BinaryPaths = Readonly<Record<BinaryName, string>>;

type Source = "TEST_ASSET" | "KUBEBUILDER_ASSETS" | "cache";
interface Resolved {
  path: string;
  source: Source;
  present: boolean;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GAAP_OPERATOR_CACHE) return env.GAAP_OPERATOR_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "gaap-operator");
}

const k8sDir = (env: NodeJS.ProcessEnv) => join(cacheRoot(env), "k8s", `v${VERSIONS.kubernetes}`);
const etcdDir = (env: NodeJS.ProcessEnv) => join(cacheRoot(env), "etcd", `v${VERSIONS.etcd}`);
const goToolDir = (name: GoToolName, env: NodeJS.ProcessEnv) =>
  join(cacheRoot(env), name, `v${VERSIONS[name]}`);

function cachedPath(name: BinaryName, env: NodeJS.ProcessEnv): string {
  const dir = name === "etcd" ? etcdDir(env) : isGoTool(name) ? goToolDir(name, env) : k8sDir(env);
  return join(dir, "bin", name);
}

export function resolveBinaries(env: NodeJS.ProcessEnv = process.env): Record<BinaryName, Resolved> {
  const out = {} as Record<BinaryName, Resolved>;
  for (const name of BINARIES) {
    const assetVar = `TEST_ASSET_${name.toUpperCase().replaceAll("-", "_")}`;
    const fromVar = env[assetVar];
    const fromAssets = env.KUBEBUILDER_ASSETS ? join(env.KUBEBUILDER_ASSETS, name) : undefined;
    let resolved: Resolved;
    if (fromVar) resolved = { path: fromVar, source: "TEST_ASSET", present: existsSync(fromVar) };
    else if (fromAssets && existsSync(fromAssets))
      resolved = { path: fromAssets, source: "KUBEBUILDER_ASSETS", present: true };
    else {
      const path = cachedPath(name, env);
      resolved = { path, source: "cache", present: existsSync(path) };
    }
    if (resolved.source === "TEST_ASSET" && !resolved.present) {
      throw new Error(`${assetVar}=${fromVar} does not exist`);
    }
    out[name] = resolved;
  }
  return out;
}

export type Log = (line: string) => void;

/** Returns the path of every binary, building into the cache whatever is missing. */
export async function ensureBinaries(log: Log = console.error, env = process.env): Promise<BinaryPaths> {
  const resolved = resolveBinaries(env);
  const missing = BINARIES.filter((n) => !resolved[n].present);
  if (missing.length > 0) {
    await checkGo(log);
    if (missing.includes("etcd")) await buildEtcd(log, env);
    for (const n of missing) if (isGoTool(n)) await buildGoTool(n, log, env);
    const k8s = missing.filter((n) => n !== "etcd" && !isGoTool(n));
    if (k8s.length > 0) await buildKubernetes(k8s, log, env);
  }
  const paths = {} as Record<BinaryName, string>;
  for (const n of BINARIES) paths[n] = resolved[n].path;
  return Object.freeze(paths);
}

async function checkGo(log: Log): Promise<void> {
  try {
    const out = await run("go", ["env", "GOVERSION"], {});
    log(`building missing control-plane binaries with ${out.trim()} into ${cacheRoot()}`);
  } catch {
    throw new Error(
      "the control-plane binaries are not built yet and `go` was not found: install Go 1.26+ " +
        "or point KUBEBUILDER_ASSETS (etcd, kube-apiserver, kubectl) and TEST_ASSET_KUBE_CONTROLLER_MANAGER / " +
        "TEST_ASSET_KUBE_SCHEDULER at prebuilt binaries",
    );
  }
}
async function buildEtcd(log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = etcdDir(env);
  const src = join(dir, "src");
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "go.mod"), `module gaap-operator.local/etcd-build\n\ngo 1.24\n`);
  await writeFile(join(src, "tools.go"), toolsFile(["go.etcd.io/etcd/server/v3"]));
  log(`etcd v${VERSIONS.etcd}: resolving modules`);
  await run("go", ["get", `go.etcd.io/etcd/server/v3@v${VERSIONS.etcd}`], { cwd: src });
  await run("go", ["mod", "tidy"], { cwd: src });
  await goBuild(
    src,
    join(dir, "bin"),
    ["go.etcd.io/etcd/server/v3"],
    ["etcd"],
    [],
    `etcd v${VERSIONS.etcd}`,
    log,
  );
}

async function buildGoTool(name: GoToolName, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const tool = GO_TOOLS[name];
  const version = `v${VERSIONS[name]}`;
  const dir = goToolDir(name, env);
  const src = join(dir, "src");
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "go.mod"), `module gaap-operator.local/${name}-build\n\ngo 1.24\n`);
  await writeFile(join(src, "tools.go"), toolsFile([tool.pkg]));
  log(`${name} ${version}: resolving modules`);
  await run("go", ["get", `${tool.module}@${version}`], { cwd: src });
  await run("go", ["mod", "tidy"], { cwd: src });
  const ldflags = ["-s", "-w", "-X", `${tool.versionVar}=${version}`];
  await goBuild(src, join(dir, "bin"), [tool.pkg], [name], [], `${name} ${version}`, log, ldflags);
}

async function buildKubernetes(names: BinaryName[], log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const v = VERSIONS.kubernetes;
  const dir = k8sDir(env);
  const src = join(dir, "src");
  await mkdir(src, { recursive: true });
  log(`kubernetes v${v}: resolving modules`);
  // k8s.io/kubernetes pins its staging modules at v0.0.0 with local replaces; replace each one with the
  // published v0.X.Y tag instead. The list is read from upstream's own go.mod so it follows the version.
  const info = JSON.parse(
    await run("go", ["mod", "download", "-json", `k8s.io/kubernetes@v${v}`], { cwd: src }),
  );
  const upstream = await readFile(info.GoMod as string, "utf8");
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]);
  const godebug = upstream.match(/^godebug .*$/m)?.[0] ?? "";
  const stagingVersion = `v0.${v.split(".").slice(1).join(".")}`;
  const goMod = [
    "module gaap-operator.local/k8s-build",
    "",
    "go 1.25.0",
    "",
    godebug,
    "",
    `require k8s.io/kubernetes v${v}`,
    "",
    "replace (",
    ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`),
    ")",
    "",
  ].join("\n");
  await writeFile(join(src, "go.mod"), goMod);
  const pkgs = names.map((n) => `k8s.io/kubernetes/cmd/${n}`);
  await writeFile(join(src, "tools.go"), toolsFile(pkgs));
  await run("go", ["mod", "tidy"], { cwd: src });
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const [, minor] = v.split(".");
  const ldflags = ["-s", "-w"];
  for (const p of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    for (const [k, val] of Object.entries({
      gitVersion: `v${v}`,
      gitMajor: "1",
      gitMinor: minor,
      gitTreeState: "clean",
      buildDate: date,
    })) {
      ldflags.push("-X", `${p}.${k}=${val}`);
    }
  }
  await goBuild(
    src,
    join(dir, "bin"),
    pkgs,
    names,
    ["-tags", "selinux,notest"],
    `kubernetes v${v}`,
    log,
    ldflags,
  );
}

function toolsFile(pkgs: string[]): string {
  return `//go:build tools\n\npackage tools\n\nimport (\n${pkgs.map((p) => `\t_ "${p}"`).join("\n")}\n)\n`;
}

/** One `go build` for all packages of a module; binaries land in bin/ only once all are built. */
async function goBuild(
  src: string,
  binDir: string,
  pkgs: string[],
  names: string[],
  extra: string[],
  label: string,
  log: Log,
  ldflags: string[] = ["-s", "-w"],
): Promise<void> {
  const total = (await run("go", ["list", "-deps", ...extra, ...pkgs], { cwd: src }))
    .split("\n")
    .filter(Boolean).length;
  const tmp = `${binDir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  log(
    `${label}: building ${names.join(", ")} (${total} packages; a cold build takes 10-25 minutes on 2 cores)`,
  );
  const started = Date.now();
  let done = 0;
  let lastReport = 0;
  await run(
    "go",
    ["build", "-v", "-trimpath", ...extra, "-ldflags", ldflags.join(" "), "-o", `${tmp}/`, ...pkgs],
    { cwd: src, env: { CGO_ENABLED: "0" } },
    (line) => {
      // `go build -v` names each package as it is compiled: a progress count.
      if (!/^[\w.-]+(\/[\w.@~+-]+)+$|^[\w-]+$/.test(line)) return;
      done++;
      const now = Date.now();
      if (now - lastReport > 15_000) {
        lastReport = now;
        log(`${label}: ${done}/${total} packages compiled, ${Math.round((now - started) / 1000)}s`);
      }
    },
  );
  await mkdir(binDir, { recursive: true });
  for (const n of names) await rename(join(tmp, n === "etcd" ? "server" : n), join(binDir, n));
  await rm(tmp, { recursive: true, force: true });
  log(`${label}: built in ${Math.round((Date.now() - started) / 1000)}s into ${binDir}`);
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> },
  onStderrLine?: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, GOFLAGS: "-mod=mod", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      const text = partial + d.toString();
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        onStderrLine?.(l);
        stderr = `${stderr}${l}\n`.slice(-8000);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (exit ${code}):\n${stderr.slice(-4000)}`),
        );
    });
  });
}
