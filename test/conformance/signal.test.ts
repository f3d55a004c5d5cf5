// The command as a user runs it (`gaap-operator conformance --write ...`, a real process): Ctrl-C or a closed
// terminal in the middle of a bind task stops the run, a second signal does not cut cleanup short, and the
// account is left as it was, with exit code 1 and the interruption said.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { DEMO_CREDENTIAL } from "../../testenv/gaap.ts";
import { eventually } from "../support/eventually.ts";
import { account, ips, LISTENER } from "./world.ts";

describe("gaap-operator conformance, interrupted", () => {
  let emu: GaapEmulator;
  beforeEach(async () => {
    // Tasks long enough for the signal to land inside one.
    emu = await startEmulator({ state: account({ bindTaskMs: 1500 }) });
  });
  afterEach(() => emu.close());

  it.each(["SIGINT", "SIGHUP"] as const)(
    "on %s during a bind task, cleans up, leaves the account as it was and exits 1",
    async (signal) => {
      const before = emu.snapshot();
      const report = join(mkdtempSync(join(tmpdir(), "gaap-conformance-")), "report.json");
      const child = spawn(
        process.execPath,
        [
          "src/main.ts",
          "conformance",
          "--write",
          "--gaap-endpoint",
          emu.url,
          "--listener",
          LISTENER,
          ...ips(2).flatMap((ip) => ["--origin-ip", ip]),
          "--poll",
          "50ms",
          "--report",
          report,
        ],
        {
          env: {
            ...process.env,
            TENCENTCLOUD_SECRET_ID: DEMO_CREDENTIAL.secretId,
            TENCENTCLOUD_SECRET_KEY: DEMO_CREDENTIAL.secretKey,
          },
        },
      );
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      await eventually(
        () => expect(emu.calls.list().some((c) => c.action === "BindListenerRealServers")).toBe(true),
        { what: "the run's first bind", timeoutMs: 20_000 },
      );
      child.kill(signal);
      // A second signal does not cut cleanup short; it says cleanup is running.
      await eventually(() => expect(output).toContain(`${signal}: stopping at the next call`), {
        what: "the first signal's line",
        timeoutMs: 20_000,
      });
      child.kill(signal);
      expect(await exited).toBe(1);
      expect(output).toContain(`${signal}: cleanup is running`);
      // Each origin is named as it is made, before any report exists.
      expect(output).toMatch(/registered rs-\w+ \(198\.51\.100\.1\)/);
      const written = JSON.parse(readFileSync(report, "utf8"));
      expect(written.aborted).toContain(`interrupted (${signal})`);
      expect(written.cleanup).toEqual({ complete: true, left: [] });
      expect(emu.snapshot()).toEqual(before);
      expect(output + readFileSync(report, "utf8")).not.toContain(DEMO_CREDENTIAL.secretKey);
    },
  );
});
