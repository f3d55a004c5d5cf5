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

/** What a control plane needs (`ControlPlane.start` with `binaries`); the rest are the release-path tools. */
export const CONTROL_PLANE_BINARIES: readonly BinaryName[] = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
];

/** What a first build costs, for the messages that announce one (measured on 2 cores; Go's caches warm or cold). */
export const FIRST_BUILD_COST =
  "5 to 25 minutes on 2 cores, once, depending on what Go has cached; Go's module and build caches take about 6 GB";

/** Which of these binaries are neither given (TEST_ASSET_*, KUBEBUILDER_ASSETS) nor built yet. */
export function missingBinaries(
  names: readonly BinaryName[] = BINARIES,
  env: NodeJS.ProcessEnv = process.env,
): BinaryName[] {
  const resolved = resolveBinaries(env);
  return names.filter((n) => !resolved[n].present);
}

/**
 * Returns the path of every binary, building into the cache whichever of `names` (all by default) is missing. A
 * build says what it builds, step by step, and how long each step has run at least every 15 seconds.
 */
export async function ensureBinaries(
  log: Log = console.error,
  env = process.env,
  names: readonly BinaryName[] = BINARIES,
): Promise<BinaryPaths> {
  const resolved = resolveBinaries(env);
  const missing = names.filter((n) => !resolved[n].present);
  if (missing.length > 0) {
    const started = Date.now();
    await checkGo(log, env, missing);
    const k8s = missing.filter((n) => n !== "etcd" && !isGoTool(n));
    type Step = { what: string; build: (label: string) => Promise<void> };
    const steps: Step[] = [
      ...(missing.includes("etcd")
        ? [{ what: `etcd v${VERSIONS.etcd}`, build: (l: string) => buildEtcd(l, log, env) }]
        : []),
      ...missing
        .filter(isGoTool)
        .map((n) => ({ what: `${n} v${VERSIONS[n]}`, build: (l: string) => buildGoTool(n, l, log, env) })),
      ...(k8s.length > 0
        ? [
            {
              what: `kubernetes v${VERSIONS.kubernetes} (${k8s.join(", ")})`,
              build: (l: string) => buildKubernetes(k8s, l, log, env),
            },
          ]
        : []),
    ];
    // "[2/3] kubernetes v1.35.4 (kube-apiserver, ...)": which step of how many, in every line the step logs.
    for (const [i, step] of steps.entries()) await step.build(`[${i + 1}/${steps.length}] ${step.what}`);
    log(`built ${missing.join(", ")} in ${elapsed(started)}`);
  }
  const paths = {} as Record<BinaryName, string>;
  for (const n of BINARIES) paths[n] = resolved[n].path;
  return Object.freeze(paths);
}

/**
 * Runs one long step of a build, logging "<label>: <what>, <elapsed>" every `everyMs` until it ends, so that a
 * first build, whose module downloads and compiles take minutes, is never silent. `what` may change as it goes.
 */
export async function withProgress<T>(
  log: Log,
  label: string,
  what: () => string,
  fn: () => Promise<T>,
  everyMs = 15_000,
): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => log(`${label}: ${what()}, ${elapsed(started)}`), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** "42s", "3m05s": time since `started`. */
export function elapsed(started: number, now = Date.now()): string {
  const s = Math.round((now - started) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

async function checkGo(log: Log, env: NodeJS.ProcessEnv, missing: readonly BinaryName[]): Promise<void> {
  let version: string;
  try {
    version = (await run("go", ["env", "GOVERSION"], {})).trim();
  } catch {
    throw new Error(
      `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not built yet and \`go\` was not found: install Go 1.26+ ` +
        "(https://go.dev/dl/) and run again, or point KUBEBUILDER_ASSETS (etcd, kube-apiserver, kubectl) and " +
        "TEST_ASSET_KUBE_CONTROLLER_MANAGER / TEST_ASSET_KUBE_SCHEDULER at prebuilt binaries",
    );
  }
  log(`building ${missing.join(", ")} with ${version} from the Go module proxy into ${cacheRoot(env)}`);
  log(`a first build takes ${FIRST_BUILD_COST}; later runs find the binaries there`);
}

async function buildEtcd(label: string, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = etcdDir(env);
  const src = join(dir, "src");
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "go.mod"), `module gaap-operator.local/etcd-build\n\ngo 1.24\n`);
  await writeFile(join(src, "tools.go"), toolsFile(["go.etcd.io/etcd/server/v3"]));
  await resolving(label, log, async () => {
    await run("go", ["get", `go.etcd.io/etcd/server/v3@v${VERSIONS.etcd}`], { cwd: src });
    await run("go", ["mod", "tidy"], { cwd: src });
  });
  await goBuild(src, join(dir, "bin"), ["go.etcd.io/etcd/server/v3"], ["etcd"], [], label, log);
}

async function buildGoTool(name: GoToolName, label: string, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const tool = GO_TOOLS[name];
  const version = `v${VERSIONS[name]}`;
  const dir = goToolDir(name, env);
  const src = join(dir, "src");
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "go.mod"), `module gaap-operator.local/${name}-build\n\ngo 1.24\n`);
  await writeFile(join(src, "tools.go"), toolsFile([tool.pkg]));
  await resolving(label, log, async () => {
    await run("go", ["get", `${tool.module}@${version}`], { cwd: src });
    await run("go", ["mod", "tidy"], { cwd: src });
  });
  const ldflags = ["-s", "-w", "-X", `${tool.versionVar}=${version}`];
  await goBuild(src, join(dir, "bin"), [tool.pkg], [name], [], label, log, ldflags);
}

/** The module step of a build (go get, go mod tidy: downloads from the Go module proxy), with its progress. */
async function resolving(label: string, log: Log, fn: () => Promise<void>): Promise<void> {
  log(`${label}: resolving and downloading modules`);
  await withProgress(log, label, () => "still resolving and downloading modules", fn);
}

async function buildKubernetes(
  names: BinaryName[],
  label: string,
  log: Log,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const v = VERSIONS.kubernetes;
  const dir = k8sDir(env);
  const src = join(dir, "src");
  await mkdir(src, { recursive: true });
  const pkgs = names.map((n) => `k8s.io/kubernetes/cmd/${n}`);
  await resolving(label, log, async () => {
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
    await writeFile(join(src, "tools.go"), toolsFile(pkgs));
    await run("go", ["mod", "tidy"], { cwd: src });
  });
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
  await goBuild(src, join(dir, "bin"), pkgs, names, ["-tags", "selinux,notest"], label, log, ldflags);
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
  log(`${label}: compiling ${names.join(", ")} (${total} packages)`);
  const started = Date.now();
  let done = 0;
  await withProgress(
    log,
    label,
    () => `${done}/${total} packages compiled`,
    () =>
      run(
        "go",
        ["build", "-v", "-trimpath", ...extra, "-ldflags", ldflags.join(" "), "-o", `${tmp}/`, ...pkgs],
        { cwd: src, env: { CGO_ENABLED: "0" } },
        (line) => {
          // `go build -v` names each package as it is compiled: a progress count.
          if (/^[\w.-]+(\/[\w.@~+-]+)+$|^[\w-]+$/.test(line)) done++;
        },
      ),
  );
  await mkdir(binDir, { recursive: true });
  for (const n of names) await rename(join(tmp, n === "etcd" ? "server" : n), join(binDir, n));
  await rm(tmp, { recursive: true, force: true });
  log(`${label}: built in ${elapsed(started)} into ${binDir}`);
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
