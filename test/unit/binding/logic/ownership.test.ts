import { describe, expect, it } from "vitest";
import type { GaapListenerBinding, Ownership } from "../../../../src/api/types.ts";
import { holderOf, ownedServers } from "../../../../src/binding/logic/ownership.ts";

const binding = (name: string, created: string, ownership: Ownership, ns = "a"): GaapListenerBinding => ({
  metadata: { namespace: ns, name, creationTimestamp: created as unknown as Date },
  spec: { listenerId: "listener-x", serviceRef: { name: "web", port: 80 }, ownership },
});

describe("holderOf", () => {
  it.each([
    { name: "nobody names the listener", on: [], want: undefined },
    {
      name: "one Exclusive binding holds it",
      on: [binding("web", "2026-01-02", "Exclusive")],
      want: "a/web",
    },
    {
      name: "a lone Shared binding holds nothing",
      on: [binding("web", "2026-01-02", "Shared")],
      want: undefined,
    },
    {
      name: "the oldest of two Exclusive bindings holds it",
      on: [binding("young", "2026-03-01", "Exclusive"), binding("old", "2026-01-01", "Exclusive")],
      want: "a/old",
    },
    {
      name: "all Shared: nobody holds it, each writes its own entries",
      on: [binding("x", "2026-03-01", "Shared"), binding("y", "2026-01-01", "Shared")],
      want: undefined,
    },
    {
      name: "one Exclusive among Shared ones: the oldest holds it, even when that one is Shared",
      on: [binding("shared", "2026-01-01", "Shared"), binding("excl", "2026-02-01", "Exclusive")],
      want: "a/shared",
    },
    {
      name: "created in the same second: the key decides",
      on: [binding("web", "2026-01-01", "Exclusive", "b"), binding("web", "2026-01-01", "Exclusive", "a")],
      want: "a/web",
    },
  ])("$name", ({ on, want }) => {
    expect(holderOf(on)).toBe(want);
  });
});

describe("ownedServers", () => {
  const b: GaapListenerBinding = {
    ...binding("web", "2026-01-01", "Shared"),
    status: { ownedServers: ["10.0.0.1:80"] },
  };
  it.each([
    {
      name: "what this process last wrote wins over a lagging cache",
      last: { ownedServers: ["10.0.0.2:80"] },
      want: ["10.0.0.2:80"],
    },
    { name: "else the cached status", last: undefined, want: ["10.0.0.1:80"] },
    { name: "a last write without owned servers falls back to the cache", last: {}, want: ["10.0.0.1:80"] },
  ])("$name", ({ last, want }) => {
    expect([...ownedServers(b, last)]).toEqual(want);
  });
});
