// What a pass asks GAAP for (logic/target-query.ts): a listener with the protocol last seen, or a rule with its
// sibling rules (another binding's, or the one our bind in flight writes), and on deletion the rule it bound.
import { describe, expect, it } from "vitest";
import type {
  GaapListenerBinding,
  GaapListenerBindingSpec,
  GaapListenerBindingStatus,
} from "../../../../src/api/types.ts";
import { targetQuery } from "../../../../src/binding/logic/target-query.ts";

function binding(
  name: string,
  spec: Partial<GaapListenerBindingSpec> = {},
  status?: GaapListenerBindingStatus,
): GaapListenerBinding {
  return {
    metadata: { namespace: "ns", name, uid: `uid-${name}` },
    spec: { listenerId: "listener-h", serviceRef: { name: "web", port: 80 }, ...spec },
    ...(status ? { status } : {}),
  };
}
const resolved = (ruleId: string): GaapListenerBindingStatus => ({
  rule: {
    ruleId,
    domain: "a.example.com",
    path: "/",
    scheduler: "rr",
    status: 0,
    healthCheck: false,
    health: "Normal",
  },
});

describe("targetQuery", () => {
  const noneWritten = { lastWritten: () => undefined };

  it("a listener: its ID, and the protocol last seen as a hint", () => {
    const b = binding("web", {}, { listener: { protocol: "HTTP" } as GaapListenerBindingStatus["listener"] });
    expect(targetQuery(b, { bindingsOnListener: () => [b] }, noneWritten)).toEqual({
      listenerId: "listener-h",
      protocolHint: "HTTP",
    });
  });

  it("a rule: what names it, the rule resolved last time, and the others' rules on the listener as siblings", () => {
    const b = binding("web", { rule: { domain: "a.example.com", path: "/" } }, resolved("rule-a"));
    const other = binding("api", { rule: { ruleId: "rule-b" } }, resolved("rule-b"));
    const same = binding("twin", { rule: { ruleId: "rule-a" } }, resolved("rule-a"));
    const q = targetQuery(b, { bindingsOnListener: () => [b, other, same] }, noneWritten, {
      inflightRule: "rule-c",
    });
    expect(q).toEqual({
      listenerId: "listener-h",
      rule: { domain: "a.example.com", path: "/" },
      knownRuleId: "rule-a",
      siblingRules: ["rule-b", "rule-c"],
    });
  });

  it("what this process last wrote counts before a cache that lags behind it", () => {
    const b = binding("web", { rule: { domain: "a.example.com", path: "/" } });
    const q = targetQuery(b, { bindingsOnListener: () => [b] }, { lastWritten: () => resolved("rule-new") });
    expect(q.knownRuleId).toBe("rule-new");
  });

  it("a deletion reads the rule it bound, never one found again by domain and path", () => {
    const b = binding("web", { rule: { domain: "a.example.com", path: "/" } }, resolved("rule-a"));
    const q = targetQuery(b, { bindingsOnListener: () => [b] }, noneWritten, { bound: true });
    expect(q.rule).toEqual({ ruleId: "rule-a" });
  });
});
