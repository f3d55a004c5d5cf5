// npm run demo, non-interactively: it must bring up everything itself, pass every step, and clean up; and on a
// machine that has neither the control-plane binaries nor Go, say what it needs instead of failing obscurely.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

/** Runs the demo with --plain and collects everything it prints. */
function demo(env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["demo/demo.ts", "--plain"], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", (c) => resolve({ code: c, out }));
  });
}

describe("npm run demo", () => {
  it("walks the sample workload through every step and cleans up", async () => {
    const { code, out } = await demo();
    expect(code, out.slice(-3000)).toBe(0);
    // The binaries were built before (the suite's global setup): the demo says so instead of building.
    expect(out).toMatch(/control-plane binaries: found/);
    expect(out).not.toMatch(/\[build\]/);
    // The operator requires grants, as installed; the demo's namespace gets one for its two listeners.
    expect(out).toMatch(
      /GaapListenerGrant demo: namespace demo may bind listener-aaaa1111 and listener-eeee5555/,
    );
    expect(out.match(/-> done in/g)).toHaveLength(8);
    // The gated rollout: new pods seen waiting on GAAP, then all six Ready with their gate Bound.
    expect(out).toMatch(/readiness gate: [^\n]*\d+ Binding/);
    expect(out).toMatch(/6\/6 pods ready; readiness gate: 6 Bound/);
    expect(out).toMatch(/Degraded: MassUnbind/);
    // The HTTP listener's rule, found by domain and path, holds the same two pods.
    expect(out).toMatch(
      /rule rule-aaaa1111 \(www\.example\.com\/ of HTTP listener-eeee5555\) status 0: 2 origin\(s\) [^\n]*binding web-http Ready=True \(InSync\)/,
    );
    expect(out).toMatch(/origin servers registered: 0/);
    expect(out).toMatch(/Demo complete/);
    // Its run directories (the control plane's, holding the kubeconfig, and its processes', holding the operator's
    // log) are gone. Named from its own output, so another test run on the machine cannot confuse the check.
    const dirs = ["kubeconfig", "operator log"].map((what) => {
      const path = new RegExp(`${what}: (\\S+)`).exec(out)?.[1];
      expect(path, `the demo prints its ${what}`).toBeDefined();
      return dirname(path as string);
    });
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  }, 240_000);

  it("without the binaries and without Go, says what a first run needs and stops before starting anything", async () => {
    // An empty cache and a PATH with nothing on it: no go, and no binaries given through the environment.
    const cache = mkdtempSync(join(tmpdir(), "demo-cache-"));
    const path = mkdtempSync(join(tmpdir(), "demo-path-"));
    const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, GAAP_OPERATOR_CACHE: cache, PATH: path };
    const started = Date.now();
    const { code, out } = await demo(env);
    expect(code, out).toBe(1);
    expect(out).toMatch(
      /first run: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl must be built from source/,
    );
    expect(out).toMatch(/needs Go 1\.26\+ on the PATH and access to the Go module proxy/);
    expect(out).toMatch(/takes 5 to 25 minutes on 2 cores, once, [^\n]*about 6 GB/);
    expect(out).toMatch(/demo cannot start: .*`go` was not found: install Go 1\.26\+/);
    // It stopped before the control plane: nothing started, nothing written to the cache.
    expect(out).not.toMatch(/starting the control plane/);
    expect(readdirSync(cache)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
