// A request sees one instant. With a clock that moves on at every reading, a read that crosses the end of a bind's
// task must still show the task running with the old set, or over with the new one: never over beside the old set.
import { describe, expect, it } from "vitest";
import { defaultState } from "../../../emulator/account/state.ts";
import { World } from "../../../emulator/actions/world.ts";

type Listener = { ListenerStatus: number; RealServerSet: Array<{ RealServerIP: string }> };

describe("the emulator's clock within a request", () => {
  it("never shows a task over beside the set it replaces, whatever instant a read crosses", () => {
    for (let taskMs = 1; taskMs <= 40; taskMs++) {
      let t = 1_000_000;
      const world = new World(
        { ...defaultState(), behavior: { ...defaultState().behavior, bindTaskMs: taskMs } },
        () => t++,
      );
      const added = world.handle("AddRealServers", {
        ProjectId: 0,
        RealServerIP: ["198.51.100.7"],
        RealServerName: "a",
      }) as {
        RealServerSet: Array<{ RealServerId: string }>;
      };
      const id = added.RealServerSet[0]?.RealServerId;
      world.handle("BindListenerRealServers", {
        ListenerId: "listener-aaaa1111",
        RealServerBindSet: [{ RealServerId: id, RealServerIP: "198.51.100.7", RealServerPort: 80 }],
      });
      const reads: Listener[] = [];
      for (let read = 0; read < 60; read++) {
        const out = world.handle("DescribeTCPListeners", { ListenerId: "listener-aaaa1111" }) as {
          ListenerSet: Listener[];
        };
        reads.push(out.ListenerSet[0] as Listener);
      }
      const inconsistent = reads.filter((l) => l.ListenerStatus === 0 && l.RealServerSet.length === 0);
      expect(inconsistent, `task of ${taskMs} ms`).toEqual([]);
      expect(reads.at(-1)?.RealServerSet.map((r) => r.RealServerIP)).toEqual(["198.51.100.7"]);
    }
  });
});
