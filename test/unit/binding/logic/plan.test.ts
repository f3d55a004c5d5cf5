import { describe, expect, it } from "vitest";
import { type GaapListenerBindingSpec, resolveSpec } from "../../../../src/api/types.ts";
import type { Desired, Origin } from "../../../../src/binding/logic/desired.ts";
import { judgeRemovals, type Plan, plan, planRelease } from "../../../../src/binding/logic/plan.ts";
import type { BoundOrigin, TargetState } from "../../../../src/gaap/types.ts";

const spec = (s: Partial<GaapListenerBindingSpec> = {}) =>
  resolveSpec({ listenerId: "listener-a", serviceRef: { name: "web", port: 80 }, ...s });

const o = (n: number, extra: Partial<Origin> = {}): Origin => ({
  ip: `10.0.0.${n}`,
  port: 80,
  weight: 10,
  secondary: false,
  ready: true,
  ...extra,
});
const b = (n: number, extra: Partial<BoundOrigin> = {}): BoundOrigin => ({
  realServerId: `rs-${n}`,
  ip: `10.0.0.${n}`,
  port: 80,
  weight: 10,
  ...extra,
});
const desired = (...origins: Origin[]): Desired => ({ ok: true, origins, protocol: "TCP", notes: [] });
const listener = (bound: BoundOrigin[], extra: Partial<TargetState> = {}): TargetState => ({
  listenerId: "listener-a",
  protocol: "TCP",
  port: 80,
  scheduler: "wrr",
  failoverSwitch: 0,
  healthCheck: false,
  realServerType: "IP",
  status: 0,
  bound,
  ...extra,
});
// IPv6 twins of o() and b(): 2001:db8::<n in hex>, registered as rs6-<n>.
const v6 = (n: number) => `2001:db8::${n.toString(16)}`;
const o6 = (n: number, extra: Partial<Origin> = {}): Origin => o(n, { ip: v6(n), ...extra });
const b6 = (n: number, extra: Partial<BoundOrigin> = {}): BoundOrigin =>
  b(n, { realServerId: `rs6-${n}`, ip: v6(n), ...extra });
const key6 = (n: number) => `[${v6(n)}]:80`;
/** Registered origin IDs for both families: 10.0.0.n as rs-n and 2001:db8::n as rs6-n. */
const ids = (...ns: number[]) =>
  new Map(
    ns.flatMap(
      (n): Array<[string, string]> => [
        [`10.0.0.${n}`, `rs-${n}`],
        [v6(n), `rs6-${n}`],
      ],
    ),
  );
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function run(p: {
  spec?: Partial<GaapListenerBindingSpec>;
  desired: Desired;
  listener: TargetState;
  owned?: string[];
  known?: number[];
  max?: number;
  peak?: number;
}): Plan {
  return plan({
    spec: spec(p.spec),
    desired: p.desired,
    target: p.listener,
    owned: new Set(p.owned ?? []),
    originIds: ids(...(p.known ?? range(1, 200))),
    maxOrigins: p.max ?? 100,
    ...(p.peak === undefined ? {} : { peak: p.peak }),
  });
}

/** A short name for an origin IP: the last IPv4 octet ("10.0.0.7" -> "7") or ":" and the last IPv6 group
 * ("2001:db8::a" -> ":a"), so the two families stay apart in one summary. */
const short = (ip: string) => (ip.includes(":") ? `:${ip.split(":").at(-1)}` : (ip.split(".").at(-1) ?? ip));

const summary = (p: Plan) => {
  switch (p.kind) {
    case "bind":
      return `bind ${p.set.map((x) => `${short(x.ip)}${x.weight === undefined ? "" : `w${x.weight}`}${x.role ? `/${x.role}` : ""}`).join(",")}${p.heldRemovals ? ` held=${p.heldRemovals}` : ""}`;
    case "hold":
      return `hold ${p.reason}`;
    case "register":
      return `register ${p.ips.join(",")}`;
    case "wait":
      return "wait";
    case "inSync":
      return "inSync";
    case "coalesce":
      return `defer until ${p.untilMs}`;
  }
};

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
    { name: "removing 2 of 3 (67%) is held", bound: [1, 2, 3], want: [1], expect: "hold MassUnbind" },
    { name: "removing 8 of 10 is held", bound: range(1, 10), want: [1, 2], expect: "hold MassUnbind" },
    {
      name: "a rolling replacement adds first and holds the removals",
      bound: [1, 2, 3],
      want: [4, 5, 6],
      expect: "bind 1w10,2w10,3w10,4w10,5w10,6w10 held=3",
    },
    {
      name: "then removes the old half (50%)",
      bound: [1, 2, 3, 4, 5, 6],
      want: [4, 5, 6],
      expect: "bind 4w10,5w10,6w10",
    },
  ])("$name", ({ bound, want, expect: e }) => {
    const p = run({ desired: desired(...want.map((n) => o(n))), listener: listener(bound.map((n) => b(n))) });
    expect(summary(p)).toBe(e);
  });

  it("holds a rolling replacement whose add-first step would exceed the listener's limit", () => {
    const p = run({ desired: desired(o(4), o(5), o(6)), listener: listener([b(1), b(2), b(3)]), max: 5 });
    expect(summary(p)).toBe("hold MassUnbind");
    expect(p.kind === "hold" && p.message).toMatch(/adding first would exceed the listener's limit of 5/);
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
      name: "removing 2 of 3 IPv6 origins (67%) is held",
      desired: desired(o6(1)),
      bound: [b6(1), b6(2), b6(3)],
      want: "hold MassUnbind",
    },
    {
      name: "removing 1 of 2 IPv6 origins (50%) is within the default 50%",
      desired: desired(o6(1)),
      bound: [b6(1), b6(2)],
      want: "bind :1w10",
    },
    {
      name: "a rolling IPv6 replacement adds first and holds the removals",
      desired: desired(o6(4), o6(5), o6(6)),
      bound: [b6(1), b6(2), b6(3)],
      want: "bind :1w10,:2w10,:3w10,:4w10,:5w10,:6w10 held=3",
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
    expect(summary(p)).toBe("bind :1w10,:2w10,:4w10,:5w10 held=2");
    expect(p.kind === "bind" && p.owned).toEqual([key6(1), key6(2), key6(4), key6(5)]);
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

  it("holds removing more than maxUnbindPercent of its own IPv6 entries, not counting others'", () => {
    const s = { ownership: "Shared" as const };
    const l = listener([b6(1), b6(2), b6(3), b6(7), b6(8), b6(9)]);
    const owned = [key6(1), key6(2), key6(3)];
    // 2 of its 3 (67%) would go; against all 6 entries it would be 33%.
    expect(summary(run({ spec: s, desired: desired(o6(1)), listener: l, owned }))).toBe("hold MassUnbind");
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
      want: "removing 2 of 3 bound origins exceeds maxUnbindPercent (50%)",
    },
    {
      removed: 1,
      bound: 5,
      after: 4,
      peak: 10,
      want: "removing 1 would leave 4 bound origin(s), more than maxUnbindPercent (50%) below the recent peak of 10",
    },
    { removed: 1, bound: 5, after: 4, peak: 3, want: undefined },
  ])(
    "judgeRemovals($removed of $bound, after $after, peak $peak)",
    ({ removed, bound, after, peak, want }) => {
      expect(judgeRemovals(removed, bound, after, peak, 50)).toBe(want);
    },
  );
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
