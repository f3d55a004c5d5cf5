import { describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOR, defaultState, mergeBehavior, normalizeState } from "../../src/emulator/state.ts";

describe("emulator state files", () => {
  it("fills defaults: behaviour, projects, listener settings", () => {
    const s = normalizeState({
      proxies: [{ proxyId: "link-x", projectId: 3 }],
      listeners: [{ listenerId: "listener-x1", proxyId: "link-x", protocol: "TCP" }],
    });
    expect(s.behavior).toEqual(DEFAULT_BEHAVIOR);
    expect(s.projects.sort()).toEqual([0, 3]);
    expect(s.listeners[0]).toMatchObject({
      scheduler: "rr",
      realServerType: "IP",
      failoverSwitch: 0,
      healthCheck: 1,
    });
    expect(s.proxies[0]?.status).toBe("RUNNING");
  });

  it.each([
    { input: { nonsense: 1 }, message: /unknown key "nonsense"/ },
    { input: { listeners: {} }, message: /"listeners" must be a list/ },
    { input: { credentials: [{ secretId: "a" }] }, message: /credentials\[0\] needs secretId and secretKey/ },
    {
      input: { listeners: [{ listenerId: "listener-a", proxyId: "link-none", protocol: "SCTP" }] },
      message: /unknown proxy link-none.*TCP or UDP/,
    },
    {
      input: { bindings: [{ listenerId: "listener-a", realServerId: "rs-a" }] },
      message: /unknown listener.*unknown realServer/,
    },
    { input: { behavior: { bindTaskMs: "2s" } }, message: /behavior.bindTaskMs must be a number/ },
    {
      input: { behavior: { emptyBindSet: "ignore" } },
      message: /emptyBindSet must be one of unbind, reject/,
    },
    {
      input: { behavior: { rateLimits: { default: 0 } } },
      message: /rateLimits must map actions to positive numbers/,
    },
  ])("refuses $input with a message naming the problem", ({ input, message }) => {
    expect(() => normalizeState(input)).toThrow(message);
  });

  it("merges behaviour patches, keeping unnamed rate limits", () => {
    const b = mergeBehavior(DEFAULT_BEHAVIOR, { bindTaskMs: 10, rateLimits: { BindListenerRealServers: 5 } });
    expect(b.bindTaskMs).toBe(10);
    expect(b.rateLimits).toEqual({ default: 20, DescribeRealServers: 1000, BindListenerRealServers: 5 });
  });

  it("embeds a demo account with a listener of each kind", () => {
    const s = defaultState();
    expect(s.listeners.map((l) => `${l.protocol}/${l.scheduler}/${l.failoverSwitch}`)).toEqual([
      "TCP/wrr/0",
      "TCP/rr/0",
      "UDP/wrr/0",
      "TCP/wrr/1",
    ]);
  });
});
