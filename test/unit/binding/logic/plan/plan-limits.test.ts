// The plan at its limits: the listener's origin limit, the breaker's window of recent peaks, and removals of held
// pods that wait for the additions on their way.
// the origin limit, the breaker's window, held pods
import { describe, expect, it } from "vitest";
import { judgeRemovals, plan } from "../../../../../src/binding/logic/plan.ts";
import { b, desired, ids, listener, o, range, run, spec, summary } from "./plan-fixtures.ts";

describe("plan: the origin limit binds ready pods first, gated ones as room allows", () => {
  const gated = (n: number) => o(n, { ready: false });
  it.each([
    {
      name: "room for every origin: gated ones too",
      d: [o(1), o(2), gated(3)],
      bound: [],
      max: 5,
      want: "bind 1w10,2w10,3w10",
      overLimit: [],
    },
    {
      name: "short of room: all ready, then gated in order",
      d: [o(1), o(2), o(3), o(4), gated(5), gated(6), gated(7)],
      bound: [],
      max: 5,
      want: "bind 1w10,2w10,3w10,4w10,5w10",
      overLimit: ["10.0.0.6:80", "10.0.0.7:80"],
    },
    {
      name: "a gated origin GAAP holds already keeps its place",
      d: [o(1), o(2), o(3), gated(4), gated(5), gated(6)],
      bound: [1, 2, 3, 6],
      max: 4,
      want: "inSync",
      overLimit: ["10.0.0.4:80", "10.0.0.5:80"],
    },
    {
      name: "a surge at the limit: the new pod waits, nothing else moves",
      d: [o(1), o(2), o(3), gated(4)],
      bound: [1, 2, 3],
      max: 3,
      want: "inSync",
      overLimit: ["10.0.0.4:80"],
    },
  ])("$name", ({ d, bound, max, want, overLimit }) => {
    const p = run({ desired: desired(...d), listener: listener(bound.map((n) => b(n))), max });
    expect(summary(p)).toBe(want);
    expect((p.kind === "bind" || p.kind === "inSync") && (p.overLimit ?? [])).toEqual(overLimit);
  });

  it("is TooManyOrigins only when the ready origins alone exceed the limit, and says how many wait", () => {
    const p = run({ desired: desired(o(1), o(2), o(3), gated(4)), listener: listener([]), max: 2 });
    expect(summary(p)).toBe("hold TooManyOrigins");
    expect(p.kind === "hold" && p.message).toBe(
      "3 origins (3 ready from this binding, 1 more waiting on its gate) exceed the listener's limit of 2",
    );
  });
});

