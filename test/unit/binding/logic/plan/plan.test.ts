// The plan (logic/plan.ts), table by table: what a pass does with what it read, never shrinking by accident, Shared
// ownership, and deletion.
import { describe, expect, it } from "vitest";
import type { Desired } from "../../../../../src/binding/logic/desired.ts";
import { planRelease } from "../../../../../src/binding/logic/plan.ts";
import { b, desired, listener, o, range, run, spec, summary } from "./plan-fixtures.ts";

describe("plan", () => {
  it.each([
    {
      name: "binds the desired set on an empty listener",
      desired: desired(o(1), o(2)),
      bound: [],
      want: "bind 1w10,2w10",
    },
    {
      name: "nothing to do when GAAP matches",
      desired: desired(o(1), o(2)),
      bound: [b(1), b(2)],
      want: "inSync",
    },
    {
      name: "replaces a changed member",
      desired: desired(o(1), o(3)),
      bound: [b(1), b(2)],
      want: "bind 1w10,3w10",
    },
    { name: "updates a weight", desired: desired(o(1, { weight: 5 })), bound: [b(1)], want: "bind 1w5" },
    {
      name: "waits while the listener is busy",
      desired: desired(o(1)),
      bound: [],
      extra: { status: 3 },
      want: "wait",
    },
    {
      name: "omits weights under rr",
      desired: desired(o(1, { weight: 30 })),
      bound: [],
      extra: { scheduler: "rr" },
      want: "bind 1",
    },
    {
      name: "rr listener with weightless entries is in sync",
      desired: desired(o(1)),
      bound: [b(1, { weight: 1 })],
      extra: { scheduler: "rr" },
      want: "inSync",
    },
    {
      name: "sends roles only with failover on",
      desired: desired(o(1), o(2, { secondary: true })),
      bound: [],
      extra: { failoverSwitch: 1 },
      want: "bind 1w10/master,2w10/slave",
    },
    {
      name: "ignores secondary without failover",
      desired: desired(o(1), o(2, { secondary: true })),
      bound: [],
      want: "bind 1w10,2w10",
    },
    {
      name: "registers unknown IPs first",
      desired: desired(o(1), o(7)),
      bound: [],
      known: [1],
      want: "register 10.0.0.7",
    },
    {
      name: "an IP already bound needs no registration",
      desired: desired(o(2, { weight: 3 })),
      bound: [b(2)],
      known: [],
      want: "bind 2w3",
    },
  ])("$name", ({ desired: d, bound, extra, known, want }) => {
    expect(summary(run({ desired: d, listener: listener(bound, extra), known }))).toBe(want);
  });
});

