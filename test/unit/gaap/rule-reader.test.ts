// Rule reads and rule binds over an in-memory transport: DescribeRulesByRuleIds shared 10 IDs to a call, one bad ID
// failing only its own read, the target reader's checks of what GAAP answered, and the binder's request shapes.
import type { RuleInfo } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { describe, expect, it } from "vitest";
import { OperatorError } from "../../../src/errors.ts";
import { OriginBinder } from "../../../src/gaap/binder.ts";
import type { ListenerReader } from "../../../src/gaap/listener-reader.ts";
import { RuleReader } from "../../../src/gaap/rule-reader.ts";
import { TargetReader } from "../../../src/gaap/target-reader.ts";
import type { GaapTransport } from "../../../src/gaap/transport.ts";
import { listenerState } from "../fixtures.ts";

const rule = (id: string, extra: Partial<RuleInfo> = {}): RuleInfo => ({
  RuleId: id,
  ListenerId: "listener-h",
  Domain: "www.example.com",
  Path: `/${id}`,
  Scheduler: "rr",
  HealthCheck: 0,
  RuleStatus: 0,
  BindStatus: 1,
  RealServerSet: [],
  ...extra,
});

/** GAAP in memory: the rules it has, every request in order, and an answer to fail a call with. */
class FakeGaap implements Pick<GaapTransport, "read" | "takeToken" | "write"> {
  readonly rules = new Map<string, RuleInfo>();
  readonly calls: Array<{ action: string; req: Record<string, unknown> }> = [];
  failWith: ((ids: string[]) => OperatorError | undefined) | undefined;

  async takeToken(): Promise<void> {}
  async read<T>(action: string, req: object): Promise<T> {
    const r = req as Record<string, unknown>;
    this.calls.push({ action, req: r });
    if (action === "DescribeRulesByRuleIds") {
      const ids = r.RuleIds as string[];
      const err = this.failWith?.(ids);
      if (err) throw err;
      return { RuleSet: ids.flatMap((id) => this.rules.get(id) ?? []) } as T;
    }
    if (action === "DescribeRules") {
      const set = [...this.rules.values()].filter((x) => x.ListenerId === r.ListenerId);
      const domains = [...new Set(set.map((x) => x.Domain))];
      return {
        DomainRuleSet: domains.map((d) => ({ Domain: d, RuleSet: set.filter((x) => x.Domain === d) })),
      } as T;
    }
    throw new Error(`unexpected ${action}`);
  }
  async write<T>(action: string, req: object): Promise<T> {
    this.calls.push({ action, req: req as Record<string, unknown> });
    return {} as T;
  }
}

const unknownRule = (ids: string[]) =>
  ids.includes("rule-gone")
    ? new OperatorError("config", "InvalidParameter", "DescribeRulesByRuleIds: ruleId(rule-gone) Not Exist.")
    : undefined;

