// What the image holds, checked without a container engine: a production install (npm ci --omit=dev plus the
// compiled JavaScript) starts, answers --help and --version, and runs against the cluster and the emulator; credentials from a
// mounted Secret are picked up again when they rotate, without a restart.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { ProcessGroup, RUN_DIR_PREFIX } from "../../../testenv/cluster/processes.ts";
import { gaapClient } from "../../../testenv/gaap.ts";
import { Grants } from "../../../testenv/grants.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { createWeb, L, type Scenario, scale, scenario, untilBound } from "../../support/scenario.ts";

const exec = promisify(execFile);

describe("production install", () => {
  const dir = mkdtempSync(join(tmpdir(), "gaap-prod-"));
  let s: Scenario;
  let group: ProcessGroup;
  let operatorBuildHadEmulator = true;

  beforeAll(async () => {
    // As the Dockerfile does: production dependencies only, then the compiled output.
    cpSync("package.json", join(dir, "package.json"));
    cpSync("package-lock.json", join(dir, "package-lock.json"));
    await exec(
      "npm",
      ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
      { cwd: dir },
    );
    await exec(process.execPath, [
      "node_modules/typescript/bin/tsc",
      "-p",
      "tsconfig.build.json",
      "--outDir",
      join(dir, "dist"),
    ]);
    // The operator's build carries no emulator; the emulator builds on its own (it imports nothing from src/).
    operatorBuildHadEmulator = existsSync(join(dir, "dist/emulator"));
    await exec(process.execPath, [
      "node_modules/typescript/bin/tsc",
      "-p",
      "tsconfig.emulator.json",
      "--outDir",
      join(dir, "dist/emulator"),
    ]);
    s = await scenario("prod", { start: false });
    group = new ProcessGroup(mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX)));
  }, 300_000);
  const grants = new Grants(testCluster().kc);
  const grantName = () => `${s.ns}-prod`;
  afterAll(async () => {
    if (s) await grants.delete(grantName());
    await group?.close();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("builds the emulator apart from the operator, and runs it from the production install", async () => {
    expect(operatorBuildHadEmulator).toBe(false);
    const { stdout } = await exec(process.execPath, [join(dir, "dist/emulator/main.js"), "--help"]);
    expect(stdout).toContain("Usage: gaap-emulator");
  });

  it("has no development dependencies", () => {
    const installed = JSON.parse(readFileSync(join(dir, "node_modules/.package-lock.json"), "utf8"))
      .packages as Record<string, unknown>;
    for (const dev of [
      "node_modules/vitest",
      "node_modules/typescript",
      "node_modules/@biomejs/biome",
      "node_modules/node",
    ]) {
      expect(installed[dev], dev).toBeUndefined();
    }
    expect(installed["node_modules/@kubernetes/client-node"]).toBeDefined();
  });

  it("answers --help, and --version with package.json's version (read beside dist/, as in the image)", async () => {
    const { stdout } = await exec(process.execPath, [join(dir, "dist/main.js"), "--help"]);
    expect(stdout).toMatch(/^Usage: gaap-operator/);
    const version = JSON.parse(readFileSync("package.json", "utf8")).version;
    const answer = await exec(process.execPath, [join(dir, "dist/main.js"), "--version"]);
    expect(answer.stdout).toBe(`${version}\n`);
  });

  it("runs: binds a Service, reading credentials from Secret files, and follows their rotation", async () => {
    const creds = join(dir, "credentials");
    mkdirSync(creds);
    writeFileSync(join(creds, "TENCENTCLOUD_SECRET_ID"), "AKIDexample\n");
    writeFileSync(join(creds, "TENCENTCLOUD_SECRET_KEY"), "example-key\n");
    const proc = group.start("prod", process.execPath, [
      join(dir, "dist/main.js"),
      "--kubeconfig",
      s.c.info.kubeconfigPath,
      "--gaap-endpoint",
      s.emu.url,
      "--watch-namespace",
      s.ns,
      "--credentials",
      "file",
      "--credentials-dir",
      creds,
      "--verify-interval",
      "2s",
      "--busy-poll",
      "100ms",
      "--metrics-bind-address",
      "127.0.0.1:0",
      "--health-probe-bind-address",
      "127.0.0.1:0",
      "--webhook-port",
      "0",
    ]);
    // Grants are required by default, as installed: this namespace may bind the listener.
    await grants.create(grantName(), { namespaces: [s.ns], targets: [{ listenerId: L.wrr }] });
    await createWeb(s, 2);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 2 });

    // The account's key is rotated: the old one stops working...
    const state = s.emu.snapshot();
    const rotated = { secretId: "AKIDexample", secretKey: "rotated-key" };
    s.emu.reset({ ...state, credentials: [rotated] });
    s.gaap = gaapClient(s.emu.url, { credential: rotated });
    await scale(s, 3);
    await eventually(
      async () =>
        expect(condition(await s.bindings.get("web"), "Degraded")?.reason).toBe(
          "AuthFailure_SignatureFailure",
        ),
      { what: "signature failure reported" },
    );
    // ...and once the Secret's files change, the same process uses the new one.
    writeFileSync(join(creds, "TENCENTCLOUD_SECRET_KEY"), "rotated-key\n");
    await untilBound(s, L.wrr, 8080, { count: 3, timeoutMs: 90_000 });
    expect(proc.running).toBe(true);
    expect(readFileSync(proc.logPath, "utf8")).not.toContain("rotated-key");
    await proc.stop();
    expect(await proc.exited).toBe(0);
  });
});
