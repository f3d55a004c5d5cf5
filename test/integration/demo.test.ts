// npm run demo, non-interactively: it must bring up everything itself, pass every step, and clean up.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { RUN_DIR_PREFIX } from "../harness/processes.ts";

describe("npm run demo", () => {
  it("walks the sample workload through every step and cleans up", async () => {
    const runsBefore = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith(RUN_DIR_PREFIX)));
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
    expect(out.match(/-> done in/g)).toHaveLength(6);
    expect(out).toMatch(/Degraded: MassUnbind/);
    expect(out).toMatch(/origin servers registered: 0/);
    expect(out).toMatch(/Demo complete/);
    // Its control plane's run directory is gone.
    const left = readdirSync(tmpdir()).filter((d) => d.startsWith(RUN_DIR_PREFIX) && !runsBefore.has(d));
    expect(left).toEqual([]);
  }, 240_000);
});
