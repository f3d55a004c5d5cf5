// The origin registry against the emulator: registration with DuplicateRS, the cache of IDs by IP (what it
// learns and forgets), tag and bind-status queries, removal, and which calls are retried.
import { describe, expect, it } from "vitest";
import { OperatorError } from "../../src/errors.ts";
import { BINDING_TAG } from "../../src/gaap/types.ts";
import { useEmulator } from "./gaap-fixture.ts";

describe("OriginRegistry", () => {
  const f = useEmulator({
    realServers: [
      { realServerId: "rs-seed0001", ip: "198.18.9.1" },
      { realServerId: "rs-seed0002", ip: "198.18.9.2" },
    ],
    bindings: [
      { listenerId: "listener-c0000", realServerId: "rs-seed0001", port: 80 },
      { listenerId: "listener-c0003", realServerId: "rs-seed0002", port: 81 },
    ],
  });
  const registered = () => new Map(f.emu.snapshot().realServers.map((r) => [r.ip, r.realServerId]));
  const calls = (action: string, since = 0) => f.emu.calls.list({ action, since }).map((r) => r.code);

  it("remembers the IDs it registers", async () => {
    const { origins } = f.client();
    const ids = await origins.register(["198.18.0.1", "198.18.0.2"], 0, "x", []);
    expect([...ids.keys()].sort()).toEqual(["198.18.0.1", "198.18.0.2"]);
    for (const [ip, id] of ids) expect(registered().get(ip)).toBe(id);
    expect(origins.ids).toEqual(ids);
  });

  it("learns the IDs of what the listener it was asked for holds, not of others a shared read passed over", async () => {
    const c = f.client();
    expect(c.origins.ids.size).toBe(0);
    await c.describeTarget({ listenerId: "listener-c0000" });
    // listener-c0003 was read by the directory, on the same channel: its origin is not learned.
    expect(c.origins.ids).toEqual(new Map([["198.18.9.1", "rs-seed0001"]]));
    await c.describeTarget({ listenerId: "listener-c0003" });
    expect(c.origins.ids.get("198.18.9.2")).toBe("rs-seed0002");
  });

  it("re-finds the ID of an IP someone else registered meanwhile (DuplicateRS)", async () => {
    const other = await f.client().origins.register(["198.18.0.1"], 0, "x", []);
    const { origins } = f.client();
    const since = f.emu.calls.lastSeq;
    const both = await origins.register(["198.18.0.1", "198.18.0.2"], 0, "x", [{ key: "k", value: "v" }]);
    expect(both.get("198.18.0.1")).toBe(other.get("198.18.0.1"));
    expect(both.get("198.18.0.2")).toBe(registered().get("198.18.0.2"));
    expect(calls("AddRealServers", since)).toEqual(["InvalidParameterValue.DuplicateRS", "Success"]);
    expect(calls("DescribeRealServers", since).length).toBeGreaterThan(0);
    expect(origins.ids).toEqual(both);
  });

  it("re-finds every ID when all of a batch is registered already", async () => {
    const { origins } = f.client();
    const ids = await origins.register(["198.18.9.1", "198.18.9.2"], 0, "x", []);
    expect(ids).toEqual(
      new Map([
        ["198.18.9.1", "rs-seed0001"],
        ["198.18.9.2", "rs-seed0002"],
      ]),
    );
    expect(calls("AddRealServers")).toEqual(["InvalidParameterValue.DuplicateRS"]);
  });

  it("forgets the IDs it is told are stale, and only those", async () => {
    const { origins } = f.client();
    await origins.register(["198.18.0.1", "198.18.0.2"], 0, "x", []);
    origins.invalidate(["198.18.0.1", "198.18.0.99"]);
    expect([...origins.ids.keys()]).toEqual(["198.18.0.2"]);
  });

  it("removes unbound origins, forgets their IPs, and reports the ones something binds", async () => {
    const c = f.client();
    const ids = await c.origins.register(["198.18.1.1", "198.18.1.2", "198.18.1.3"], 0, "x", []);
    const id = (ip: string) => ids.get(ip) as string;
    await c.bind({ listenerId: "listener-c0001" }, [
      { realServerId: id("198.18.1.1"), ip: "198.18.1.1", port: 80 },
    ]);
    expect(await c.origins.boundOf([...ids.values()])).toEqual(new Set([id("198.18.1.1")]));
    const since = f.emu.calls.lastSeq;
    const refused = await c.origins.remove([id("198.18.1.1"), id("198.18.1.2"), id("198.18.1.3")]);
    expect(refused).toEqual([id("198.18.1.1")]);
    // The batch was refused whole, then each was removed alone.
    expect(calls("RemoveRealServers", since)).toEqual([
      "FailedOperation.RealServerAlreadyBound",
      "FailedOperation.RealServerAlreadyBound",
      "Success",
      "Success",
    ]);
    expect([...registered().keys()]).not.toContain("198.18.1.2");
    expect(c.origins.ids).toEqual(new Map([["198.18.1.1", id("198.18.1.1")]]));
  });

  it("counts an origin found gone while removing one by one as removed, and forgets it", async () => {
    const { origins } = f.client();
    const ids = await origins.register(["198.18.6.1", "198.18.6.2"], 0, "x", []);
    f.emu.faults.set([
      { action: "RemoveRealServers", errorCode: "FailedOperation.RealServerAlreadyBound", count: 1 },
      // Every matching rule counts a call: this one is spent by the batch, then answers the first removal.
      { action: "RemoveRealServers", errorCode: "ResourceNotFound", count: 2 },
    ]);
    expect(await origins.remove([...ids.values()])).toEqual([]);
    expect(calls("RemoveRealServers")).toEqual([
      "FailedOperation.RealServerAlreadyBound",
      "ResourceNotFound",
      "Success",
    ]);
    expect(origins.ids.size).toBe(0);
  });

  it("lists the origins carrying a tag, with the binding that registered each", async () => {
    const { origins } = f.client();
    const tag = { key: "cluster", value: "one" };
    const ids = await origins.register(["198.18.4.1", "198.18.4.2"], 0, "x", [
      tag,
      { key: BINDING_TAG, value: "shop/web" },
    ]);
    await origins.register(["198.18.4.3"], 0, "x", [{ key: "cluster", value: "two" }]);
    const untagged = await origins.register(["198.18.4.4"], 0, "x", [tag]);
    const tagged = await origins.tagged(tag);
    expect(tagged.sort((a, b) => a.ip.localeCompare(b.ip))).toEqual([
      ...[...ids].map(([ip, id]) => ({ id, ip, binding: "shop/web" })),
      { id: untagged.get("198.18.4.4"), ip: "198.18.4.4" },
    ]);
  });

  it("forgets the ID of an origin GAAP no longer holds, and keeps what a read saw since the last sweep", async () => {
    const c = f.client();
    const tag = { key: "cluster", value: "one" };
    await c.origins.register(["198.18.5.1", "198.18.5.2"], 0, "x", [tag]);
    await c.describeTarget({ listenerId: "listener-c0000" }); // learns 198.18.9.1 (seeded, untagged)
    // Someone removes 198.18.5.2 behind the operator's back.
    const other = f.client();
    await other.origins.remove([c.origins.ids.get("198.18.5.2") as string]);
    const held = async () => new Set((await c.origins.tagged(tag)).map((t) => t.ip));
    // Everything was learned since the last sweep: kept once more.
    c.origins.retain(await held());
    expect([...c.origins.ids.keys()].sort()).toEqual(["198.18.5.1", "198.18.5.2", "198.18.9.1"]);
    // A sweep later, only what GAAP lists and what a read saw meanwhile.
    await c.describeTarget({ listenerId: "listener-c0000" });
    c.origins.retain(await held());
    expect([...c.origins.ids.keys()].sort()).toEqual(["198.18.5.1", "198.18.9.1"]);
    c.origins.retain(await held());
    expect([...c.origins.ids.keys()]).toEqual(["198.18.5.1"]);
  });

  it("retries a read that failed on the server, and sends a failed write only once", async () => {
    const { origins } = f.client();
    f.emu.faults.set([
      { action: "DescribeRealServersStatus", errorCode: "InternalError", count: 1 },
      { action: "AddRealServers", errorCode: "InternalError", count: 1 },
    ]);
    expect(await origins.boundOf(["rs-seed0001"])).toEqual(new Set(["rs-seed0001"]));
    expect(calls("DescribeRealServersStatus")).toEqual(["InternalError", "Success"]);
    const err = await origins.register(["198.18.5.1"], 0, "x", []).catch((e) => e);
    expect(err).toBeInstanceOf(OperatorError);
    expect(err.code).toBe("InternalError");
    expect(calls("AddRealServers")).toEqual(["InternalError"]);
    expect(origins.ids.size).toBe(0);
  });
});
