import { describe, expect, it } from "vitest";
import { type DrainedRemoval, measureHolds, overrunEvent } from "../../src/controller/hold-overrun.ts";

const removal = (pod: string, endsAt: number, holdSeconds = 15): DrainedRemoval => ({
  origin: `10.0.0.${pod.length}:8080`,
  pod,
  endsAt,
  holdSeconds,
});

describe("termination holds measured against when GAAP applied the removal", () => {
  it.each([
    { name: "applied before the hold ended: in time", ends: [20_000], at: 15_000, late: 0, seconds: 0 },
    { name: "applied as it ended: in time", ends: [20_000], at: 20_000, late: 0, seconds: 0 },
    { name: "applied 1.5 s after", ends: [20_000], at: 21_500, late: 1, seconds: 1.5 },
    {
      name: "two late and one in time: origin-seconds add up",
      ends: [10_000, 12_000, 30_000],
      at: 14_000,
      late: 2,
      seconds: 6,
    },
    { name: "no removals", ends: [], at: 14_000, late: 0, seconds: 0 },
  ])("$name", ({ ends, at, late, seconds }) => {
    const o = measureHolds(
      ends.map((e, i) => removal(`p${i}`, e)),
      at,
    );
    expect(o.removals).toBe(ends.length);
    expect(o.late).toHaveLength(late);
    expect(o.overrunSeconds).toBeCloseTo(seconds, 6);
  });

  it("no event while every removal was in time", () => {
    expect(overrunEvent(measureHolds([removal("web-a", 20_000)], 19_000))).toBeUndefined();
  });

  it("names the pods, the worst overrun and the hold that would have covered each", () => {
    const o = measureHolds([removal("web-a", 10_000, 15), removal("web-bb", 11_000, 20)], 14_200);
    expect(overrunEvent(o)).toEqual({
      type: "Warning",
      reason: "TerminationHoldTooShort",
      action: "Unbind",
      note: "GAAP applied the removal of 2 origin(s) up to 4.2s after the pod's termination hold ended: web-a (10.0.0.5:8080, hold 15s), web-bb (10.0.0.6:8080, hold 20s); a hold of 24s would have covered it (set spec.terminationHoldSeconds, or raise terminationGracePeriodSeconds if the hold was cut to fit it)",
    });
  });

  it("lists three pods and counts the rest", () => {
    const o = measureHolds(
      ["a", "bb", "ccc", "dddd", "eeeee"].map((p) => removal(p, 1000, 5)),
      2000,
    );
    expect(overrunEvent(o)?.note).toMatch(/hold 5s\) and 2 more; a hold of 6s/);
  });
});
