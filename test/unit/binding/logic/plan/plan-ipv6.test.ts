// The plan with IPv6 origins: one address written two ways is one origin, in every table the IPv4 ones run.
// IPv6 origins
import { describe, expect, it } from "vitest";
import { planRelease } from "../../../../../src/binding/logic/plan.ts";
import { b, b6, desired, key6, listener, o, o6, run, short, spec, summary } from "./plan-fixtures.ts";

describe("plan: IPv6 origins", () => {
  it("summarises both families readably", () => {
    expect(["10.0.0.7", "2001:db8::a", "fd00::1:2"].map(short)).toEqual(["7", ":a", ":2"]);
  });

  it.each([
    {
      name: "binds IPv6 origins on an empty listener",
      desired: desired(o6(1), o6(2)),
      bound: [],
      want: "bind :1w10,:2w10",
    },
    {
      name: "nothing to do when GAAP holds the same IPv6 set",
      desired: desired(o6(1), o6(2)),
      bound: [b6(1), b6(2)],
      want: "inSync",
    },
    {
      name: "replaces a changed IPv6 member",
      desired: desired(o6(1), o6(3)),
      bound: [b6(1), b6(2)],
      want: "bind :1w10,:3w10",
    },
    {
      name: "updates an IPv6 weight",
      desired: desired(o6(1, { weight: 5 })),
      bound: [b6(1)],
      want: "bind :1w5",
    },
    {
      name: "dual-stack: adds the IPv6 twin of a bound IPv4 origin",
      desired: desired(o(1), o6(1)),
      bound: [b(1)],
      want: "bind 1w10,:1w10",
    },
    {
      name: "dual-stack set in sync",
      desired: desired(o(1), o6(1)),
      bound: [b6(1), b(1)],
      want: "inSync",
    },
    {
      name: "an IPv4 entry does not stand in for the IPv6 origin: adds first, holds the removal",
      desired: desired(o6(1)),
      bound: [b(1)],
      want: "bind 1w10,:1w10 held=1",
    },
    {
      name: "sends roles to IPv6 origins with failover on",
      desired: desired(o6(1), o6(2, { secondary: true })),
      bound: [],
      extra: { failoverSwitch: 1 },
      want: "bind :1w10/master,:2w10/slave",
    },
    {
      name: "omits IPv6 weights under rr",
      desired: desired(o6(1, { weight: 30 })),
      bound: [],
      extra: { scheduler: "rr" },
      want: "bind :1",
    },
    {
      name: "registers unknown IPv6 IPs first",
      desired: desired(o6(1), o6(7)),
      bound: [],
      known: [1],
      want: "register 2001:db8::7",
    },
    {
      name: "registers unknown IPs of both families, sorted",
      desired: desired(o6(10), o(10), o6(1)),
      bound: [],
      known: [1],
      want: "register 10.0.0.10,2001:db8::a",
    },
    {
      name: "an IPv6 IP already bound needs no registration",
      desired: desired(o6(2, { weight: 3 })),
      bound: [b6(2)],
      known: [],
      want: "bind :2w3",
    },
    {
      name: "no endpoints keeps the IPv6 set",
      desired: desired(),
      bound: [b6(1), b6(2)],
      want: "hold EmptyEndpoints",
    },
    {
      name: "removing 2 of 3 IPv6 origins (67%) removes 1 and holds the other back",
      desired: desired(o6(1)),
      bound: [b6(1), b6(2), b6(3)],
      want: "bind :1w10,:3w10 held=1",
    },
    {
      name: "removing 1 of 2 IPv6 origins (50%) is within the default 50%",
      desired: desired(o6(1)),
      bound: [b6(1), b6(2)],
      want: "bind :1w10",
    },
    {
      name: "a rolling IPv6 replacement adds first and removes at most maxUnbindPercent of the old",
      desired: desired(o6(4), o6(5), o6(6)),
      bound: [b6(1), b6(2), b6(3)],
      want: "bind :2w10,:3w10,:4w10,:5w10,:6w10 held=2",
    },
    {
      name: "the listener's limit counts IPv6 origins",
      desired: desired(o6(1), o6(2), o(1)),
      bound: [],
      max: 2,
      want: "hold TooManyOrigins",
    },
  ])("$name", ({ desired: d, bound, extra, known, max, want }) => {
    expect(summary(run({ desired: d, listener: listener(bound, extra), known, max }))).toBe(want);
  });

  it("sends each IPv6 origin with its own registered ID, not its IPv4 twin's", () => {
    const p = run({ desired: desired(o6(1), o(1), o6(2)), listener: listener([]), known: [1, 2] });
    expect(p.kind === "bind" && p.set.map((x) => [x.ip, x.realServerId])).toEqual([
      ["2001:db8::1", "rs6-1"],
      ["10.0.0.1", "rs-1"],
      ["2001:db8::2", "rs6-2"],
    ]);
  });

  it("takes an unregistered IPv6 IP's ID from the entry GAAP already holds", () => {
    const p = run({
      desired: desired(o6(2, { weight: 3 })),
      listener: listener([b6(2, { realServerId: "rs-from-gaap" })]),
      known: [],
    });
    expect(p.kind === "bind" && p.set).toEqual([
      { ip: "2001:db8::2", port: 80, weight: 3, realServerId: "rs-from-gaap" },
    ]);
  });

  it("owns [ip]:port keys after a rolling replacement, the held removals included", () => {
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o6(4), o6(5)),
      listener: listener([b6(1), b6(2)]),
      owned: [key6(1), key6(2)],
    });
    expect(summary(p)).toBe("bind :2w10,:4w10,:5w10 held=1");
    expect(p.kind === "bind" && p.owned).toEqual([key6(2), key6(4), key6(5)]);
  });
});

