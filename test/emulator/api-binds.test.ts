// The GAAP emulator driven through the official tencentcloud-sdk-nodejs client, action by action: binds.
import { describe, expect, it } from "vitest";
import { admin, sdkError } from "../../testenv/gaap.ts";
import { bindSet, emu, gaap, listener, register, untilIdle, useWorld } from "./api-world.ts";

describe("GAAP emulator through the official SDK: binds", () => {
  useWorld();

  describe("binding", () => {
    it("replaces the whole set, keeps the listener busy for the task time, then shows the new set", async () => {
      const [a, b, c] = await register(["198.18.0.1", "198.18.0.2", "198.18.0.3"]);
      if (!a || !b || !c) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet([a, b], 8080, 10),
      });
      const busy = await listener("listener-wrr00001");
      expect(busy?.ListenerStatus).toBe(3);
      // During the task another bind is refused.
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-wrr00001", RealServerBindSet: bindSet([c]) }),
      );
      expect(err.code).toBe("FailedOperation.ListenerHasTask");
      const done = await untilIdle("listener-wrr00001");
      expect(
        done.RealServerSet?.map((r) => [r.RealServerIP, r.RealServerPort, r.RealServerWeight]).sort(),
      ).toEqual([
        ["198.18.0.1", 8080, 10],
        ["198.18.0.2", 8080, 10],
      ]);
      // After it, a bind of {b, c} succeeds and replaces {a, b}.
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet([b, c], 9090, 5),
      });
      const after = await untilIdle("listener-wrr00001");
      expect(after.RealServerSet?.map((r) => `${r.RealServerIP}:${r.RealServerPort}`).sort()).toEqual([
        "198.18.0.2:9090",
        "198.18.0.3:9090",
      ]);
    });

    it("an empty set unbinds everything (the documented replace semantics)", async () => {
      const [a] = await register(["198.18.0.9"]);
      if (!a) throw new Error("registration failed");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-rr000001",
        RealServerBindSet: bindSet([a]),
      });
      await untilIdle("listener-rr000001");
      await gaap.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: [] });
      expect((await untilIdle("listener-rr000001")).RealServerSet).toEqual([]);
    });

    it("refuses more origins than the per-listener limit with FailedOperation.LimitRealServerNum", async () => {
      const ips = Array.from({ length: 101 }, (_, i) => `198.18.${Math.floor(i / 200)}.${(i % 200) + 10}`);
      const rs = [];
      for (let i = 0; i < ips.length; i += 20) rs.push(...(await register(ips.slice(i, i + 20))));
      expect(rs).toHaveLength(101);
      const err = await sdkError(
        gaap.BindListenerRealServers({
          ListenerId: "listener-wrr00001",
          RealServerBindSet: bindSet(rs, 80, 1),
        }),
      );
      expect(err.code).toBe("FailedOperation.LimitRealServerNum");
      // Exactly the limit is fine.
      await gaap.BindListenerRealServers({
        ListenerId: "listener-wrr00001",
        RealServerBindSet: bindSet(rs.slice(0, 100), 80, 1),
      });
      expect((await untilIdle("listener-wrr00001")).RealServerSet).toHaveLength(100);
    });

    it.each([
      {
        what: "an unknown id",
        mutate: (e: Record<string, unknown>) => ({ ...e, RealServerId: "rs-nobody00" }),
      },
      {
        what: "an id with another IP",
        mutate: (e: Record<string, unknown>) => ({ ...e, RealServerIP: "198.18.9.9" }),
      },
    ])("refuses $what with InvalidParameterValue.RealServerNotBelong", async ({ mutate }) => {
      const [a] = await register(["198.18.0.20"]);
      if (!a) throw new Error("registration failed");
      const entry = mutate(bindSet([a])[0] as Record<string, unknown>);
      const err = await sdkError(
        gaap.BindListenerRealServers({
          ListenerId: "listener-rr000001",
          RealServerBindSet: [entry as never],
        }),
      );
      expect(err.code).toBe("InvalidParameterValue.RealServerNotBelong");
    });

    it.each([
      { listenerId: "listener-wrr00001", weight: 0, ok: false },
      { listenerId: "listener-wrr00001", weight: 101, ok: false },
      { listenerId: "listener-wrr00001", weight: 100, ok: true },
      { listenerId: "listener-rr000001", weight: 2, ok: false },
      { listenerId: "listener-rr000001", weight: 1, ok: true },
    ])("weight $weight on $listenerId -> ok=$ok", async ({ listenerId, weight, ok }) => {
      const [a] = await register(["198.18.0.30"]);
      if (!a) throw new Error("registration failed");
      const call = gaap.BindListenerRealServers({
        ListenerId: listenerId,
        RealServerBindSet: bindSet([a], 80, weight),
      });
      if (ok) {
        await call;
        expect((await untilIdle(listenerId)).RealServerSet?.[0]?.RealServerWeight).toBe(weight);
      } else {
        expect((await sdkError(call)).code).toBe("InvalidParameterValue");
      }
    });

    it("takes failover roles only on a FailoverSwitch=1 listener and reports them", async () => {
      const [a, b] = await register(["198.18.0.40", "198.18.0.41"]);
      if (!a || !b) throw new Error("registration failed");
      const withRoles = [
        { ...bindSet([a])[0], RealServerFailoverRole: "master" },
        { ...bindSet([b])[0], RealServerFailoverRole: "slave" },
      ] as never[];
      const refused = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-wrr00001", RealServerBindSet: withRoles }),
      );
      expect(refused.code).toBe("InvalidParameterValue");
      await gaap.BindListenerRealServers({ ListenerId: "listener-fo000001", RealServerBindSet: withRoles });
      const l = await untilIdle("listener-fo000001");
      expect(l.FailoverSwitch).toBe(1);
      expect(
        Object.fromEntries((l.RealServerSet ?? []).map((r) => [r.RealServerIP, r.RealServerFailoverRole])),
      ).toEqual({
        "198.18.0.40": "master",
        "198.18.0.41": "slave",
      });
    });

    it("refuses binds on a channel that is not RUNNING", async () => {
      const [a] = await register(["198.18.0.50"]);
      if (!a) throw new Error("registration failed");
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-closed01", RealServerBindSet: bindSet([a]) }),
      );
      expect(err.code).toBe("FailedOperation.ProxyStatusNotInRuning");
      expect(err.message).toBe("Proxy link-closed01 is CLOSED.");
    });

    it("ResourceNotFound for an unknown listener, or InvalidParameter when so configured", async () => {
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-nothere0", RealServerBindSet: [] }),
      );
      expect(err.code).toBe("ResourceNotFound");
      await admin(emu.url, "POST", "behavior", { unknownListenerError: "InvalidParameter" });
      const err2 = await sdkError(gaap.DescribeTCPListeners({ ListenerId: "listener-nothere0" }));
      expect(err2.code).toBe("InvalidParameter");
      expect(err2.message).toBe("ListenerId(listener-nothere0) Not Exist.");
    });

    it("a task started from outside makes binds fail with ListenerHasTask until it ends", async () => {
      await admin(emu.url, "POST", "task", { listenerId: "listener-rr000001", durationMs: 400 });
      const [a] = await register(["198.18.0.60"]);
      if (!a) throw new Error("registration failed");
      const err = await sdkError(
        gaap.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: bindSet([a]) }),
      );
      expect(err.code).toBe("FailedOperation.ListenerHasTask");
      await untilIdle("listener-rr000001");
      await gaap.BindListenerRealServers({
        ListenerId: "listener-rr000001",
        RealServerBindSet: bindSet([a]),
      });
    });
  });
});
