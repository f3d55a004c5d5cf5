// The conformance run's cleanup against a listener whose reads lag its binds (GAAP may answer a bind before any
// read shows it, even as a task): a read that shows the target empty must not be taken for an empty target while
// the run's last bind there may still land, and an origin GAAP will not remove because a bind landed late is
// unbound again and removed.
import { describe, expect, it } from "vitest";
import { Cleanup } from "../../../src/conformance/cleanup.ts";
import { Probe } from "../../../src/conformance/probe.ts";
import { type Entry, type Target, targetName } from "../../../src/conformance/targets.ts";
import { OperatorError } from "../../../src/errors.ts";
import type { GaapTransport } from "../../../src/gaap/transport.ts";

const TARGET: Target = { kind: "listener", listenerId: "listener-a", protocol: "TCP", scheduler: "rr" };
const A: Entry = { id: "rs-a", ip: "198.51.100.1", port: 80 };

type Wire = { RealServerId: string; RealServerIP: string; RealServerPort: number };

/**
 * One TCP listener that shows a bind only `lag` reads after it was sent, never as a task (status stays 0), and
 * refuses to remove an origin it binds. `landOnRemove`: a bind still pending lands as a removal is asked for.
 */
class LaggingListener {
  bound: Entry[] = [];
  pending: { set: Entry[]; reads: number } | undefined;
  readonly registered = new Set<string>();
  readonly log: string[] = [];
  private readonly lag: number;
  private readonly landOnRemove: boolean;
  constructor(lag: number, landOnRemove = false) {
    this.lag = lag;
    this.landOnRemove = landOnRemove;
  }

  private land(): void {
    if (this.pending) this.bound = this.pending.set;
    this.pending = undefined;
  }

  readonly transport = {
    read: async (action: string) => {
      if (action !== "DescribeTCPListeners") throw new Error(`unexpected ${action}`);
      if (this.pending && --this.pending.reads <= 0) this.land();
      this.log.push(`read ${this.bound.map((e) => e.ip).join(",") || "-"}`);
      return {
        ListenerSet: [
          {
            ListenerId: TARGET.kind === "listener" ? TARGET.listenerId : "",
            ListenerStatus: 0,
            RealServerSet: this.bound.map((e) => ({
              RealServerId: e.id,
              RealServerIP: e.ip,
              RealServerPort: e.port,
            })),
          },
        ],
      };
    },
    write: async (action: string, req: { RealServerBindSet?: Wire[]; RealServerIds?: string[] }) => {
      if (action === "BindListenerRealServers") {
        const set = (req.RealServerBindSet ?? []).map((e) => ({
          id: e.RealServerId,
          ip: e.RealServerIP,
          port: e.RealServerPort,
        }));
        this.log.push(`bind ${set.map((e) => e.ip).join(",") || "[]"}`);
        this.pending = { set, reads: this.lag };
        return {};
      }
      if (action === "RemoveRealServers") {
        if (this.landOnRemove) this.land();
        const id = req.RealServerIds?.[0] as string;
        if (this.bound.some((e) => e.id === id)) {
          this.log.push(`remove ${id}: refused`);
          throw new OperatorError("config", "FailedOperation.RealServerAlreadyBound", "bound");
        }
        this.registered.delete(id);
        this.log.push(`remove ${id}`);
        return {};
      }
      throw new Error(`unexpected ${action}`);
    },
  } as unknown as GaapTransport;
}

function setUp(gaap: LaggingListener) {
  const cleanup = new Cleanup();
  cleanup.target(TARGET);
  cleanup.made(A.id, A.ip);
  gaap.registered.add(A.id);
  return cleanup;
}

describe("the conformance cleanup", () => {
  it("waits for the run's last bind to show before it judges the target empty, then unbinds and removes", async () => {
    const gaap = new LaggingListener(3);
    const cleanup = setUp(gaap);
    // The run's last bind (A) was accepted a moment ago; no read shows it yet.
    gaap.pending = { set: [A], reads: 3 };
    cleanup.sent.set(targetName(TARGET), [A]);
    const result = await cleanup.run(new Probe(gaap.transport), { taskTimeoutMs: 60_000, pollMs: 1 });
    expect(result).toEqual({ complete: true, left: [] });
    expect(gaap.bound).toEqual([]);
    expect(gaap.registered.size).toBe(0);
    // It read until A showed, unbound it, and removed A only once the unbind showed.
    const firstBind = gaap.log.indexOf("bind []");
    expect(gaap.log.slice(0, firstBind)).toContain(`read ${A.ip}`);
    expect(gaap.log.indexOf(`remove ${A.id}`)).toBeGreaterThan(gaap.log.lastIndexOf(`read ${A.ip}`));
  });

  it("unbinds again when a bind it never saw answered lands before a removal, and removes the origin", async () => {
    const gaap = new LaggingListener(1, true);
    const cleanup = setUp(gaap);
    // A bind whose answer was lost (so not recorded as sent), landing only as the removal is asked for.
    gaap.pending = { set: [A], reads: Number.POSITIVE_INFINITY };
    const result = await cleanup.run(new Probe(gaap.transport), { taskTimeoutMs: 60_000, pollMs: 1 });
    expect(gaap.log).toContain(`remove ${A.id}: refused`);
    expect(result).toEqual({ complete: true, left: [] });
    expect(gaap.bound).toEqual([]);
    expect(gaap.registered.size).toBe(0);
  });

  it("unbinds a target that reads empty when the run's last bind there never showed, then removes", async () => {
    const gaap = new LaggingListener(1);
    const cleanup = setUp(gaap);
    // The run's last bind (A) was accepted, but no read ever shows it (it may still land).
    cleanup.sent.set(targetName(TARGET), [A]);
    const result = await cleanup.run(new Probe(gaap.transport), {
      taskTimeoutMs: 60_000,
      pollMs: 1,
      quietMs: 0,
    });
    expect(result).toEqual({ complete: true, left: [] });
    expect(gaap.log.filter((l) => l.startsWith("bind"))).toEqual(["bind []"]);
    expect(gaap.log.indexOf("bind []")).toBeLessThan(gaap.log.indexOf(`remove ${A.id}`));
  });

  it("says what it could not undo when GAAP keeps refusing", async () => {
    const gaap = new LaggingListener(1);
    const cleanup = setUp(gaap);
    gaap.bound = [A];
    // Unbinds are answered but never land: the listener keeps A, and A cannot be removed.
    gaap.transport.write = (async (action: string, req: { RealServerIds?: string[] }) => {
      if (action === "RemoveRealServers")
        throw new OperatorError(
          "config",
          "FailedOperation.RealServerAlreadyBound",
          `${req.RealServerIds} bound`,
        );
      return {};
    }) as GaapTransport["write"];
    const result = await cleanup.run(new Probe(gaap.transport), {
      taskTimeoutMs: 60_000,
      pollMs: 1,
      quietMs: 0,
    });
    expect(result.complete).toBe(false);
    expect(result.left).toEqual([
      "listener listener-a still holds origins",
      `origin ${A.id} (${A.ip}): FailedOperation.RealServerAlreadyBound ${A.id} bound`,
    ]);
  });
});
