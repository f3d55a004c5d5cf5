// The grants' decision, table-driven: by namespace name and selector, by listener, by proxy and by rule, and what
// stays undecided until GAAP has been read.
import { describe, expect, it } from "vitest";
import { type Access, type AccessQuery, access } from "../../../src/access/grants.ts";
import type { GaapListenerGrant, GrantTarget } from "../../../src/api/grant.ts";

const grant = (
  name: string,
  who: { namespaces?: string[]; selector?: Record<string, string> },
  targets: GrantTarget[],
): GaapListenerGrant => ({
  metadata: { name },
  spec: {
    ...(who.namespaces ? { namespaces: who.namespaces } : {}),
    ...(who.selector ? { namespaceSelector: { matchLabels: who.selector } } : {}),
    targets,
  },
});

const GRANTS = [
  grant("team-a", { namespaces: ["a"] }, [{ listenerId: "listener-a1" }]),
  grant("tenant-b", { selector: { tenant: "b" } }, [{ listenerId: "listener-b1" }]),
  grant("edge", { namespaces: ["c"] }, [{ proxyId: "link-c" }]),
  grant("rules", { namespaces: ["d"] }, [{ listenerId: "listener-http", ruleIds: ["rule-d1"] }]),
];

const q = (over: Partial<AccessQuery>): AccessQuery => ({
  namespace: "a",
  namespaceLabels: {},
  listenerId: "listener-a1",
  rule: false,
  ...over,
});

const cases: Array<{ name: string; query: AccessQuery; want: Access["kind"]; grant?: string }> = [
  { name: "a listener granted to the namespace by name", query: q({}), want: "granted", grant: "team-a" },
  { name: "another listener", query: q({ listenerId: "listener-x" }), want: "denied" },
  { name: "another namespace", query: q({ namespace: "z" }), want: "denied" },
  {
    name: "a namespace the selector matches",
    query: q({ namespace: "b", namespaceLabels: { tenant: "b" }, listenerId: "listener-b1" }),
    want: "granted",
    grant: "tenant-b",
  },
  {
    name: "a namespace the selector does not match",
    query: q({ namespace: "b", namespaceLabels: { tenant: "x" }, listenerId: "listener-b1" }),
    want: "denied",
  },
  {
    name: "a namespace not in the cache yet, a selector grant naming the listener",
    query: q({ namespace: "b", namespaceLabels: undefined, listenerId: "listener-b1" }),
    want: "undecided",
  },
  {
    name: "... and still undecided once GAAP has been read: the namespace's event decides it",
    query: q({ namespace: "b", namespaceLabels: undefined, listenerId: "listener-b1", final: true }),
    want: "undecided",
  },
  {
    name: "an unseen namespace no selector grant could cover",
    query: q({ namespace: "b", namespaceLabels: undefined, listenerId: "listener-x", final: true }),
    want: "denied",
  },
  { name: "a proxy grant before the read", query: q({ namespace: "c" }), want: "undecided" },
  {
    name: "a proxy grant, the listener on that proxy",
    query: q({ namespace: "c", proxyId: "link-c", final: true }),
    want: "granted",
    grant: "edge",
  },
  {
    name: "a proxy grant, the listener on another proxy",
    query: q({ namespace: "c", proxyId: "link-x", final: true }),
    want: "denied",
  },
  {
    name: "a proxy grant, a listener of a proxy group (no proxy)",
    query: q({ namespace: "c", final: true }),
    want: "denied",
  },
  {
    name: "a granted rule by ID",
    query: q({ namespace: "d", listenerId: "listener-http", rule: true, ruleId: "rule-d1" }),
    want: "granted",
  },
  {
    name: "another rule of the listener",
    query: q({ namespace: "d", listenerId: "listener-http", rule: true, ruleId: "rule-d2" }),
    want: "denied",
  },
  {
    name: "a rule named by domain and path, before the read",
    query: q({ namespace: "d", listenerId: "listener-http", rule: true }),
    want: "undecided",
  },
  {
    name: "the whole listener, when only rules are granted",
    query: q({ namespace: "d", listenerId: "listener-http", rule: false }),
    want: "denied",
  },
  {
    name: "a rule of a listener granted whole",
    query: q({ listenerId: "listener-a1", rule: true, ruleId: "rule-any" }),
    want: "granted",
  },
];

describe("access", () => {
  it.each(cases)("$name: $want", ({ query, want, grant: by }) => {
    const a = access(GRANTS, query);
    expect(a.kind).toBe(want);
    if (by) expect(a).toMatchObject({ grant: by });
  });

  it("grants add up: one that does not cover leaves another that does", () => {
    const extra = grant("more", { namespaces: ["a"] }, [{ listenerId: "listener-a2" }]);
    expect(access([...GRANTS, extra], q({ listenerId: "listener-a2" })).kind).toBe("granted");
    expect(access(GRANTS, q({ listenerId: "listener-a2" })).kind).toBe("denied");
  });

  it("an empty selector selects every namespace; no selector selects none", () => {
    const all: GaapListenerGrant = {
      metadata: { name: "all" },
      spec: { namespaceSelector: {}, targets: [{ listenerId: "l" }] },
    };
    const none: GaapListenerGrant = { metadata: { name: "none" }, spec: { targets: [{ listenerId: "l" }] } };
    expect(access([all], q({ namespace: "any", listenerId: "l" })).kind).toBe("granted");
    expect(access([none], q({ namespace: "any", listenerId: "l" })).kind).toBe("denied");
  });

  it("a refusal names the namespace and what it asked for, not whether the listener exists", () => {
    const a = access(
      GRANTS,
      q({ namespace: "d", listenerId: "listener-http", rule: true, ruleId: "rule-d2" }),
    );
    expect(a).toEqual({
      kind: "denied",
      message:
        "no GaapListenerGrant lets namespace d bind rule rule-d2 of listener listener-http; a cluster administrator grants it (kubectl get gaaplistenergrants)",
    });
  });
});
