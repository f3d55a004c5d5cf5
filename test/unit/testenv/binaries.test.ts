import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BINARIES, cacheRoot, resolveBinaries, VERSIONS } from "../../../testenv/cluster/binaries.ts";

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