describe("plan: the breaker judges removals against the recent peak", () => {
  it.each([
    // The slow collapse the per-bind rule never saw: one pod per bind, from 10.
    {
      name: "10 -> 5 one at a time: the last step is 50% below the peak, allowed",
      peak: 10,
      bound: 6,
      want: 5,
      expect: "bind",
    },
    {
      name: "10 -> 4 one at a time: 60% below the peak, held",
      peak: 10,
      bound: 5,
      want: 4,
      expect: "hold MassUnbind",
    },
    {
      name: "the same step with no peak to remember (window 0) is 20% and goes",
      peak: undefined,
      bound: 5,
      want: 4,
      expect: "bind",
    },
    // What must not be held.
    {
      name: "a rolling update within maxUnavailable (8 replicas, surge 2, 25%)",
      peak: 10,
      bound: 10,
      want: 8,
      expect: "bind",
    },
    { name: "an ordinary scale-down within maxUnbindPercent", peak: 10, bound: 10, want: 6, expect: "bind" },
    {
      name: "a scale-down after a scale-up judged against the peak it reached",
      peak: 12,
      bound: 12,
      want: 6,
      expect: "bind",
    },
    { name: "growth is never held", peak: 10, bound: 4, want: 8, expect: "bind" },
  ])("$name", ({ peak, bound, want, expect: e }) => {
    const have = range(1, bound).map((n) => b(n));
    // Keep the first `want` of what is bound and add new ones past it when the set grows.
    const d = desired(...range(1, want).map((n) => o(n)));
    const p = run({ desired: d, listener: listener(have), ...(peak === undefined ? {} : { peak }) });
    expect(summary(p).split(" ")[0] === "bind" ? "bind" : summary(p)).toBe(e);
  });

  it("a collapse one pod per bind stops where one big step would have: at maxUnbindPercent below the peak", () => {
    const shrink = (withPeak: boolean) => {
      let bound = range(1, 10);
      let peak = 10;
      for (let want = 9; want >= 1; want--) {
        const p = run({
          desired: desired(...range(1, want).map((n) => o(n))),
          listener: listener(bound.map((n) => b(n))),
          ...(withPeak ? { peak } : {}),
        });
        if (p.kind !== "bind") return { left: bound.length, stoppedBy: summary(p) };
        bound = range(1, want);
        peak = Math.max(peak, bound.length);
      }
      return { left: bound.length, stoppedBy: "" };
    };
    expect(shrink(true)).toEqual({ left: 5, stoppedBy: "hold MassUnbind" });
    // Judged one bind at a time, the same collapse runs down to the last origin, never held.
    expect(shrink(false)).toEqual({ left: 1, stoppedBy: "" });
  });

  it.each([
    { removed: 0, bound: 10, after: 10, peak: 20, want: undefined },
    { removed: 1, bound: 2, after: 1, peak: 2, want: undefined },
    {
      removed: 2,
      bound: 3,
      after: 1,
      peak: 3,
      want: { allowed: 1, message: "removing 2 of 3 bound origins exceeds maxUnbindPercent (50%)" },
    },
    {
      removed: 1,
      bound: 5,
      after: 4,
      peak: 10,
      want: {
        allowed: 0,
        message:
          "removing 1 would leave 4 bound origin(s), more than maxUnbindPercent (50%) below the recent peak of 10",
      },
    },
    // The window lets the set fall to 5 of its peak of 10: 3 of these 5 go, though one bind could remove 4 of 8.
    {
      removed: 5,
      bound: 8,
      after: 3,
      peak: 10,
      want: {
        allowed: 3,
        message:
          "removing 5 would leave 3 bound origin(s), more than maxUnbindPercent (50%) below the recent peak of 10",
      },
    },
    // A replacement: all 4 would go for 4 new ones; one bind removes at most 2 of the 4.
    {
      removed: 4,
      bound: 4,
      after: 4,
      peak: 4,
      want: { allowed: 2, message: "removing 4 of 4 bound origins exceeds maxUnbindPercent (50%)" },
    },
    { removed: 1, bound: 5, after: 4, peak: 3, want: undefined },
  ])(
    "judgeRemovals($removed of $bound, after $after, peak $peak)",
    ({ removed, bound, after, peak, want }) => {
      expect(judgeRemovals(removed, bound, after, peak, 50)).toEqual(want);
    },
  );

  it.each([
    { percent: 0, removed: 3, bound: 4, peak: 4, want: 0 },
    { percent: 33, removed: 3, bound: 4, peak: 4, want: 1 },
    { percent: 75, removed: 3, bound: 4, peak: 4, want: undefined },
    { percent: 100, removed: 4, bound: 4, peak: 4, want: undefined },
    // Too small a set for the share to allow one: one a window, once the window holds nothing above it.
    { percent: 30, removed: 2, bound: 3, peak: 3, want: 1 },
    { percent: 30, removed: 2, bound: 3, peak: 4, want: 0 },
    { percent: 30, removed: 2, bound: 3, peak: undefined, want: 1 },
    { percent: 0, removed: 2, bound: 3, peak: 3, want: 0 },
  ])(
    "maxUnbindPercent $percent lets $want of $removed of $bound go (peak $peak)",
    ({ percent, removed, bound, peak, want }) => {
      expect(judgeRemovals(removed, bound, bound - removed, peak, percent)?.allowed).toBe(want);
    },
  );

  it("a set too small for maxUnbindPercent still adds first and then loses one a window", () => {
    const s = { maxUnbindPercent: 30 };
    // A one-replica rollout: the new origin is added beside the old, which goes at the next bind.
    expect(summary(run({ spec: s, desired: desired(o(2)), listener: listener([b(1)]), peak: 1 }))).toBe(
      "bind 1w10,2w10 held=1",
    );
    expect(summary(run({ spec: s, desired: desired(o(2)), listener: listener([b(1), b(2)]), peak: 1 }))).toBe(
      "bind 2w10",
    );
    // Scaled from 3 to 1: one goes, and the next only once the window has nothing above 2.
    const three = listener([b(1), b(2), b(3)]);
    expect(summary(run({ spec: s, desired: desired(o(1)), listener: three, peak: 3 }))).toBe(
      "bind 1w10,3w10 held=1",
    );
    const two = listener([b(1), b(3)]);
    expect(summary(run({ spec: s, desired: desired(o(1)), listener: two, peak: 3 }))).toBe("hold MassUnbind");
    expect(summary(run({ spec: s, desired: desired(o(1)), listener: two, peak: 2 }))).toBe("bind 1w10");
  });
});

