import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BINARIES,
  CONTROL_PLANE_BINARIES,
  cacheRoot,
  elapsed,
  ensureBinaries,
  missingBinaries,
  resolveBinaries,
  VERSIONS,
  withProgress,
} from "../../../testenv/cluster/binaries.ts";

function fakeBinary(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
  return path;
}

describe("control-plane binary resolution", () => {
  const base = mkdtempSync(join(tmpdir(), "bins-"));
  const cache = join(base, "cache");

  it("keys the cache by pinned version", () => {
    const r = resolveBinaries({ GAAP_OPERATOR_CACHE: cache });
    expect(r.etcd.path).toBe(join(cache, "etcd", `v${VERSIONS.etcd}`, "bin", "etcd"));
    expect(r["kube-apiserver"].path).toBe(
      join(cache, "k8s", `v${VERSIONS.kubernetes}`, "bin", "kube-apiserver"),
    );
    for (const n of BINARIES) {
      expect(r[n].source).toBe("cache");
      expect(r[n].present).toBe(false);
    }
  });

  it("defaults the cache under XDG_CACHE_HOME, outside the repository", () => {
    expect(cacheRoot({ XDG_CACHE_HOME: "/x" })).toBe("/x/gaap-operator");
  });

  it("prefers TEST_ASSET_* over KUBEBUILDER_ASSETS over the cache", () => {
    const assets = join(base, "assets");
    fakeBinary(assets, "etcd");
    fakeBinary(assets, "kube-apiserver");
    const explicit = fakeBinary(join(base, "explicit"), "my-apiserver");
    const r = resolveBinaries({
      GAAP_OPERATOR_CACHE: cache,
      KUBEBUILDER_ASSETS: assets,
      TEST_ASSET_KUBE_APISERVER: explicit,
    });
    expect(r["kube-apiserver"]).toEqual({ path: explicit, source: "TEST_ASSET", present: true });
    expect(r.etcd).toEqual({ path: join(assets, "etcd"), source: "KUBEBUILDER_ASSETS", present: true });
    // Not in the assets folder: falls back to the cache (built there on demand).
    expect(r["kube-scheduler"].source).toBe("cache");
  });

  it("refuses a TEST_ASSET_* that names a missing file", () => {
    expect(() => resolveBinaries({ TEST_ASSET_ETCD: join(base, "nope") })).toThrow(
      /TEST_ASSET_ETCD=.*does not exist/,
    );
  });
});

describe("the progress of a build", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a long step says how long it has run, every interval, with what it has done so far, until it ends", async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    let done = 0;
    let finish: () => void = () => {};
    const step = withProgress(
      (l) => lines.push(l),
      "[2/3] kubernetes v1.35.4",
      () => `${done}/900 packages compiled`,
      () => new Promise<void>((r) => (finish = r)),
      15_000,
    );
    await vi.advanceTimersByTimeAsync(14_000);
    expect(lines).toEqual([]);
    done = 120;
    await vi.advanceTimersByTimeAsync(1_000);
    done = 480;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toEqual([
      "[2/3] kubernetes v1.35.4: 120/900 packages compiled, 15s",
      "[2/3] kubernetes v1.35.4: 480/900 packages compiled, 30s",
      "[2/3] kubernetes v1.35.4: 480/900 packages compiled, 45s",
      "[2/3] kubernetes v1.35.4: 480/900 packages compiled, 1m00s",
      "[2/3] kubernetes v1.35.4: 480/900 packages compiled, 1m15s",
    ]);
    finish();
    await step;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(5);
  });

  it("stops reporting when the step fails, and passes the failure on", async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const step = withProgress(
      (l) => lines.push(l),
      "etcd",
      () => "resolving",
      () => Promise.reject(new Error("proxy unreachable")),
      1_000,
    );
    await expect(step).rejects.toThrow("proxy unreachable");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines).toEqual([]);
  });

  it("writes elapsed time as seconds, then minutes and seconds", () => {
    expect(elapsed(0, 4_400)).toBe("4s");
    expect(elapsed(0, 59_000)).toBe("59s");
    expect(elapsed(0, 185_000)).toBe("3m05s");
  });

  it("names the control-plane binaries a demo lacks, and only those", () => {
    const cache = mkdtempSync(join(tmpdir(), "bins-missing-"));
    expect(missingBinaries(CONTROL_PLANE_BINARIES, { GAAP_OPERATOR_CACHE: cache })).toEqual([
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kubectl",
    ]);
    fakeBinary(join(cache, "etcd", `v${VERSIONS.etcd}`, "bin"), "etcd");
    expect(missingBinaries(CONTROL_PLANE_BINARIES, { GAAP_OPERATOR_CACHE: cache })).not.toContain("etcd");
    expect(missingBinaries(undefined, { GAAP_OPERATOR_CACHE: cache })).toContain("helm");
  });
});

describe("a build, with a stand-in for go", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("says what it builds, step by step, and where the binary went", async () => {
    // A `go` that answers the build's calls at once: its version, three packages, and a build that writes the
    // binary where -o says (etcd's main package is called server) and names one package as it compiles it.
    const bin = mkdtempSync(join(tmpdir(), "fake-go-"));
    writeFileSync(
      join(bin, "go"),
      [
        "#!/bin/sh",
        'case "$1" in',
        "  env) echo go1.26.0 ;;",
        "  list) printf 'a\\nb\\nc\\n' ;;",
        '  build) while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; echo go.etcd.io/etcd/server/v3 >&2; : > "$out"server ;;',
        "esac",
        "",
      ].join("\n"),
    );
    chmodSync(join(bin, "go"), 0o755);
    process.env.PATH = `${bin}:${path}`;
    const cache = mkdtempSync(join(tmpdir(), "bins-build-"));
    const lines: string[] = [];
    const paths = await ensureBinaries((l) => lines.push(l), { GAAP_OPERATOR_CACHE: cache }, ["etcd"]);
    const label = `[1/1] etcd v${VERSIONS.etcd}`;
    expect(lines[0]).toBe(`building etcd with go1.26.0 from the Go module proxy into ${cache}`);
    expect(lines[1]).toMatch(
      /^a first build takes 5 to 25 minutes on 2 cores, .*about 6 GB; later runs find/,
    );
    expect(lines.slice(2, 4)).toEqual([
      `${label}: resolving and downloading modules`,
      `${label}: compiling etcd (3 packages)`,
    ]);
    expect(lines[4]).toMatch(
      new RegExp(`^\\[1/1\\] etcd v${VERSIONS.etcd}: built in \\d+s into ${cache}/etcd/`),
    );
    expect(lines[5]).toMatch(/^built etcd in \d+s$/);
    expect(lines).toHaveLength(6);
    expect(paths.etcd).toBe(join(cache, "etcd", `v${VERSIONS.etcd}`, "bin", "etcd"));
    expect(existsSync(paths.etcd)).toBe(true);
  });
});
