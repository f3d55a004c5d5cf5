// The operator's GAAP client (the official SDK underneath) against the emulator: shared describe calls, origin
// registration and removal edge cases, and the leader check before writes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GaapEmulator, startEmulator } from "../../src/emulator/server.ts";
import { normalizeState } from "../../src/emulator/state.ts";
import { OperatorError } from "../../src/errors.ts";
import { GaapClient } from "../../src/gaap/client.ts";
import { DEMO_CREDENTIAL } from "../support/gaap.ts";

const listeners = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    listenerId: `listener-c${String(i).padStart(4, "0")}`,
    proxyId: i < n / 2 ? "link-a" : "link-b",
    protocol: i % 5 === 4 ? "UDP" : "TCP",
    port: 1000 + i,
    scheduler: "wrr",
  }));

describe("GaapClient", () => {
  let emu: GaapEmulator;
  let leader = true;
  const client = (batchReads = true, read = 100) =>
    new GaapClient({
      endpoint: emu.url,
      credential: DEMO_CREDENTIAL,
      timeoutSec: 5,
      rates: { write: 100, read, describeRealServers: 1000 },
      canWrite: () => leader,
      batchReads,
    });

  beforeEach(async () => {
    leader = true;
    emu = await startEmulator({
      state: normalizeState({
        credentials: [DEMO_CREDENTIAL],
        proxies: [{ proxyId: "link-a" }, { proxyId: "link-b" }],
        listeners: listeners(40),
        behavior: { bindTaskMs: 100, rateLimits: { default: 1000 } },
      }),
    });
  });
  afterEach(async () => emu.close());

  const describes = () =>
    emu.calls.list().filter((c) => c.action.startsWith("Describe") && c.action.endsWith("Listeners")).length;

  it("reads 40 listeners concurrently with a handful of calls, each with its own state", async () => {
    const c = client();
    const ids = listeners(40).map((l) => l.listenerId);
    const states = await Promise.all(ids.map((id) => c.describeListener(id)));
    expect(states.map((s) => s.listenerId)).toEqual(ids);
    expect(states.filter((s) => s.protocol === "UDP")).toHaveLength(8);
    expect(states[3]?.port).toBe(1003);
    // One directory (2 channels x 2 protocols) and one shared read per channel and protocol, instead of 40.
    expect(describes()).toBeLessThanOrEqual(8);
    const again = await Promise.all(ids.map((id) => c.describeListener(id)));
    expect(again).toHaveLength(40);
    expect(describes()).toBeLessThanOrEqual(12);
  });

  it("lets reads that arrive while a shared read waits for its token ride along with it", async () => {
    // One read a second: after the directory, the next read of link-a's TCP listeners waits about a second.
    const c = client(true, 1);
    await c.describeListener("listener-c0000");
    const before = describes();
    // Each read arrives after the previous one's batching window (5 ms) closed, but before the token.
    const ids = ["listener-c0001", "listener-c0002", "listener-c0003", "listener-c0005", "listener-c0006"];
    const reads: Array<Promise<unknown>> = [];
    for (const id of ids) {
      reads.push(c.describeListener(id));
      await new Promise((r) => setTimeout(r, 20));
    }
    const states = (await Promise.all(reads)) as Array<{ listenerId: string }>;
    expect(states.map((s) => s.listenerId)).toEqual(ids);
    expect(describes() - before).toBe(1);
  });

  it("reads a few listeners of a many-page channel one by one, and many with one sweep", async () => {
    emu.reset(
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
    const c = client();
    await c.describeListener("listener-p0000");
    const reads = (since: number) =>
      emu.calls
        .list({ since, action: "DescribeTCPListeners" })
        .filter((r) => r.code === "Success")
        .map((r) => (r.listenerId ? "one" : "page"));

    let since = emu.calls.lastSeq;
    const two = await Promise.all(["listener-p0011", "listener-p0042"].map((id) => c.describeListener(id)));
    expect(two.map((l) => l.port)).toEqual([1011, 1042]);
    expect(reads(since)).toEqual(["one", "one"]);

    since = emu.calls.lastSeq;
    const ids = [3, 17, 25, 38, 49].map((i) => `listener-p${String(i).padStart(4, "0")}`);
    const five = await Promise.all(ids.map((id) => c.describeListener(id)));
    expect(five.map((l) => l.listenerId)).toEqual(ids);
    expect(reads(since)).toEqual(["page", "page", "page"]);
  });

  it("reads each listener alone when batching is off", async () => {
    const c = client(false);
    await Promise.all(
      ["listener-c0000", "listener-c0001", "listener-c0002"].map((id) => c.describeListener(id)),
    );
    expect(describes()).toBe(3);
  });

  it("finds a listener created after the directory was read, and reports one that does not exist", async () => {
    const c = client();
    await c.describeListener("listener-c0000");
    const created = emu.snapshot();
    emu.reset({
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
    expect((await c.describeListener("listener-late0001")).scheduler).toBe("rr");
    const err = await c.describeListener("listener-nothere").catch((e) => e);
    expect(err).toBeInstanceOf(OperatorError);
    expect([err.kind, err.code]).toEqual(["notFound", "ListenerNotFound"]);
  });

  it("registers origins, looking up those someone else registered meanwhile (DuplicateRS)", async () => {
    const c = client();
    const first = await c.registerOrigins(["198.18.0.1"], 0, "x", []);
    const both = await c.registerOrigins(["198.18.0.1", "198.18.0.2"], 0, "x", [{ key: "k", value: "v" }]);
    expect(both.get("198.18.0.1")).toBe(first.get("198.18.0.1"));
    expect(both.get("198.18.0.2")).toMatch(/^rs-/);
  });

  it("removes unbound origins and reports the ones something binds", async () => {
    const c = client();
    const ids = await c.registerOrigins(["198.18.1.1", "198.18.1.2"], 0, "x", []);
    await c.bind("listener-c0000", [
      { realServerId: ids.get("198.18.1.1") as string, ip: "198.18.1.1", port: 80, weight: 1 },
    ]);
    expect(await c.boundOrigins([...ids.values()])).toEqual(new Set([ids.get("198.18.1.1")]));
    const refused = await c.removeOrigins([...ids.values()]);
    expect(refused).toEqual([ids.get("198.18.1.1")]);
    expect((await c.lookupOrigins(["198.18.1.2"])).size).toBe(0);
  });

  it("sends no write once this process is not the leader", async () => {
    const c = client();
    leader = false;
    const err = await c.bind("listener-c0000", []).catch((e) => e);
    expect(err.code).toBe("NotLeader");
    expect(emu.calls.list({ action: "BindListenerRealServers" })).toEqual([]);
  });
});
