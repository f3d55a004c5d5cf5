// An error is not an answer: throttling, server trouble and permission errors make a check "not tested" with the
// code as the reason, never its answer, and a check takes only the codes it is about.
import { describe, expect, it } from "vitest";
import type { FaultRule } from "../../emulator/faults.ts";
import type { GaapObserver } from "../../src/gaap/transport.ts";
import { answerOf, SIBLING, useWorld, type World } from "./world.ts";

const readOnly = {
  write: false,
  listenerId: undefined,
  ruleId: undefined,
  siblingRuleId: undefined,
  originIps: [],
};

/** Sets `rule` once the run has made `after` calls of `action` that answered `code`. */
const faultAfter = (w: World, action: string, code: string, after: number, rule: FaultRule): GaapObserver => {
  let seen = 0;
  return {
    call: (a, c) => {
      if (a === action && c === code && ++seen === after) w.emu.faults.set([rule]);
    },
  };
};

type Case = {
  key: string;
  code: string;
  faults?: FaultRule[];
  write?: boolean;
  observer?: (w: World, code: string) => GaapObserver;
};

const cases: Case[] = [
  {
    key: "unknownListenerError",
    code: "RequestLimitExceeded",
    faults: [
      { action: "DescribeTCPListeners", listenerId: "listener-00000000", errorCode: "RequestLimitExceeded" },
    ],
  },
  {
    key: "unknownListenerError",
    code: "InternalError",
    faults: [{ action: "DescribeTCPListeners", listenerId: "listener-00000000", errorCode: "InternalError" }],
  },
  {
    key: "unknownRuleError",
    code: "UnauthorizedOperation",
    faults: [{ action: "DescribeRuleRealServers", errorCode: "UnauthorizedOperation" }],
  },
  {
    key: "unknownRuleError",
    code: "RequestLimitExceeded",
    faults: [{ action: "DescribeRuleRealServers", errorCode: "RequestLimitExceeded" }],
  },
  {
    key: "ruleTaskScope",
    code: "RequestLimitExceeded",
    write: true,
    faults: [{ action: "BindRuleRealServers", ruleId: SIBLING, errorCode: "RequestLimitExceeded", count: 1 }],
  },
  {
    key: "ruleTaskScope",
    code: "InternalError",
    write: true,
    faults: [{ action: "BindRuleRealServers", ruleId: SIBLING, errorCode: "InternalError", count: 1 }],
  },
  {
    // The second AddRealServers is the same-project duplicate.
    key: "duplicateRS",
    code: "InternalError",
    write: true,
    observer: (w, code) =>
      faultAfter(w, "AddRealServers", "Success", 1, { action: "AddRealServers", errorCode: code, count: 1 }),
  },
  {
    // Three listener binds succeed before the same-IP-two-ports one: two timed, one replace-all.
    key: "allowSameIpDifferentPorts",
    code: "RequestLimitExceeded",
    write: true,
    observer: (w, code) =>
      faultAfter(w, "BindListenerRealServers", "Success", 3, {
        action: "BindListenerRealServers",
        errorCode: code,
        count: 1,
      }),
  },
  {
    // The weight-0 bind comes right after the same-IP-two-ports one, which the emulator refuses by default.
    key: "weightZero",
    code: "InternalError",
    write: true,
    observer: (w, code) =>
      faultAfter(w, "BindListenerRealServers", "InvalidParameterValue", 1, {
        action: "BindListenerRealServers",
        errorCode: code,
        count: 1,
      }),
  },
];

describe("conformance, when GAAP answers with an error that says nothing", () => {
  const w = useWorld();

  it.each(cases)("$key under $code is not tested", async ({ key, code, faults, write, observer }) => {
    if (faults) w.emu.faults.set(faults);
    const report = await w.run(write ? {} : readOnly, observer ? { observer: observer(w, code) } : {});
    const f = answerOf(report, key);
    expect(f?.status).toBe("not-tested");
    expect(f?.answer).toBeUndefined();
    expect(f?.evidence).toContain(code);
    if (write) expect(report.cleanup).toEqual({ complete: true, left: [] });
  });

  it("never takes a second bind after a short task for one accepted during it", async () => {
    // 50 ms tasks, reads every 500 ms and slow bind calls: the first task is over by the time the second bind goes,
    // which then starts a task of its own. The emulator refuses every bind during a task.
    await w.behave({ bindTaskMs: 50 });
    w.emu.faults.set([{ action: "BindListenerRealServers", latencyMs: 60 }]);
    const report = await w.run({ pollMs: 500, binds: 2, ruleId: undefined, siblingRuleId: undefined });
    expect(answerOf(report, "listenerHasTask")?.answer).not.toBe("accepted");
    expect(report.warnings).toEqual([]);
  });

  it("takes no duplicate scope from a project GAAP does not let it use", async () => {
    const report = await w.run({ otherProjectId: 99 });
    expect(answerOf(report, "duplicateRS")?.answer).toBe("InvalidParameterValue.DuplicateRS");
    expect(answerOf(report, "duplicateScope")).toMatchObject({
      status: "not-tested",
      evidence: expect.stringContaining("ProjectIdNotBelong"),
    });
  });
});
