import { describe, expect, it } from "vitest";
import { BindTaskTracker } from "../../../src/binding/task-tracker.ts";

function tracker(initial = 1000) {
  const clock = { t: 0, now: () => clock.t };
  return { clock, tracker: new BindTaskTracker(initial, clock) };
}

describe("BindTaskTracker", () => {
  it("holds a listener for the estimate after a bind, and lets go once a read shows it done", () => {
    const { clock, tracker: t } = tracker();
    expect(t.pending("l")).toBeUndefined();
    t.sent("l");
    clock.t = 300;
    expect(t.pending("l")).toBe(700);
    expect(t.pending("other")).toBeUndefined();
    clock.t = 1000;
    expect(t.pending("l")).toBeUndefined();
  });

  it.each([
    { name: "done at the first look: the estimate shrinks 10%", looks: [{ at: 1000, status: 0 }], want: 900 },
    {
      name: "still busy at the first look: it moves 30% towards what the task took",
      looks: [
        { at: 1000, status: 3 },
        { at: 5000, status: 0 },
      ],
      want: 0.7 * 1000 + 0.3 * 5000,
    },
    {
      name: "a task that seems to take forever counts as 60 s",
      looks: [
        { at: 1000, status: 3 },
        { at: 600_000, status: 0 },
      ],
      want: 0.7 * 1000 + 0.3 * 60_000,
    },
    { name: "reads of a listener with no bind of ours teach nothing", looks: [], want: 1000 },
  ])("$name", ({ looks, want }) => {
    const { clock, tracker: t } = tracker();
    t.sent("l");
    for (const look of looks) {
      clock.t = look.at;
      t.observe("l", look.status);
    }
    t.observe("unrelated", 0);
    expect(t.estimateMs).toBe(want);
  });

  it("never estimates below 100 ms", () => {
    const { clock, tracker: t } = tracker(105);
    for (let i = 0; i < 5; i++) {
      t.sent("l");
      clock.t += 200;
      t.observe("l", 0);
    }
    expect(t.estimateMs).toBe(100);
  });
});