describe("plan: never shrink by accident", () => {
  it.each([
    { name: "no endpoints keeps the set", d: desired(), spec: {}, want: "hold EmptyEndpoints" },
    { name: "no endpoints with allowEmpty unbinds", d: desired(), spec: { allowEmpty: true }, want: "bind " },
    {
      name: "a missing Service keeps the set",
      d: { ok: false, problem: "ServiceNotFound", message: "gone" } as Desired,
      spec: {},
      want: "hold ServiceNotFound",
    },
    {
      name: "a missing Service with allowEmpty unbinds",
      d: { ok: false, problem: "ServiceNotFound", message: "gone" } as Desired,
      spec: { allowEmpty: true },
      want: "bind ",
    },
    {
      name: "a missing port keeps the set even with allowEmpty",
      d: { ok: false, problem: "ServicePortNotFound", message: "no port" } as Desired,
      spec: { allowEmpty: true },
      want: "hold ServicePortNotFound",
    },
  ])("$name", ({ d, spec: s, want }) => {
    expect(summary(run({ spec: s, desired: d, listener: listener([b(1), b(2)]) }))).toBe(want);
  });

  it.each([
    {
      name: "removing 1 of 2 (50%) is within the default 50%",
      bound: [1, 2],
      want: [1],
      expect: "bind 1w10",
    },
    {
      name: "removing 2 of 3 (67%) removes 1 (33%) and holds the other back",
      bound: [1, 2, 3],
      want: [1],
      expect: "bind 1w10,3w10 held=1",
    },
    {
      name: "removing 8 of 10 removes 5 (in address order) and holds 3 back",
      bound: range(1, 10),
      want: [1, 2],
      expect: "bind 1w10,2w10,8w10,9w10,10w10 held=3",
    },
    {
      name: "a rolling replacement adds first and removes at most maxUnbindPercent of the old",
      bound: [1, 2, 3],
      want: [4, 5, 6],
      expect: "bind 2w10,3w10,4w10,5w10,6w10 held=2",
    },
    {
      name: "then removes the rest of the old (2 of 5)",
      bound: [2, 3, 4, 5, 6],
      want: [4, 5, 6],
      expect: "bind 4w10,5w10,6w10",
    },
    {
      name: "removing 1 of 1 for a new one adds first",
      bound: [1],
      want: [2],
      expect: "bind 1w10,2w10 held=1",
    },
  ])("$name", ({ bound, want, expect: e }) => {
    const p = run({ desired: desired(...want.map((n) => o(n))), listener: listener(bound.map((n) => b(n))) });
    expect(summary(p)).toBe(e);
  });

  it("removes first what the breaker holds back, abnormal origins before the rest", () => {
    const p = run({
      desired: desired(o(1)),
      listener: listener([b(1), b(2), b(3, { health: 1 }), b(4)]),
    });
    // 2 of the 3 go: the abnormal 3 first, then 2.
    expect(summary(p)).toBe("bind 1w10,4w10 held=1");
  });

  it("holds a rolling replacement whose add-first step would exceed the listener's limit", () => {
    // 3 new beside the 2 old the breaker keeps: 5, over a limit of 4.
    const p = run({ desired: desired(o(4), o(5), o(6)), listener: listener([b(1), b(2), b(3)]), max: 4 });
    expect(summary(p)).toBe("hold MassUnbind");
    expect(p.kind === "hold" && p.message).toMatch(/adding first would exceed the listener's limit of 4/);
  });

  it("maxUnbindPercent 100 turns the breaker off", () => {
    const p = run({
      spec: { maxUnbindPercent: 100 },
      desired: desired(o(1)),
      listener: listener(range(1, 10).map((n) => b(n))),
    });
    expect(summary(p)).toBe("bind 1w10");
  });

  it("maxUnbindPercent 0 holds any removal", () => {
    const p = run({
      spec: { maxUnbindPercent: 0 },
      desired: desired(o(1)),
      listener: listener([b(1), b(2)]),
    });
    expect(summary(p)).toBe("hold MassUnbind");
  });

  it("holds more origins than the listener takes, counting others' entries", () => {
    const many = desired(...range(1, 99).map((n) => o(n)));
    const shared = run({
      spec: { ownership: "Shared" },
      desired: many,
      listener: listener([b(150), b(151)]),
      owned: [],
    });
    expect(summary(shared)).toBe("hold TooManyOrigins");
    expect(summary(run({ desired: many, listener: listener([]) }))).toMatch(/^bind /);
  });

  it("refuses a Service port whose protocol is not the listener's", () => {
    const d: Desired = { ok: true, origins: [o(1)], protocol: "UDP", notes: [] };
    expect(summary(run({ desired: d, listener: listener([]) }))).toBe("hold ProtocolMismatch");
  });
});

describe("plan: Shared ownership", () => {
  it("keeps entries it did not bind, replaces its own", () => {
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o(2), o(3)),
      listener: listener([b(1), b(2), b(9)]),
      owned: ["10.0.0.2:80", "10.0.0.1:80"],
    });
    // 9 is foreign and stays; 1 was ours and goes; 3 is new.
    expect(summary(p)).toBe("bind 9w10,2w10,3w10");
    expect(p.kind === "bind" && p.owned).toEqual(["10.0.0.2:80", "10.0.0.3:80"]);
  });

  it("leaves a desired entry that someone else bound as theirs", () => {
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o(1), o(2)),
      listener: listener([b(1)]),
      owned: [],
    });
    expect(summary(p)).toBe("bind 1w10,2w10");
    expect(p.kind === "bind" && p.owned).toEqual(["10.0.0.2:80"]);
  });

  it("never removes others' entries, even when its own set empties with allowEmpty", () => {
    const p = run({
      spec: { ownership: "Shared", allowEmpty: true },
      desired: desired(),
      listener: listener([b(1), b(2)]),
      owned: ["10.0.0.1:80"],
    });
    expect(summary(p)).toBe("bind 2w10");
  });

  it("Exclusive removes everything not desired", () => {
    const p = run({
      spec: { maxUnbindPercent: 100 },
      desired: desired(o(2)),
      listener: listener([b(1), b(2), b(9)]),
      owned: [],
    });
    expect(summary(p)).toBe("bind 2w10");
  });
});

describe("planRelease (deletion with Unbind)", () => {
  it.each([
    { ownership: "Exclusive" as const, bound: [1, 2], owned: [], want: "bind " },
    { ownership: "Shared" as const, bound: [1, 2], owned: ["10.0.0.1:80"], want: "bind 2w10" },
    { ownership: "Shared" as const, bound: [2], owned: ["10.0.0.1:80"], want: "inSync" },
  ])("$ownership with $bound bound, owning $owned -> $want", ({ ownership, bound, owned, want }) => {
    const p = planRelease(spec({ ownership }), listener(bound.map((n) => b(n))), new Set(owned));
    expect(summary(p)).toBe(want);
  });

  it("waits for a busy listener", () => {
    expect(planRelease(spec(), listener([b(1)], { status: 3 }), new Set()).kind).toBe("wait");
  });
});
