// The conformance command tells each UNCONFIRMED behaviour's answers apart: run under each value of the emulator's
// setting, the report names the value the emulator was set to (and the emulator's default is "confirmed").
import { describe, expect, it } from "vitest";
import type { Behavior } from "../../emulator/account/model.ts";
import { DEFAULT_BEHAVIOR } from "../../emulator/account/state.ts";
import { answerOf, ips, useWorld } from "./world.ts";

type Case = {
  setting: Partial<Behavior>;
  key: string;
  answer: string | number;
  write?: boolean;
  originIps?: string[];
};

const SLOW = { bindTaskMs: 300 };

const cases: Case[] = [
  {
    setting: { unknownListenerError: "ResourceNotFound" },
    key: "unknownListenerError",
    answer: "ResourceNotFound",
  },
  {
    setting: { unknownListenerError: "InvalidParameter" },
    key: "unknownListenerError",
    answer: "InvalidParameter",
  },
  { setting: { unknownRuleError: "ResourceNotFound" }, key: "unknownRuleError", answer: "ResourceNotFound" },
  { setting: { unknownRuleError: "InvalidParameter" }, key: "unknownRuleError", answer: "InvalidParameter" },
  { setting: { unknownRuleInBatch: "error" }, key: "unknownRuleInBatch", answer: "error" },
  { setting: { unknownRuleInBatch: "omit" }, key: "unknownRuleInBatch", answer: "omit" },
  { setting: { maxDescribeListenersLimit: 20 }, key: "maxDescribeListenersLimit", answer: 20 },
  { setting: { maxDescribeListenersLimit: 50 }, key: "maxDescribeListenersLimit", answer: 50 },
  { setting: { maxDescribeListenersLimit: 100 }, key: "maxDescribeListenersLimit", answer: 100 },
  { setting: { duplicateScope: "account" }, key: "duplicateScope", answer: "account", write: true },
  { setting: { duplicateScope: "project" }, key: "duplicateScope", answer: "project", write: true },
  // Checks that must catch a task running get tasks long enough for a busy machine's reads (SLOW).
  {
    setting: { bindVisibility: "onComplete", ...SLOW },
    key: "bindVisibility",
    answer: "onComplete",
    write: true,
  },
  {
    setting: { bindVisibility: "immediate", ...SLOW },
    key: "bindVisibility",
    answer: "immediate",
    write: true,
  },
  { setting: { emptyBindSet: "unbind" }, key: "emptyBindSet", answer: "unbind", write: true },
  { setting: { emptyBindSet: "reject" }, key: "emptyBindSet", answer: "reject", write: true },
  { setting: { emptyBindSet: "unbind" }, key: "ruleEmptyBindSet", answer: "unbind", write: true },
  { setting: { emptyBindSet: "reject" }, key: "ruleEmptyBindSet", answer: "reject", write: true },
  {
    setting: { allowSameIpDifferentPorts: false },
    key: "allowSameIpDifferentPorts",
    answer: "false",
    write: true,
  },
  {
    setting: { allowSameIpDifferentPorts: true },
    key: "allowSameIpDifferentPorts",
    answer: "true",
    write: true,
  },
  { setting: { ruleTaskScope: "listener", ...SLOW }, key: "ruleTaskScope", answer: "listener", write: true },
  { setting: { ruleTaskScope: "rule", ...SLOW }, key: "ruleTaskScope", answer: "rule", write: true },
  { setting: { weightZero: "reject" }, key: "weightZero", answer: "reject", write: true },
  { setting: { weightZero: "accept" }, key: "weightZero", answer: "accept", write: true },
  {
    setting: { ruleOverLimit: "reject" },
    key: "ruleOverLimit",
    answer: "reject",
    write: true,
    originIps: ips(101),
  },
  {
    setting: { ruleOverLimit: "accept" },
    key: "ruleOverLimit",
    answer: "accept",
    write: true,
    originIps: ips(101),
  },
  {
    setting: { maxRealServersPerListener: 100 },
    key: "maxRealServersPerListener",
    answer: "FailedOperation.LimitRealServerNum",
    write: true,
    originIps: ips(101),
  },
];

describe("conformance answers", () => {
  const w = useWorld();

  it.each(cases)("$key under $setting", async ({ setting, key, answer, write, originIps }) => {
    await w.behave(setting);
    const report = await w.run(
      write
        ? originIps
          ? { originIps }
          : {}
        : { write: false, listenerId: undefined, ruleId: undefined, siblingRuleId: undefined, originIps: [] },
    );
    expect(report.aborted).toBeUndefined();
    const f = answerOf(report, key);
    expect(f?.answer).toBe(answer);
    const [field, value] = Object.entries(setting)[0] as [keyof Behavior, unknown];
    const isDefault = DEFAULT_BEHAVIOR[field] === value;
    // Only a setting that decides the answer can tell "confirmed" from "differs".
    if (field === key) expect(f?.status).toBe(isDefault ? "confirmed" : "differs");
  });

  it("measures the task time the emulator was set to", async () => {
    for (const bindTaskMs of [40, 160]) {
      await w.behave({ bindTaskMs });
      const report = await w.run({ binds: 3, siblingRuleId: undefined, ruleId: undefined });
      const t = answerOf(report, "bindTaskMs")?.answer as { medianMs: number; samples: number[] };
      expect(t.samples).toHaveLength(3);
      expect(t.medianMs).toBeGreaterThanOrEqual(bindTaskMs);
      // The end of a task is seen at the next read: within two polls of the slowest read this run made (a busy
      // machine makes reads slow, and the bound follows them), plus room for the bind call itself.
      const slowest = Math.max(
        ...report.calls.filter((c) => c.action === "DescribeTCPListeners").map((c) => c.ms),
      );
      expect(t.medianMs).toBeLessThan(bindTaskMs + 2 * (5 + slowest) + 100);
    }
  });

  it("answers as the operator assumes under the emulator's defaults: no WARNING, exit code 0", async () => {
    await w.behave(SLOW);
    const report = await w.run();
    expect(report.warnings).toEqual([]);
    for (const key of [
      "listenerHasTask",
      "replaceAll",
      "weightZero",
      "realServerAlreadyBound",
      "duplicateRS",
    ])
      expect(answerOf(report, key)?.status, key).toBe("confirmed");
  });

  it("says loudly when [] does not unbind: a WARNING, and cleanup names what it could not undo", async () => {
    await w.behave({ emptyBindSet: "reject" });
    const report = await w.run({ ruleId: undefined, siblingRuleId: undefined });
    expect(report.warnings.join("\n")).toMatch(
      /RealServerBindSet: \[\].*answered reject, the operator assumes unbind/,
    );
    expect(answerOf(report, "emptyBindSet")?.warning).toBeDefined();
    // The emulator then refuses an omitted set on a listener as well: the run cannot empty it, and says so.
    expect(report.cleanup.complete).toBe(false);
    expect(report.cleanup.left.join("\n")).toMatch(/listener listener-cf000001 still holds origins/);
  });
});