describe("BindTaskTracker: the longest task", () => {
  it("remembers the longest bind of the last hour, from send to seen done, and forgets it after", () => {
    const { clock, tracker: t } = tracker();
    expect(t.longestMs).toBe(0);
    t.sent("l");
    clock.t = 1000;
    t.observe("l", 3);
    clock.t = 7000;
    t.observe("l", 0);
    expect(t.longestMs).toBe(7000);
    t.sent("l");
    clock.t = 8000;
    t.observe("l", 0);
    expect(t.longestMs).toBe(7000);
    // An hour after the long one, the shorter, later one is the longest left; then nothing is.
    clock.t = 7000 + 3_600_001;
    expect(t.longestMs).toBe(1000);
    clock.t = 8000 + 3_600_001;
    expect(t.longestMs).toBe(0);
  });

  it("waits for the rule its bind wrote: a sibling rule's status neither ends nor extends the task", () => {
    const { clock, tracker: t } = tracker();
    t.sent("l", "rule-a");
    expect(t.inflightRule("l")).toBe("rule-a");
    clock.t = 1200;
    t.observe("l", 0, "rule-b");
    t.observe("l", 0);
    expect(t.inflightRule("l")).toBe("rule-a");
    t.observe("l", 3, "rule-a");
    clock.t = 2000;
    t.observe("l", 0, "rule-a");
    expect(t.inflightRule("l")).toBeUndefined();
    expect(t.longestOn("l")).toBe(2000);
  });

  it("reads what a pass saw: each rule's status, or the listener's", () => {
    const { clock, tracker: t } = tracker();
    const base = { listenerId: "l", protocol: "HTTP" as const, port: 80, scheduler: "rr", failoverSwitch: 0 };
    const read = { ...base, realServerType: "IP", healthCheck: false, bound: [], status: 3 };
    t.sent("l", "rule-a");
    clock.t = 500;
    const rule = { ruleId: "rule-b", domain: "d", path: "/", status: 0, healthy: true };
    t.observeRead({
      ...read,
      rule,
      ruleStatuses: new Map([
        ["rule-b", 0],
        ["rule-a", 3],
      ]),
    });
    expect(t.inflightRule("l")).toBe("rule-a");
    t.observeRead({ ...read, status: 0, rule, ruleStatuses: new Map([["rule-a", 0]]) });
    expect(t.inflightRule("l")).toBeUndefined();
    t.sent("m");
    t.observeRead({ ...read, listenerId: "m", protocol: "TCP", status: 0 });
    expect(t.pending("m")).toBeUndefined();
  });

  it("forgets a bind nobody read back once its task must be over", () => {
    const { clock, tracker: t } = tracker(1000);
    // Binds on listeners whose bindings were then deleted: no read ever comes.
    for (let i = 0; i < 20; i++) t.sent(`gone-${i}`, "rule-1");
    expect(t.inflightRule("gone-3")).toBe("rule-1");
    clock.t = 30_000;
    t.sent("live");
    expect(t.inflightRule("gone-3")).toBe("rule-1");
    clock.t = 62_000;
    t.sent("live2");
    const internals = t as unknown as { inflight: Map<string, unknown> };
    expect([...internals.inflight.keys()].sort()).toEqual(["live", "live2"]);
    expect(t.inflightRule("gone-3")).toBeUndefined();
  });

  it("hands on the removals of held pods a bind carried once a read shows its task done, and only once", () => {
    const clock = { t: 0, now: () => clock.t };
    const applied: Array<{ binding: string; pods: string[]; sentAt: number; after: number; by: number }> = [];
    const t = new BindTaskTracker(1000, clock, (binding, removals, when) =>
      applied.push({ binding, pods: removals.map((r) => r.pod), ...when }),
    );
    const removals = [{ origin: "10.0.0.1:80", pod: "old", endsAt: 5000, holdSeconds: 5 }];
    t.sent("l", undefined, { binding: "ns/web", removals });
    clock.t = 1000;
    t.observe("l", 3);
    expect(applied).toEqual([]);
    clock.t = 2500;
    t.observe("l", 0);
    t.observe("l", 0);
    // Applied no earlier than the last read that saw the task running.
    expect(applied).toEqual([{ binding: "ns/web", pods: ["old"], sentAt: 0, after: 1000, by: 2500 }]);
    // A bind without removals of held pods hands on nothing.
    t.sent("l");
    clock.t = 4000;
    t.observe("l", 0);
    expect(applied).toHaveLength(1);
  });

  it("a bind never read back done is handed on when the next one is sent (it was applied by then)", () => {
    const clock = { t: 0, now: () => clock.t };
    const applied: Array<{ pods: string[]; after: number }> = [];
    const t = new BindTaskTracker(1000, clock, (_b, removals, when) =>
      applied.push({ pods: removals.map((r) => r.pod), after: when.after }),
    );
    t.sent("l", undefined, {
      binding: "ns/web",
      removals: [{ origin: "10.0.0.1:80", pod: "old", endsAt: 5000, holdSeconds: 5 }],
    });
    clock.t = 5000;
    t.sent("l");
    expect(applied).toEqual([{ pods: ["old"], after: 0 }]);
  });

  it.each([
    {
      name: "a hold that ends before the task is expected done: looked at when it surely ends",
      endsAt: 3000,
      want: 4000,
    },
    { name: "a hold that ends after: looked at as usual", endsAt: 20_000, want: 10_000 },
    { name: "a hold over already when sent: looked at as usual", endsAt: -5000, want: 10_000 },
  ])("$name", ({ endsAt, want }) => {
    const { tracker: t } = tracker(10_000);
    t.sent("l", undefined, {
      binding: "ns/web",
      removals: [{ origin: "10.0.0.1:80", pod: "old", endsAt, holdSeconds: 3 }],
    });
    expect(t.pending("l")).toBe(want);
  });
});