describe("plan: a shrink the breaker holds back finishes in steps, and rollouts meanwhile leave nothing behind", () => {
  /**
   * Steps a binding through binds as the reconciler would: each pass plans against what GAAP holds, the window's
   * peak is the most bound and wanted (or kept by the breaker) within `window` passes, and a bind is applied at once.
   */
  function passes(p: { bound: number[]; wants: number[][]; window: number }) {
    let bound = p.bound;
    const seen: number[] = [bound.length];
    const trail: string[] = [];
    for (const want of p.wants) {
      const plan = run({
        desired: desired(...want.map((n) => o(n))),
        listener: listener(bound.map((n) => b(n))),
        peak: Math.max(...seen.slice(-p.window)),
      });
      trail.push(summary(plan));
      // What the window remembers (reconciler.ts): the set held when the breaker held anything back, else what is
      // bound and wanted.
      const held = plan.kind === "bind" ? plan.held !== undefined : summary(plan) === "hold MassUnbind";
      seen.push(held ? bound.length : Math.min(bound.length, want.length));
      if (plan.kind === "bind") bound = plan.set.map((x) => Number(x.ip.split(".")[3]));
    }
    return { bound, trail };
  }

  it("a scale-down from 10 to 1 reaches 1 in steps of maxUnbindPercent a window", () => {
    // Every pass wants only origin 1; the window spans 3 passes.
    const { bound, trail } = passes({ bound: range(1, 10), wants: Array(20).fill([1]), window: 3 });
    expect(bound).toEqual([1]);
    const binds = trail.flatMap((t, pass) =>
      t.startsWith("bind") ? [[pass, t.split(" ")[1]?.split(",").length]] : [],
    );
    // 5, 3, 2, 1, each a window (3 passes) after the set it shrank was last held.
    expect(binds).toEqual([
      [0, 5],
      [4, 3],
      [8, 2],
      [12, 1],
    ]);
  });

  it("rollouts on a held binding replace its origins instead of piling them up", () => {
    // 10 bound, the Service down to 1 and rolled to a new IP every pass: 11, 12, ... 30. A window longer than the
    // run, so the peak of 10 never leaves it.
    const wants = range(11, 30).map((n) => [n]);
    const { bound, trail } = passes({ bound: range(1, 10), wants, window: 100 });
    // 5 stay bound (50% of the peak of 10): the newest origin and 4 of the old, never more.
    expect(bound).toHaveLength(5);
    expect(bound).toContain(30);
    for (const t of trail) expect(t.split(" ")[1]?.split(",").length ?? 0).toBeLessThanOrEqual(6);
  });
});

