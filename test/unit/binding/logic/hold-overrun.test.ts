import { describe, expect, it } from "vitest";
import {
  type DrainedRemoval,
  measureHolds,
  overrunEvent,
} from "../../../../src/binding/logic/hold-overrun.ts";

const removal = (pod: string, endsAt: number, holdSeconds = 15): DrainedRemoval => ({
  origin: `10.0.0.${pod.length}:8080`,
  pod,
  endsAt,
  holdSeconds,
});
/** Sent at 0, seen running until `ms` and seen done right then. */
const appliedAfter = (ms: number) => ({ sentAt: 0, after: ms, by: ms });

describe("termination holds measured against when GAAP applied the removal", () => {
  // The hold ends at most a second after holdEndsAt (whole-second deletionTimestamp); the task no earlier than the
  // last read that saw it running. Late only where both say so, by at least that much.
  it.each([
    { name: "applied before the hold ended: in time", ends: [20_000], at: 15_000, late: 0, seconds: 0 },
    {
      name: "within the second the timestamp may hide: in time",
      ends: [20_000],
      at: 21_000,
      late: 0,
      seconds: 0,
    },
    { name: "surely 1.5 s after", ends: [20_000], at: 22_500, late: 1, seconds: 1.5 },
    {
      name: "two late and one in time: origin-seconds add up",
      ends: [10_000, 12_000, 30_000],
      at: 15_000,
      late: 2,
      seconds: 6,
    },
    { name: "no removals", ends: [], at: 14_000, late: 0, seconds: 0 },
  ])("$name", ({ ends, at, late, seconds }) => {
    const o = measureHolds(
      ends.map((e, i) => removal(`p${i}`, e)),
      appliedAfter(at),
    );
    expect(o.removals).toBe(ends.length);
    expect(o.late).toHaveLength(late);
    expect(o.overrunSeconds).toBeCloseTo(seconds, 6);
  });

  it("no event while every removal was in time", () => {
    expect(overrunEvent(measureHolds([removal("web-a", 20_000)], appliedAfter(19_000)))).toBeUndefined();
  });

  it("names the pods, the worst overrun and the hold that would have covered each", () => {
    const o = measureHolds(
      [removal("web-a", 10_000, 15), removal("web-bb", 11_000, 20)],
      appliedAfter(15_200),
    );
    expect(overrunEvent(o)).toEqual({
      type: "Warning",
      reason: "TerminationHoldTooShort",
      action: "Unbind",
      note: "GAAP applied the removal of 2 origin(s) up to 4.2s after the pod's termination hold ended: web-a (10.0.0.5:8080, hold 15s), web-bb (10.0.0.6:8080, hold 20s); a hold of 25s would have covered it (set spec.terminationHoldSeconds, or raise terminationGracePeriodSeconds if the hold was cut to fit it)",
    });
  });

  it("lists three pods and counts the rest", () => {
    const o = measureHolds(
      ["a", "bb", "ccc", "dddd", "eeeee"].map((p) => removal(p, 1000, 5)),
      appliedAfter(3000),
    );
    expect(overrunEvent(o)?.note).toMatch(/hold 5s\) and 2 more; a hold of 7s/);
  });

  it("says when removals were sent only after the hold had ended (a longer hold alone would not have helped)", () => {
    const o = measureHolds([removal("a", 10_000), removal("bb", 30_000)], {
      sentAt: 12_000,
      after: 40_000,
      by: 40_000,
    });
    expect(o.late).toHaveLength(2);
    expect(o.sentLate).toBe(1);
    expect(overrunEvent(o)?.note).toMatch(/; 1 of them were sent only after the hold had ended/);
  });

  it("late only where certain (a read saw the task running past the hold), measured to the read that saw it done", () => {
    // Ends at 10 s, surely by 11 s: a read at 12 s saw the task running, one at 14 s saw it done.
    expect(measureHolds([removal("a", 10_000)], { sentAt: 0, after: 12_000, by: 14_000 })).toMatchObject({
      late: [expect.objectContaining({ overrunMs: 3000 })],
      overrunSeconds: 3,
    });
    // Seen done only at 20 s, but nothing says it was still running after 10.5 s: not counted.
    expect(measureHolds([removal("a", 10_000)], { sentAt: 0, after: 10_500, by: 20_000 }).late).toEqual([]);
  });
});