describe("plan: Shared ownership with IPv6", () => {
  it("keeps IPv6 entries it did not bind, replaces its own", () => {
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o6(2), o6(3)),
      listener: listener([b6(1), b6(2), b6(9)]),
      owned: ["[2001:db8::2]:80", "[2001:db8::1]:80"],
    });
    // ::9 is foreign and stays; ::1 was ours and goes; ::3 is new.
    expect(summary(p)).toBe("bind :9w10,:2w10,:3w10");
    expect(p.kind === "bind" && p.owned).toEqual(["[2001:db8::2]:80", "[2001:db8::3]:80"]);
  });

  it("in sync reports its IPv6 keys bracketed, IPv4 keys first", () => {
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o6(2), o(2)),
      listener: listener([b(2), b6(2), b6(9)]),
      owned: ["10.0.0.2:80", "[2001:db8::2]:80"],
    });
    expect(p).toEqual({ kind: "inSync", owned: ["10.0.0.2:80", "[2001:db8::2]:80"] });
  });

  it("leaves a desired IPv6 entry that someone else bound as theirs", () => {
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o6(1), o6(2)),
      listener: listener([b6(1)]),
      owned: [],
    });
    expect(summary(p)).toBe("bind :1w10,:2w10");
    expect(p.kind === "bind" && p.owned).toEqual(["[2001:db8::2]:80"]);
  });

  it("an owned key without brackets is not this binding's IPv6 entry", () => {
    // "2001:db8::1:80" reads as the address 2001:db8::1:80, not 2001:db8::1 port 80: the entry stays foreign.
    const p = run({
      spec: { ownership: "Shared" },
      desired: desired(o6(2)),
      listener: listener([b6(1)]),
      owned: ["2001:db8::1:80"],
    });
    expect(summary(p)).toBe("bind :1w10,:2w10");
    expect(p.kind === "bind" && p.owned).toEqual(["[2001:db8::2]:80"]);
  });

  it("an owned IPv4 key does not claim the IPv6 entry on the same port", () => {
    const p = run({
      spec: { ownership: "Shared", allowEmpty: true },
      desired: desired(),
      listener: listener([b(1), b6(1)]),
      owned: ["10.0.0.1:80"],
    });
    expect(summary(p)).toBe("bind :1w10");
  });

  it("holds back what goes beyond maxUnbindPercent of its own IPv6 entries, not counting others'", () => {
    const s = { ownership: "Shared" as const };
    const l = listener([b6(1), b6(2), b6(3), b6(7), b6(8), b6(9)]);
    const owned = [key6(1), key6(2), key6(3)];
    // 2 of its 3 (67%) would go, so 1 does; against all 6 entries both would (33%).
    expect(summary(run({ spec: s, desired: desired(o6(1)), listener: l, owned }))).toBe(
      "bind :7w10,:8w10,:9w10,:1w10,:3w10 held=1",
    );
    const p = run({ spec: { ...s, maxUnbindPercent: 100 }, desired: desired(o6(1)), listener: l, owned });
    expect(summary(p)).toBe("bind :7w10,:8w10,:9w10,:1w10");
    expect(p.kind === "bind" && [p.owned, p.change]).toEqual([
      [key6(1)],
      { added: 0, removed: 2, updated: 0 },
    ]);
  });

  it("never removes others' IPv6 entries when its own set empties with allowEmpty", () => {
    const p = run({
      spec: { ownership: "Shared", allowEmpty: true },
      desired: desired(),
      listener: listener([b6(1), b6(2)]),
      owned: [key6(1)],
    });
    expect(summary(p)).toBe("bind :2w10");
  });
});

describe("planRelease with IPv6", () => {
  it.each([
    { ownership: "Exclusive" as const, bound: [b6(1), b6(2)], owned: [], want: "bind " },
    { ownership: "Shared" as const, bound: [b6(1), b6(2)], owned: ["[2001:db8::1]:80"], want: "bind :2w10" },
    { ownership: "Shared" as const, bound: [b6(2)], owned: ["[2001:db8::1]:80"], want: "inSync" },
    { ownership: "Shared" as const, bound: [b(1), b6(1)], owned: ["[2001:db8::1]:80"], want: "bind 1w10" },
    { ownership: "Shared" as const, bound: [b(1), b6(1)], owned: ["10.0.0.1:80"], want: "bind :1w10" },
    { ownership: "Shared" as const, bound: [b6(1)], owned: ["2001:db8::1:80"], want: "inSync" },
  ])("$ownership owning $owned -> $want", ({ ownership, bound, owned, want }) => {
    const p = planRelease(spec({ ownership }), listener(bound), new Set(owned));
    expect(summary(p)).toBe(want);
  });

  it("counts the released IPv6 entries", () => {
    const p = planRelease(
      spec({ ownership: "Shared" }),
      listener([b6(1), b(1), b6(2)]),
      new Set([key6(1), key6(2)]),
    );
    expect(p.kind === "bind" && [p.set.map((x) => x.ip), p.change]).toEqual([
      ["10.0.0.1"],
      { added: 0, removed: 2, updated: 0 },
    ]);
  });
});
