import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, usage } from "../../src/config.ts";
import { parseDuration } from "../../src/flags.ts";

const config = (argv: string[]) => {
  const r = parseConfig(argv);
  if (r.action !== "run") throw new Error(r.action);
  return r.config;
};

describe("configuration", () => {
  it("defaults to the real GAAP endpoint and safe rates", () => {
    const c = config([]);
    expect(c.gaapEndpoint).toBe("https://gaap.tencentcloudapi.com");
    expect(c.gaapWriteQps).toBe(10);
    expect(c.verifyIntervalMs).toBe(300_000);
    expect(c.credentials).toBe("auto");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ["250ms", 250],
    ["10s", 10_000],
    ["5m", 300_000],
    ["1.5h", 5_400_000],
    ["10", undefined],
    ["s", undefined],
  ])("parses duration %s -> %s", (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it("takes the emulator endpoint and a namespace", () => {
    const c = config([
      "--gaap-endpoint",
      "http://127.0.0.1:9000/",
      "--watch-namespace",
      "shop",
      "--gaap-write-qps",
      "20",
    ]);
    expect(c.gaapEndpoint).toBe("http://127.0.0.1:9000");
    expect(c.watchNamespace).toBe("shop");
    expect(c.gaapWriteQps).toBe(20);
  });

  it("reports every bad flag at once", () => {
    let message = "";
    try {
      parseConfig([
        "--workers",
        "0",
        "--verify-interval",
        "soon",
        "--gaap-endpoint",
        "ftp://x",
        "--log-level",
        "loud",
      ]);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/--workers must be an integer from 1 to 256, not "0"/);
    expect(message).toMatch(/--verify-interval must be a duration like 250ms, 10s or 5m/);
    expect(message).toMatch(/--gaap-endpoint must be a URL/);
    expect(message).toMatch(/--log-level must be one of trace, debug, info, warn, error, fatal, not "loud"/);
  });

  it("refuses unknown flags", () => {
    expect(() => parseConfig(["--frobnicate"])).toThrow(/Unknown option '--frobnicate'/);
  });

  it("documents every flag in --help", () => {
    expect(parseConfig(["--help"])).toEqual({ action: "help" });
    expect(parseConfig(["--version"])).toEqual({ action: "version" });
    for (const flag of [
      "--kubeconfig",
      "--gaap-endpoint",
      "--watch-namespace",
      "--log-level",
      "--gaap-write-qps",
      "--verify-interval",
    ]) {
      expect(usage()).toContain(flag);
    }
  });
});
