// The gaap-operator command: --help, and one clear message and a non-zero exit for bad input.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = async (args: string[], env: Record<string, string> = {}) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["src/main.ts", ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe("gaap-operator command", () => {
  it("documents its flags and environment in --help", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--gaap-endpoint <url>/);
    expect(r.stdout).toMatch(/TENCENTCLOUD_SECRET_ID/);
  });

  it.each([
    { args: ["--bogus"], message: /Unknown option '--bogus'/ },
    { args: ["--workers", "zero"], message: /--workers must be an integer/ },
  ])("exits 2 with one clear message for $args", async ({ args, message }) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(3);
  });

  it("exits 2 naming the missing credentials (and touches no network)", async () => {
    const r = await run(["--credentials", "env", "--kubeconfig", "/nonexistent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no GAAP credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY/);
  });

  it("exits 2 for a kubeconfig that cannot be read", async () => {
    const r = await run(["--kubeconfig", "/nonexistent/kubeconfig"], {
      TENCENTCLOUD_SECRET_ID: "a",
      TENCENTCLOUD_SECRET_KEY: "b",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gaap-operator: .*nonexistent\/kubeconfig/);
    expect(r.stderr).not.toContain("b\n");
  });
});
