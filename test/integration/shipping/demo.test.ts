// npm run demo, non-interactively: it must bring up everything itself, pass every step, and clean up.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";

describe("npm run demo", () => {
  it("walks the sample workload through every step and cleans up", async () => {
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ["demo/demo.ts", "--plain"], {
        stdio: ["ignore", "pipe", "pipe"],
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
    expect(code, out.slice(-3000)).toBe(0);
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
});
