// The conformance command's pure parts: its table of the emulator's defaults matches the emulator's, flags are
// checked as the operator's are, reports carry no secrets or account IDs, and the exit code follows the report.
import { describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOR } from "../../../emulator/account/state.ts";
import { EXPECTATIONS } from "../../../src/conformance/expectations.ts";
import { holds } from "../../../src/conformance/listener-checks.ts";
import { parseConformanceArgs } from "../../../src/conformance/options.ts";
import { Probe } from "../../../src/conformance/probe.ts";
import { redact } from "../../../src/conformance/redact.ts";
import { type ConformanceReport, exitCode, Findings, timing } from "../../../src/conformance/report.ts";
import type { GaapTransport } from "../../../src/gaap/transport.ts";

describe("conformance", () => {
  it("knows the emulator's defaults as the emulator has them", () => {
    for (const [key, e] of Object.entries(EXPECTATIONS)) {
      // That finding's answer is the error code a bind over the limit gets, not the limit itself.
      if (key === "maxRealServersPerListener") continue;
      if (key in DEFAULT_BEHAVIOR)
        expect(String(DEFAULT_BEHAVIOR[key as keyof typeof DEFAULT_BEHAVIOR]), key).toBe(
          String(e.emulatorDefault),
        );
    }
  });

  it.each([
    { what: "the set, no weight sent", bound: [{ weight: 1 }], sent: [{}], want: true },
    { what: "weight 0 read back as 0", bound: [{ weight: 0 }], sent: [{ weight: 0 }], want: true },
    { what: "weight 0 accepted but stored as 1", bound: [{ weight: 1 }], sent: [{ weight: 0 }], want: false },
    { what: "weight 0 read back without a weight", bound: [{}], sent: [{ weight: 0 }], want: false },
    { what: "one of two ports missing", bound: [{}], sent: [{}, { port: 81 }], want: false },
    { what: "one more than sent", bound: [{}, { port: 81 }], sent: [{}], want: false },
  ])("an accepted bind counts as held only when read back as sent: $what", ({ bound, sent, want }) => {
    const e = (x: { weight?: number; port?: number }) => ({ id: "rs-a", ip: "198.51.100.1", port: 80, ...x });
    expect(holds(bound.map(e), sent.map(e))).toBe(want);
  });

  it("shows an aliased value under its alias everywhere the report may carry it, and still redacts", () => {
    const p = new Probe({} as GaapTransport);
    p.alias("link-someone1", "(the account's first channel)");
    expect(
      p.scrub({
        ProxyId: "link-someone1",
        Set: [{ Name: "x link-someone1 y" }, 3, null],
        SecretId: "AKIDabcdefgh",
      }),
    ).toEqual({
      ProxyId: "(the account's first channel)",
      Set: [{ Name: "x (the account's first channel) y" }, 3, null],
      SecretId: "(redacted)",
    });
    expect(p.scrub("unexpected error: link-someone1 uin=1234567")).toBe(
      "unexpected error: (the account's first channel) uin=(redacted)",
    );
  });

  it("parses the GAAP flags with the operator's parser", () => {
    const p = parseConformanceArgs(["--gaap-endpoint", "http://127.0.0.1:9000", "--gaap-write-qps", "5"]);
    expect(p.action === "run" && p.options).toMatchObject({
      endpoint: "http://127.0.0.1:9000",
      write: false,
      rates: { write: 5 },
    });
    expect(() => parseConformanceArgs(["--gaap-endpoint", "ftp://x"])).toThrow(
      /--gaap-endpoint must be a URL/,
    );
    // Its own flags are read as the operator's are, every problem told at once.
    expect(() => parseConformanceArgs(["--binds", "0", "--poll", "fast", "--project-id", "1.5"])).toThrow(
      new RegExp(
        [
          '--project-id must be an integer from 0 to 2147483648, not "1.5"',
          '--binds must be an integer from 1 to 50, not "0"',
          '--poll must be a duration like 250ms, 10s or 5m, at least 10ms, not "fast"',
        ].join("\n"),
      ),
    );
    const own = parseConformanceArgs(["--poll", "2s", "--binds", "7"]);
    expect(
      own.action === "run" && [own.options.pollMs, own.options.binds, own.options.taskTimeoutMs],
    ).toEqual([2000, 7, 300_000]);
  });

  it.each([
    [["--write", "--origin-ip", "198.51.100.1"], /--write needs --listener and\/or --rule/],
    [["--write", "--listener", "listener-a"], /--write needs at least one --origin-ip/],
    [["--listener", "listener-a"], /are for --write runs/],
    [["--write", "--listener", "l", "--origin-ip", "not-an-ip"], /must be an IP address/],
    [["--write", "--rule", "r", "--sibling-rule", "r", "--origin-ip", "198.51.100.1"], /another rule/],
    [["--write", "--listener", "l", "--origin-ip", "198.51.100.1", "--other-project-id", "0"], /must differ/],
    [["--workers", "3"], /Unknown option/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseConformanceArgs(argv)).toThrow(message);
  });

  it("redacts secrets, signatures and account IDs", () => {
    const r = redact({
      AppId: 1250000000,
      OwnerUin: "100000000001",
      nested: [{ SecretId: "AKIDabcdefgh12345678", Signature: "x", ListenerId: "listener-a" }],
      Message: "uin 100000000001 with AKIDabcdefgh12345678 refused",
    });
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/1250000000|100000000001|AKIDabcdefgh/);
    expect(text).toContain("listener-a");
  });

  it("exits 0 when all is as assumed, 3 with WARNINGs, 1 when stopped or not cleaned up", () => {
    const base = { warnings: [], cleanup: { complete: true, left: [] } } as unknown as ConformanceReport;
    expect(exitCode(base)).toBe(0);
    expect(exitCode({ ...base, warnings: ["x"] })).toBe(3);
    expect(exitCode({ ...base, warnings: ["x"], aborted: "refused" })).toBe(1);
    expect(exitCode({ ...base, cleanup: { complete: false, left: ["o"] } })).toBe(1);
  });

  it("flags an answer the operator does not assume, and measures medians", () => {
    const f = new Findings();
    f.answer("emptyBindSet", "reject", "InvalidParameter");
    f.answer("unknownListenerError", "InvalidParameter", "x");
    expect(f.get("emptyBindSet")).toMatchObject({
      status: "differs",
      warning: expect.stringMatching(/operator assumes unbind/),
    });
    expect(f.get("unknownListenerError")).toMatchObject({ status: "differs" });
    expect(f.get("unknownListenerError")?.warning).toBeUndefined();
    expect(timing([300, 100, 200])).toMatchObject({ minMs: 100, medianMs: 200, maxMs: 300 });
    expect(timing([100, 200])).toMatchObject({ medianMs: 150 });
  });
});
