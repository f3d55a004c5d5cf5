// The minimal CAM policy for the operator's Tencent key (deploy/cam-policy.json) lists exactly the GAAP actions the
// operator calls, read from its GAAP adapter: every `read("…")` and `write("…")`, and the listener describes it
// makes per protocol. An action added to the code without the policy (or left in the policy after the code stops
// calling it) fails here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const GAAP_DIR = "src/gaap";
const PROTOCOLS = ["TCP", "UDP", "HTTP", "HTTPS"];

/** The actions the adapter calls: literal first arguments of read and write, and Describe<protocol>Listeners. */
function calledActions(): Set<string> {
  const actions = new Set<string>();
  for (const file of readdirSync(GAAP_DIR).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(GAAP_DIR, file), "utf8");
    for (const m of text.matchAll(/\.(?:read|write)(?:<[^(]*>)?\(\s*"([A-Za-z]+)"/g))
      actions.add(m[1] as string);
    // listener-reader.ts names the describe by protocol: Describe + ${protocol} + Listeners, in a template.
    if (/`Describe\$\{protocol\}Listeners`/.test(text))
      for (const p of PROTOCOLS) actions.add(`Describe${p}Listeners`);
  }
  return actions;
}

describe("the CAM policy", () => {
  const policy = JSON.parse(readFileSync("deploy/cam-policy.json", "utf8")) as {
    version: string;
    statement: { effect: string; action: string[]; resource: string[] }[];
  };

  it("is a CAM 2.0 policy that only allows", () => {
    expect(policy.version).toBe("2.0");
    expect(policy.statement.every((s) => s.effect === "allow")).toBe(true);
    // CAM's limit is 6,144 characters without spaces.
    expect(JSON.stringify(policy).replaceAll(" ", "").length).toBeLessThan(6144);
  });

  it("allows exactly the GAAP actions the operator calls", () => {
    const allowed = policy.statement.flatMap((s) => s.action);
    expect(allowed.every((a) => a.startsWith("gaap:"))).toBe(true);
    expect(new Set(allowed).size).toBe(allowed.length);
    const called = calledActions();
    // The scan itself must see the adapter's calls (a reader that found nothing would make this pass vacuously).
    expect(called).toContain("BindListenerRealServers");
    expect(called).toContain("DescribeHTTPSListeners");
    expect(allowed.map((a) => a.slice("gaap:".length)).sort()).toEqual([...called].sort());
  });
});