describe("plan: removals of held pods wait for the additions on their way", () => {
  const held = (n: number, endsAt: number) => ({ endsAt, holdSeconds: 15, pod: `old-${n}` });
  const drain = (keys: number[], endsAt: number, additionsComing = true) => ({
    draining: new Map(keys.map((n) => [`10.0.0.${n}:80`, held(n, endsAt)])),
    additionsComing,
  });
  const go = (
    p: Parameters<typeof run>[0],
    d: ReturnType<typeof drain>,
    now = 100_000,
    lead = 10_000,
    batchUntilMs = now + 1000,
  ) =>
    plan({
      spec: spec(p.spec),
      desired: p.desired,
      target: p.listener,
      owned: new Set(),
      originIds: ids(...range(1, 20)),
      maxOrigins: 100,
      draining: d,
      now,
      removalLeadMs: lead,
      batchUntilMs,
    });
  const four = () => listener([b(1), b(2), b(3), b(4)]);
  it.each([
    {
      name: "only removals of held pods, gated pods on their way: wait, at the latest until hold end - lead",
      d: drain([4], 130_000),
      want: "defer until 120000",
    },
    {
      name: "no pods on their way yet: wait the batch window for the Deployment's next step",
      d: drain([4], 130_000, false),
      want: "defer until 101000",
    },
    {
      name: "the rollout's last step (no live pod of the drained revision): remove now",
      d: { ...drain([4], 130_000, false), revisionReplaced: true },
      want: "bind 1w10,2w10,3w10",
    },
    {
      name: "pods of the new revision still on their way: wait for them, last step or not",
      d: { ...drain([4], 130_000), revisionReplaced: true },
      want: "defer until 120000",
    },
    { name: "too close to the hold's end: remove now", d: drain([4], 105_000), want: "bind 1w10,2w10,3w10" },
    { name: "a removed pod without a hold: remove now", d: drain([], 130_000), want: "bind 1w10,2w10,3w10" },
  ])("$name", ({ d, want }) => {
    expect(summary(go({ desired: desired(o(1), o(2), o(3)), listener: four() }, d))).toBe(want);
  });

  it("the batch window over and no pods on their way: remove now", () => {
    const p = go(
      { desired: desired(o(1), o(2), o(3)), listener: four() },
      drain([4], 130_000, false),
      100_000,
      10_000,
      100_000,
    );
    expect(summary(p)).toBe("bind 1w10,2w10,3w10");
  });

  it("an addition of a ready pod goes at once, carrying the removal with it", () => {
    const p = go({ desired: desired(o(1), o(2), o(3), o(5)), listener: four() }, drain([4], 130_000));
    expect(summary(p)).toBe("bind 1w10,2w10,3w10,5w10");
  });

  it.each([
    {
      name: "a gated pod waits for the rest of its wave, within the batch window",
      d: drain([], 0),
      batchUntil: 101_000,
      want: "defer until 101000",
    },
    {
      name: "the window over: bound at once",
      d: drain([], 0),
      batchUntil: 100_000,
      want: "bind 1w10,2w10,3w10,4w10,5w10",
    },
    {
      name: "no pods on their way: bound at once",
      d: { ...drain([], 0), additionsComing: false },
      batchUntil: 101_000,
      want: "bind 1w10,2w10,3w10,4w10,5w10",
    },
  ])("$name", ({ d, batchUntil, want }) => {
    const p = go(
      { desired: desired(o(1), o(2), o(3), o(4), o(5, { ready: false })), listener: four() },
      d,
      100_000,
      10_000,
      batchUntil,
    );
    expect(summary(p)).toBe(want);
  });

  it("a wave's additions and a step's removals wait together, until the earlier deadline", () => {
    const p = go(
      { desired: desired(o(1), o(2), o(3), o(5, { ready: false })), listener: four() },
      drain([4], 130_000),
      100_000,
      29_500,
      101_000,
    );
    expect(summary(p)).toBe("defer until 100500");
  });

  it("holds of different lengths: the one that ends first decides, even when it is already too close", () => {
    const d = {
      draining: new Map([
        ["10.0.0.3:80", held(3, 200_000)],
        ["10.0.0.4:80", held(4, 108_000)],
      ]),
      additionsComing: true,
    };
    expect(summary(go({ desired: desired(o(1), o(2)), listener: four() }, d))).toBe("bind 1w10,2w10");
  });

  it("the earliest hold decides", () => {
    const d = {
      draining: new Map([
        ["10.0.0.3:80", held(3, 140_000)],
        ["10.0.0.4:80", held(4, 125_000)],
      ]),
      additionsComing: true,
    };
    expect(summary(go({ desired: desired(o(1), o(2)), listener: four() }, d))).toBe("defer until 115000");
  });
});
