// An emulator profile from a conformance report: the committed sample loads, and a report made under settings
// other than the defaults gives those settings back, so a suite can run under what a real account answered.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Behavior } from "../../emulator/account/model.ts";
import { behaviorFromReport, loadProfile } from "../../emulator/account/profile.ts";
import { DEFAULT_BEHAVIOR, mergeBehavior, normalizeState } from "../../emulator/account/state.ts";
import { startEmulator } from "../../emulator/server.ts";
import { useWorld } from "./world.ts";

describe("an emulator profile from a conformance report", () => {
  const w = useWorld();

  it("loads the committed sample report, and the emulator starts with it", async () => {
    const profile = loadProfile("docs/conformance-sample.json");
    expect(profile.bindTaskMs).toBeGreaterThan(0);
    expect(profile).toMatchObject({
      unknownListenerError: "ResourceNotFound",
      emptyBindSet: "unbind",
      weightZero: "reject",
    });
    // Untested in the sample: kept at the defaults.
    expect(profile.ruleTaskScope).toBeUndefined();
    const emu = await startEmulator({ state: normalizeState({ behavior: profile }) });
    try {
      expect(emu.world.behavior.bindTaskMs).toBe(profile.bindTaskMs);
    } finally {
      await emu.close();
    }
  });

  it("gives back the settings a report was made under", async () => {
    const settings: Partial<Behavior> = {
      unknownListenerError: "InvalidParameter",
      unknownRuleError: "InvalidParameter",
      unknownRuleInBatch: "omit",
      duplicateScope: "project",
      bindVisibility: "immediate",
      allowSameIpDifferentPorts: true,
      ruleTaskScope: "rule",
      maxDescribeListenersLimit: 100,
    };
    // Tasks long enough to be caught running on a busy machine (bindVisibility).
    await w.behave({ ...settings, bindTaskMs: 300 });
    const report = await w.run();
    const profile = behaviorFromReport(JSON.parse(JSON.stringify(report)));
    expect(profile).toMatchObject({ ...settings, emptyBindSet: "unbind" });
    expect(profile.bindTaskMs).toBeGreaterThanOrEqual(300);
    expect(() => mergeBehavior(DEFAULT_BEHAVIOR, profile)).not.toThrow();
  });

  it("refuses a file that is not a report", () => {
    expect(() => behaviorFromReport({ findings: [] })).toThrow(/not a conformance report/);
    expect(() => behaviorFromReport(JSON.parse(readFileSync("package.json", "utf8")))).toThrow(
      /not a conformance report/,
    );
  });
});
