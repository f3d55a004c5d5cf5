// The emulator's admin API (faults, call log, reset, state) and its command-line program.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { normalizeState } from "../../emulator/account/state.ts";
import type { CallRecord } from "../../emulator/call-log.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { admin, DEMO_CREDENTIAL, gaapClient, sdkError } from "../../testenv/gaap.ts";

const calls = async (url: string, query = "") =>
  (await admin<{ calls: CallRecord[]; lastSeq: number }>(url, "GET", `calls${query}`)).calls;

describe("emulator admin API", () => {
  let emu: GaapEmulator;

  beforeEach(async () => {
    emu = await startEmulator();
  });
  afterEach(async () => emu.close());

  it("injects an error code and logs the call with it", async () => {
    const gaap = gaapClient(emu.url);
    await admin(emu.url, "POST", "faults", {
      faults: [{ action: "DescribeTCPListeners", errorCode: "InternalError", count: 1 }],
    });
    const err = await sdkError(gaap.DescribeTCPListeners({ ListenerId: "listener-aaaa1111" }));
    expect(err.code).toBe("InternalError");
    // count: 1 retired the rule.
    expect((await gaap.DescribeTCPListeners({ ListenerId: "listener-aaaa1111" })).TotalCount).toBe(1);
    const log = await calls(emu.url, "?action=DescribeTCPListeners");
    expect(log.map((c) => [c.action, c.listenerId, c.code, c.injected])).toEqual([
      ["DescribeTCPListeners", "listener-aaaa1111", "InternalError", true],
      ["DescribeTCPListeners", "listener-aaaa1111", "Success", undefined],
    ]);
    expect(log[0]?.client).toMatch(/^SDK_NODEJS_/);
    expect(Date.parse(log[0]?.time as string)).not.toBeNaN();
    expect((await admin<{ faults: unknown[] }>(emu.url, "GET", "faults")).faults).toEqual([]);
  });

  it("applies an error rate from a seeded generator: the same seed gives the same sequence", async () => {
    const gaap = gaapClient(emu.url);
    const run = async () => {
      await admin(emu.url, "POST", "faults", {
        seed: 42,
        faults: [{ action: "*", errorCode: "InternalError", rate: 0.3 }],
      });
      const out: string[] = [];
      for (let i = 0; i < 19; i++) {
        out.push(
          await gaap.DescribeProxies({}).then(
            () => "ok",
            (e) => e.code,
          ),
        );
      }
      return out;
    };
    const first = await run();
    emu.reset(); // fresh rate-limit buckets
    const second = await run();
    expect(second).toEqual(first);
    const failures = first.filter((c) => c === "InternalError").length;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(19);
  });

  it("adds latency to matching calls", async () => {
    const gaap = gaapClient(emu.url);
    await admin(emu.url, "POST", "faults", { faults: [{ action: "DescribeProxies", latencyMs: 300 }] });
    await gaap.DescribeProxies({});
    const [entry] = await calls(emu.url, "?action=DescribeProxies");
    expect(entry?.latencyMs).toBeGreaterThanOrEqual(300);
    expect([entry?.code, entry?.injected]).toEqual(["Success", true]);
  });

  it("hangs a call until the client times out; the SDK reports a transport failure", async () => {
    const gaap = gaapClient(emu.url, { timeoutSec: 1 });
    await admin(emu.url, "POST", "faults", { faults: [{ action: "DescribeProxies", hang: true }] });
    const err = await sdkError(gaap.DescribeProxies({}));
    expect(err.code).toBeUndefined();
    expect(err.message).toMatch(/timeout/);
    const deadline = Date.now() + 5000;
    let log: CallRecord[] = [];
    while (Date.now() < deadline && log.length === 0) log = await calls(emu.url, "?action=DescribeProxies");
    expect(log[0]?.code).toBe("Hang");
  });

  it("answers with an HTTP 5xx, which the SDK reports with httpCode and no API code", async () => {
    const gaap = gaapClient(emu.url);
    await admin(emu.url, "POST", "faults", { faults: [{ action: "DescribeProxies", httpStatus: 502 }] });
    const err = await sdkError(gaap.DescribeProxies({}));
    expect(err.httpCode).toBe(502);
    expect(err.code).toBeUndefined();
  });

  it("'after' faults let the action take effect and lose the answer", async () => {
    const gaap = gaapClient(emu.url);
    const rs = await gaap.AddRealServers({ ProjectId: 0, RealServerIP: ["198.18.9.1"], RealServerName: "x" });
    await admin(emu.url, "POST", "faults", {
      faults: [{ action: "BindListenerRealServers", errorCode: "InternalError", when: "after", count: 1 }],
    });
    const id = rs.RealServerSet?.[0]?.RealServerId as string;
    const err = await sdkError(
      gaap.BindListenerRealServers({
        ListenerId: "listener-aaaa1111",
        RealServerBindSet: [
          { RealServerId: id, RealServerIP: "198.18.9.1", RealServerPort: 80, RealServerWeight: 5 },
        ],
      }),
    );
    expect(err.code).toBe("InternalError");
    // The bind happened anyway: the listener is busy with it.
    expect(
      (await gaap.DescribeTCPListeners({ ListenerId: "listener-aaaa1111" })).ListenerSet?.[0]?.ListenerStatus,
    ).toBe(3);
    const [entry] = await calls(emu.url, "?action=BindListenerRealServers");
    expect(entry?.code).toBe("InternalError (after taking effect)");
    expect(entry?.bindSet).toEqual(["198.18.9.1:80"]);
  });

  it("refuses malformed fault rules with every problem named", async () => {
    await expect(
      admin(emu.url, "POST", "faults", { faults: [{ errorCode: "X", hang: true, rate: 3, bogus: 1 }] }),
    ).rejects.toThrow(/bogus is not a fault field.*action is required.*more than one.*rate must be in 0-1/);
  });

  it("keeps the call log bounded: a ring of callLogSize entries", async () => {
    const tiny = await startEmulator({
      state: normalizeState({
        credentials: [DEMO_CREDENTIAL],
        behavior: { callLogSize: 50, rateLimits: { DescribeProxies: 1000 } },
      }),
    });
    try {
      const gaap = gaapClient(tiny.url);
      for (let i = 0; i < 80; i++) await gaap.DescribeProxies({});
      const log = await calls(tiny.url);
      expect(log).toHaveLength(50);
      expect(log[0]?.seq).toBe(31);
      expect(log.at(-1)?.seq).toBe(80);
      expect((await calls(tiny.url, "?since=75")).map((c) => c.seq)).toEqual([76, 77, 78, 79, 80]);
    } finally {
      await tiny.close();
    }
  });

  it("shows state without secret keys, and resets to the initial or a given state", async () => {
    const gaap = gaapClient(emu.url);
    await gaap.AddRealServers({ ProjectId: 0, RealServerIP: ["198.18.9.2"], RealServerName: "x" });
    const state = await admin<{ credentials: Array<{ secretKey: string }>; realServers: unknown[] }>(
      emu.url,
      "GET",
      "state",
    );
    expect(state.realServers).toHaveLength(1);
    expect(JSON.stringify(state)).not.toContain("example-key");
    await admin(emu.url, "POST", "reset");
    expect((await gaap.DescribeRealServers({ ProjectId: -1 })).TotalCount).toBe(0);
    await expect(admin(emu.url, "POST", "reset", { listeners: [{ listenerId: "nope" }] })).rejects.toThrow(
      /listeners\[0\] needs a listenerId.*unknown proxy/,
    );
  });

  it("is not reachable as a GAAP action, and unknown admin paths are 404", async () => {
    await expect(admin(emu.url, "GET", "nothing")).rejects.toThrow(/404/);
    const res = await fetch(`${emu.url}/`, {
      method: "POST",
      headers: { "x-tc-action": "_emulator/state" },
      body: "{}",
    });
    const body = (await res.json()) as { Response: { Error: { Code: string } } };
    expect(res.status).toBe(200);
    expect(body.Response.Error.Code).toBe("InvalidAction");
  });
});