describe("RuleReader", () => {
  it("shares calls between concurrent reads, at most 10 IDs to a call", async () => {
    const g = new FakeGaap();
    for (let i = 0; i < 12; i++) g.rules.set(`rule-${i}`, rule(`rule-${i}`));
    const reader = new RuleReader(g);
    const read = await Promise.all(Array.from({ length: 12 }, (_, i) => reader.read(`rule-${i}`)));
    expect(read.map((r) => r?.RuleId)).toEqual(Array.from({ length: 12 }, (_, i) => `rule-${i}`));
    expect(g.calls.map((c) => (c.req.RuleIds as string[]).length)).toEqual([10, 2]);
  });

  it("reads one ID asked for twice once", async () => {
    const g = new FakeGaap();
    g.rules.set("rule-a", rule("rule-a"));
    const reader = new RuleReader(g);
    const [a, b] = await Promise.all([reader.read("rule-a"), reader.read("rule-a")]);
    expect(a).toEqual(b);
    expect(g.calls).toHaveLength(1);
  });

  it("lets an unknown ID that fails the whole call fail only its own read", async () => {
    const g = new FakeGaap();
    g.rules.set("rule-a", rule("rule-a"));
    g.rules.set("rule-b", rule("rule-b"));
    g.failWith = unknownRule;
    const reader = new RuleReader(g);
    const [a, gone, b] = await Promise.all([
      reader.read("rule-a"),
      reader.read("rule-gone"),
      reader.read("rule-b"),
    ]);
    expect(a?.RuleId).toBe("rule-a");
    expect(gone).toBeUndefined();
    expect(b?.RuleId).toBe("rule-b");
    // The shared call, then each alone.
    expect(g.calls.map((c) => (c.req.RuleIds as string[]).join(","))).toEqual([
      "rule-a,rule-gone,rule-b",
      "rule-a",
      "rule-gone",
      "rule-b",
    ]);
  });

  it("fails every read of a call that failed for a reason a retry may fix, without asking again", async () => {
    const g = new FakeGaap();
    g.failWith = () => new OperatorError("transient", "InternalError", "boom");
    const reader = new RuleReader(g);
    const reads = await Promise.allSettled([reader.read("rule-a"), reader.read("rule-b")]);
    expect(reads.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(g.calls).toHaveLength(1);
  });

  it("reads each rule alone with batchReads off", async () => {
    const g = new FakeGaap();
    g.rules.set("rule-a", rule("rule-a"));
    const reader = new RuleReader(g, { batchReads: false });
    await Promise.all([reader.read("rule-a"), reader.read("rule-b")]);
    expect(g.calls.map((c) => c.req.RuleIds)).toEqual([["rule-a"], ["rule-b"]]);
  });
});

describe("TargetReader", () => {
  const http = listenerState({ listenerId: "listener-h", protocol: "HTTP", port: 8000, scheduler: "" });
  const listeners: Pick<ListenerReader, "describeListener"> = {
    describeListener: async (id) => (id === "listener-t" ? listenerState({ listenerId: id }) : http),
  };
  const setup = () => {
    const g = new FakeGaap();
    return { g, targets: new TargetReader(listeners, new RuleReader(g)) };
  };
  const fails = (p: Promise<unknown>) =>
    p.then(
      () => "resolved",
      (e: OperatorError) => `${e.kind} ${e.code}`,
    );

  it("refuses a rule GAAP does not place on this listener, or names without its listener", async () => {
    const { g, targets } = setup();
    g.rules.set("rule-x", rule("rule-x", { ListenerId: "listener-other" }));
    g.rules.set("rule-y", rule("rule-y", { ListenerId: undefined }));
    expect(
      await fails(targets.describeTarget({ listenerId: "listener-h", rule: { ruleId: "rule-x" } })),
    ).toBe("config RuleNotOnListener");
    expect(
      await fails(targets.describeTarget({ listenerId: "listener-h", rule: { ruleId: "rule-y" } })),
    ).toBe("config RuleNotOnListener");
    expect(
      await fails(targets.describeTarget({ listenerId: "listener-h", rule: { ruleId: "rule-z" } })),
    ).toBe("notFound RuleNotFound");
  });

  it("never takes a rule found by domain and path that has no ID", async () => {
    const { g, targets } = setup();
    g.rules.set("x", rule("x", { RuleId: undefined, Path: "/api" }));
    const q = { listenerId: "listener-h", rule: { domain: "www.example.com", path: "/api" } };
    expect(await fails(targets.describeTarget(q))).toBe("transient RuleWithoutId");
  });

  it("finds a rule by domain and path again when the one it knew serves another path now", async () => {
    const { g, targets } = setup();
    g.rules.set("rule-old", rule("rule-old", { Path: "/moved" }));
    g.rules.set("rule-new", rule("rule-new", { Path: "/api" }));
    const t = await targets.describeTarget({
      listenerId: "listener-h",
      rule: { domain: "www.example.com", path: "/api" },
      knownRuleId: "rule-old",
    });
    expect(t.rule?.ruleId).toBe("rule-new");
    expect(g.calls.map((c) => c.action)).toEqual(["DescribeRulesByRuleIds", "DescribeRules"]);
    expect(
      await fails(
        targets.describeTarget({ listenerId: "listener-h", rule: { domain: "no.example.com", path: "/" } }),
      ),
    ).toBe("notFound DomainNotFound");
  });

  it("reads the siblings in the same call, and a sibling that cannot be read fails the pass", async () => {
    const { g, targets } = setup();
    g.rules.set("rule-a", rule("rule-a"));
    g.rules.set("rule-b", rule("rule-b", { RuleStatus: 3 }));
    const t = await targets.describeTarget({
      listenerId: "listener-h",
      rule: { ruleId: "rule-a" },
      siblingRules: ["rule-b", "rule-gone"],
      protocolHint: "HTTP",
    });
    expect(t.status).toBe(3);
    expect(t.busyWith).toBe("a task on its rule rule-b");
    expect([...(t.ruleStatuses ?? [])]).toEqual([
      ["rule-a", 0],
      ["rule-b", 3],
    ]);
    g.failWith = (ids) =>
      ids.includes("rule-b")
        ? new OperatorError("throttled", "RequestLimitExceeded", "slow down")
        : undefined;
    expect(
      await fails(
        targets.describeTarget({
          listenerId: "listener-h",
          rule: { ruleId: "rule-a" },
          siblingRules: ["rule-b"],
        }),
      ),
    ).toBe("throttled RequestLimitExceeded");
  });

  it("returns a TCP listener as it is when a rule is named on it, for the plan to refuse", async () => {
    const { g, targets } = setup();
    const t = await targets.describeTarget({ listenerId: "listener-t", rule: { ruleId: "rule-a" } });
    expect(t.protocol).toBe("TCP");
    expect(t.rule).toBeUndefined();
    expect(g.calls).toEqual([]);
  });
});

describe("OriginBinder", () => {
  const origin = { realServerId: "rs-1", ip: "10.0.0.1", port: 80, weight: 5 };

  it("binds a rule by its ID, and unbinds all of it by leaving the set out", async () => {
    const g = new FakeGaap();
    const binder = new OriginBinder(g as unknown as GaapTransport);
    await binder.bind({ listenerId: "listener-h", ruleId: "rule-a" }, [origin]);
    await binder.bind({ listenerId: "listener-h", ruleId: "rule-a" }, []);
    await binder.bind({ listenerId: "listener-t" }, [origin]);
    expect(g.calls).toEqual([
      {
        action: "BindRuleRealServers",
        req: {
          RuleId: "rule-a",
          RealServerBindSet: [
            { RealServerId: "rs-1", RealServerIP: "10.0.0.1", RealServerPort: 80, RealServerWeight: 5 },
          ],
        },
      },
      { action: "BindRuleRealServers", req: { RuleId: "rule-a" } },
      {
        action: "BindListenerRealServers",
        req: {
          ListenerId: "listener-t",
          RealServerBindSet: [
            { RealServerId: "rs-1", RealServerIP: "10.0.0.1", RealServerPort: 80, RealServerWeight: 5 },
          ],
        },
      },
    ]);
    await expect(binder.bind({ listenerId: "listener-h", ruleId: "" }, [origin])).rejects.toThrow(
      /needs the rule's ID/,
    );
  });
});
