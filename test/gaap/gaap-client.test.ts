// The operator's GAAP client (the official SDK underneath) against the emulator: shared describe calls, the
// wiring of listener reads into the origin registry, and the leader check before writes.

import { describe, expect, it, vi } from "vitest";
import { normalizeState } from "../../emulator/account/state.ts";
import { OperatorError } from "../../src/errors.ts";
import { ListenerReader } from "../../src/gaap/listener-reader.ts";
import { GaapTransport } from "../../src/gaap/transport.ts";
import { DEMO_CREDENTIAL } from "../../testenv/gaap.ts";
import { eventually } from "../support/eventually.ts";
import { listeners, useEmulator } from "./gaap-fixture.ts";

describe("GaapClient", () => {
  const f = useEmulator();
  const describes = () =>
    f.emu.calls.list().filter((c) => c.action.startsWith("Describe") && c.action.endsWith("Listeners"))
      .length;

  it("reads 40 listeners concurrently with a handful of calls, each with its own state", async () => {
    const c = f.client();
    const ids = listeners(40).map((l) => l.listenerId);
    const states = await Promise.all(ids.map((id) => c.describeTarget({ listenerId: id })));
    expect(states.map((s) => s.listenerId)).toEqual(ids);
    expect(states.filter((s) => s.protocol === "UDP")).toHaveLength(8);
    expect(states[3]?.port).toBe(1003);
    // One directory (2 channels x 4 protocols) and one shared read per channel and protocol, instead of 40.
    expect(describes()).toBeLessThanOrEqual(12);
    const again = await Promise.all(ids.map((id) => c.describeTarget({ listenerId: id })));
    expect(again).toHaveLength(40);
    expect(describes()).toBeLessThanOrEqual(16);
  });

  it("lets reads that arrive while a shared read waits for its token ride along with it", async () => {
    // One read per 2 s: after the directory, the next read of link-a's TCP listeners waits about 2 s, far longer than
    // the reads below take to arrive even on a machine too busy to keep its 20 ms timers.
    const c = f.client({ read: 0.5 });
    await c.describeTarget({ listenerId: "listener-c0000" });
    const before = describes();
    // Each read arrives after the previous one's batching window (5 ms) closed, but before the token.
    const ids = ["listener-c0001", "listener-c0002", "listener-c0003", "listener-c0005", "listener-c0006"];
    const reads: Array<Promise<unknown>> = [];
    for (const id of ids) {
      reads.push(c.describeTarget({ listenerId: id }));
      await new Promise((r) => setTimeout(r, 20));
    }
    const states = (await Promise.all(reads)) as Array<{ listenerId: string }>;
    expect(states.map((s) => s.listenerId)).toEqual(ids);
    expect(describes() - before).toBe(1);
  });

  it("reads a few listeners of a many-page channel one by one, and many with one sweep", async () => {
    f.emu.reset(
      normalizeState({
        credentials: [DEMO_CREDENTIAL],
        proxies: [{ proxyId: "link-a" }],
        listeners: Array.from({ length: 50 }, (_, i) => ({
          listenerId: `listener-p${String(i).padStart(4, "0")}`,
          proxyId: "link-a",
          protocol: "TCP",
          port: 1000 + i,
        })),
        // Pages of 20 at most: the channel's 50 TCP listeners take 3 calls to sweep.
        behavior: { bindTaskMs: 100, rateLimits: { default: 1000 }, maxDescribeListenersLimit: 20 },
      }),
    );
    const c = f.client();
    await c.describeTarget({ listenerId: "listener-p0000" });
    const reads = (since: number) =>
      f.emu.calls
        .list({ since, action: "DescribeTCPListeners" })
        .filter((r) => r.code === "Success")
        .map((r) => (r.listenerId ? "one" : "page"));

    let since = f.emu.calls.lastSeq;
    const two = await Promise.all(
      ["listener-p0011", "listener-p0042"].map((id) => c.describeTarget({ listenerId: id })),
    );
    expect(two.map((l) => l.port)).toEqual([1011, 1042]);
    expect(reads(since)).toEqual(["one", "one"]);

    since = f.emu.calls.lastSeq;
    const ids = [3, 17, 25, 38, 49].map((i) => `listener-p${String(i).padStart(4, "0")}`);
    const five = await Promise.all(ids.map((id) => c.describeTarget({ listenerId: id })));
    expect(five.map((l) => l.listenerId)).toEqual(ids);
    expect(reads(since)).toEqual(["page", "page", "page"]);
  });

  it("reads each listener alone when batching is off", async () => {
    const c = f.client({ batchReads: false });
    await Promise.all(
      ["listener-c0000", "listener-c0001", "listener-c0002"].map((id) =>
        c.describeTarget({ listenerId: id }),
      ),
    );
    expect(describes()).toBe(3);
  });

  it("finds a listener created after the directory was read, and reports one that does not exist", async () => {
    const c = f.client();
    await c.describeTarget({ listenerId: "listener-c0000" });
    const created = f.emu.snapshot();
    f.emu.reset({
      ...created,
      credentials: [DEMO_CREDENTIAL],
      listeners: [
        ...created.listeners,
        {
          listenerId: "listener-late0001",
          proxyId: "link-a",
          protocol: "TCP",
          port: 2000,
          scheduler: "rr",
          realServerType: "IP",
          failoverSwitch: 0,
          healthCheck: 1,
        },
      ],
    });
    expect((await c.describeTarget({ listenerId: "listener-late0001" })).scheduler).toBe("rr");
    const err = await c.describeTarget({ listenerId: "listener-nothere" }).catch((e) => e);
    expect(err).toBeInstanceOf(OperatorError);
    expect([err.kind, err.code]).toEqual(["notFound", "ListenerNotFound"]);
  });

  it("keeps in its directory only what the last read of it found: deleted listeners and channels go", async () => {
    const reader = new ListenerReader(
      new GaapTransport({
        endpoint: f.emu.url,
        credential: DEMO_CREDENTIAL,
        timeoutSec: 5,
        rates: { write: 100, read: 100, describeRealServers: 1000 },
        canWrite: () => true,
      }),
    );
    const internals = reader as unknown as { homes: Map<string, unknown>; channelSizes: Map<string, number> };
    await reader.describeListener("listener-c0000");
    const before = internals.homes.size;
    expect([...internals.channelSizes.keys()].some((k) => k.endsWith("/link-b"))).toBe(true);
    // Another team deletes channel link-b with its listeners.
    const state = f.emu.snapshot();
    f.emu.reset({
      ...state,
      credentials: [DEMO_CREDENTIAL],
      proxies: state.proxies.filter((p) => p.proxyId !== "link-b"),
      listeners: state.listeners.filter((l) => l.proxyId !== "link-b"),
    });
    // A listener the directory does not know, once it is older than its minute, has it read again.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
    try {
      await reader.describeListener("listener-nothere").catch(() => undefined);
    } finally {
      vi.useRealTimers();
    }
    const left = state.listeners.filter((l) => l.proxyId !== "link-b").map((l) => l.listenerId);
    expect(before).toBeGreaterThan(left.length);
    expect([...internals.homes.keys()].sort()).toEqual(left.sort());
    expect([...internals.channelSizes.keys()].filter((k) => k.endsWith("/link-b"))).toEqual([]);
  });

  it("binds origins, and the registry learns their IDs from the next read of the listener", async () => {
    const writer = f.client();
    const ids = await writer.origins.register(["198.18.2.1"], 0, "x", []);
    const id = ids.get("198.18.2.1") as string;
    await writer.bind({ listenerId: "listener-c0000" }, [
      { realServerId: id, ip: "198.18.2.1", port: 80, weight: 3 },
    ]);
    expect(f.emu.calls.list({ action: "BindListenerRealServers" }).map((r) => r.bindSet)).toEqual([
      ["198.18.2.1:80"],
    ]);
    const reader = f.client();
    expect(reader.origins.ids.size).toBe(0);
    // Read until the bind's task (bindTaskMs 100) is over.
    const l = await eventually(async () => {
      const read = await reader.describeTarget({ listenerId: "listener-c0000" });
      expect(read.status).toBe(0);
      return read;
    });
    // With it, GAAP's health check of the origin (RealServerStatus 0: normal).
    expect(l.bound).toEqual([{ realServerId: id, ip: "198.18.2.1", port: 80, weight: 3, health: 0 }]);
    expect(reader.origins.ids).toEqual(new Map([["198.18.2.1", id]]));
  });

  describe("leader check", () => {
    const writes = () =>
      f.emu.calls
        .list()
        .filter((c) => ["BindListenerRealServers", "AddRealServers", "RemoveRealServers"].includes(c.action));

    it("sends no write once this process is not the leader", async () => {
      const c = f.client();
      const ids = await c.origins.register(["198.18.3.1"], 0, "x", []);
      const sent = writes().length;
      f.leader = false;
      const refused = await Promise.all([
        c.bind({ listenerId: "listener-c0000" }, []).catch((e) => e),
        c.origins.register(["198.18.3.2"], 0, "x", []).catch((e) => e),
        c.origins.remove([...ids.values()]).catch((e) => e),
      ]);
      for (const err of refused) {
        expect(err).toBeInstanceOf(OperatorError);
        expect([err.kind, err.code]).toEqual(["transient", "NotLeader"]);
      }
      expect(writes()).toHaveLength(sent);
      // A refused removal removed nothing, so the registry still knows the ID.
      expect(c.origins.ids.get("198.18.3.1")).toBe(ids.get("198.18.3.1"));
    });

    it("checks leadership after the wait for a write token, not before it", async () => {
      const c = f.client({ write: 0.25 });
      await c.bind({ listenerId: "listener-c0000" }, []);
      // The next bind waits about 4 s for its token (a margin no busy machine eats up); leadership is lost meanwhile.
      const second = c.bind({ listenerId: "listener-c0001" }, []).catch((e) => e);
      await new Promise((r) => setTimeout(r, 100));
      f.leader = false;
      expect((await second).code).toBe("NotLeader");
      expect(f.emu.calls.list({ action: "BindListenerRealServers" }).map((r) => r.listenerId)).toEqual([
        "listener-c0000",
      ]);
    });
  });
});