describe("gaap-emulator command", () => {
  const dir = mkdtempSync(join(tmpdir(), "emu-cli-"));

  function run(args: string[]): Promise<{ code: number | null; out: string; err: string; stop: () => void }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["emulator/main.ts", ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      const result = (code: number | null) => ({ code, out, err, stop: () => child.kill("SIGTERM") });
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("listening on")) resolve(result(null));
      });
      child.stderr.on("data", (d) => {
        err += d;
      });
      child.on("exit", (code) => resolve(result(code)));
    });
  }

  it("loads a YAML state file, prints its URL, and serves the SDK", async () => {
    const file = join(dir, "state.yaml");
    writeFileSync(
      file,
      [
        "credentials: [{ secretId: AKIDcli, secretKey: cli-key }]",
        "proxies: [{ proxyId: link-cli00001 }]",
        "listeners: [{ listenerId: listener-cli00001, proxyId: link-cli00001, protocol: UDP, port: 5000 }]",
      ].join("\n"),
    );
    const p = await run(["--port", "0", "--state", file]);
    try {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out)?.[1];
      expect(url).toBeDefined();
      const gaap = gaapClient(url as string, { credential: { secretId: "AKIDcli", secretKey: "cli-key" } });
      const l = await gaap.DescribeUDPListeners({ ListenerId: "listener-cli00001" });
      expect(l.ListenerSet?.[0]?.Port).toBe(5000);
    } finally {
      p.stop();
    }
  });

  it.each([
    { args: ["--port", "70000"], message: /--port must be 0-65535/ },
    { args: ["--bogus"], message: /Unknown option '--bogus'/ },
    { args: ["--state", "/nonexistent.json"], message: /cannot load \/nonexistent.json/ },
  ])("exits 2 with a clear message for $args", async ({ args, message }) => {
    const p = await run(args);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(message);
  });
});
