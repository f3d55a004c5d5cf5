// The conformance run's judgement, without GAAP: when a bind counts as done (GAAP may show status 3 only a moment
// after it answered), which failures are answers, and which profile setting an empty-set answer becomes.
import { describe, expect, it } from "vitest";
import { behaviorFromReport } from "../../../emulator/account/profile.ts";
import { type Failure, isParamError, noAnswer, Probe } from "../../../src/conformance/probe.ts";
import { type Entry, QUIET_READS, type Target, waitIdle } from "../../../src/conformance/targets.ts";
import type { GaapTransport } from "../../../src/gaap/transport.ts";

const TARGET: Target = { kind: "listener", listenerId: "listener-a", protocol: "TCP", scheduler: "rr" };
const A: Entry = { id: "rs-a", ip: "198.51.100.1", port: 80 };

type Read = { status: number; bound: Entry[] };

/** A probe whose DescribeTCPListeners answers `reads` in turn, the last one forever; it counts the reads. */
function scripted(reads: Read[]) {
  let n = 0;
  const transport = {
    read: async (action: string) => {
      if (action !== "DescribeTCPListeners") throw new Error(`unexpected ${action}`);
      const r = reads[Math.min(n++, reads.length - 1)] as Read;
      return {
        ListenerSet: [
          {
            ListenerId: "listener-a",
            ListenerStatus: r.status,
            RealServerSet: r.bound.map((e) => ({
              RealServerId: e.id,
              RealServerIP: e.ip,
              RealServerPort: e.port,
            })),
          },
        ],
      };
    },
  } as unknown as GaapTransport;
  return { probe: new Probe(transport), reads: () => n };
}

const w = { taskTimeoutMs: 2000, pollMs: 1 };

describe("waiting for a bind's task", () => {
  it("does not take an idle read before the task showed for the end of it", async () => {
    const s = scripted([
      { status: 0, bound: [] },
      { status: 0, bound: [] },
      { status: 3, bound: [] },
      { status: 0, bound: [A] },
    ]);
    const settled = await waitIdle(s.probe, TARGET, w, [A]);
    expect(settled).toMatchObject({ sawBusy: true, view: { bound: [A] } });
    expect(s.reads()).toBe(4);
  });

  it("takes the set read back when status 3 never shows, after two reads at least", async () => {
    const s = scripted([{ status: 0, bound: [A] }]);
    expect(await waitIdle(s.probe, TARGET, w, [A])).toMatchObject({ sawBusy: false, view: { bound: [A] } });
    expect(s.reads()).toBe(2);
    const empty = scripted([
      { status: 0, bound: [A] },
      { status: 0, bound: [] },
    ]);
    expect(await waitIdle(empty.probe, TARGET, w, "empty")).toMatchObject({ view: { bound: [] } });
  });

  it("gives up on a target that reads the same and never shows the set, after QUIET_READS reads", async () => {
    const s = scripted([{ status: 0, bound: [A] }]);
    const settled = await waitIdle(s.probe, TARGET, { taskTimeoutMs: 600_000, pollMs: 1 }, "omit");
    expect(settled).toMatchObject({ sawBusy: false, confirmed: false, view: { bound: [A] } });
    expect(s.reads()).toBe(QUIET_READS);
  });

  it("gives back what a changing target holds at the deadline, the sooner of --task-timeout and the caller's", async () => {
    // Never the same twice, never the set sent: only the deadline ends the wait.
    const reads = Array.from({ length: 10_000 }, (_, i) => ({
      status: 0,
      bound: [{ ...A, port: 1000 + i }],
    }));
    const s = scripted(reads);
    const deadline = performance.now() + 30;
    const settled = await waitIdle(s.probe, TARGET, { taskTimeoutMs: 600_000, pollMs: 1, deadline }, [A]);
    expect(settled).toMatchObject({ sawBusy: false, confirmed: false });
    expect(performance.now()).toBeGreaterThan(deadline);
    expect(s.reads()).toBeGreaterThan(QUIET_READS);
  });

  it("stops when a task outlasts the deadline", async () => {
    const s = scripted([{ status: 3, bound: [] }]);
    await expect(waitIdle(s.probe, TARGET, { taskTimeoutMs: 30, pollMs: 1 }, [A])).rejects.toThrow(
      /still has a task \(status 3\)/,
    );
  });
});

describe("which failures answer a check", () => {
  const fail = (code: string, kind: Failure["kind"]): Failure => ({ ok: false, code, kind, message: "m" });
  it.each([
    [fail("RequestLimitExceeded", "throttled"), () => true, false],
    [fail("InternalError", "transient"), () => true, false],
    [fail("TransportError", "transient"), () => true, false],
    [fail("UnauthorizedOperation", "config"), () => true, false],
    [fail("AuthFailure.UnauthorizedOperation", "config"), () => true, false],
    [fail("FailedOperation.ProxyStatusNotInRuning", "unavailable"), () => true, false],
    [fail("ResourceNotFound", "notFound"), () => true, true],
    [fail("InvalidParameterValue", "config"), (o: Failure) => isParamError(o.code), true],
    [fail("FailedOperation.LimitRealServerNum", "config"), (o: Failure) => isParamError(o.code), false],
  ])("%j", (o, accepts, answers) => {
    const why = noAnswer(o, accepts);
    expect(why === undefined).toBe(answers);
    if (why) expect(why).toContain(o.code);
  });
});

describe("a profile's settings", () => {
  const report = (findings: object[]) => ({ kind: "gaap-conformance-report", findings });
  it('keeps the default for an accepted bind read back otherwise than sent ("other")', () => {
    const other = (key: string) => ({ key, status: "differs", answer: "other" });
    const b = behaviorFromReport(
      report(["allowSameIpDifferentPorts", "weightZero", "ruleOverLimit"].map(other)),
    );
    expect(b).toEqual({});
    expect(
      behaviorFromReport(report([{ key: "allowSameIpDifferentPorts", status: "differs", answer: "true" }])),
    ).toEqual({ allowSameIpDifferentPorts: true });
  });

  it("takes the rule's answer only when the listener's was not answered at all", () => {
    expect(
      behaviorFromReport(
        report([
          { key: "emptyBindSet", status: "differs", answer: "ignored" },
          { key: "ruleEmptyBindSet", status: "differs", answer: "reject" },
        ]),
      ).emptyBindSet,
    ).toBeUndefined();
    expect(
      behaviorFromReport(
        report([
          { key: "emptyBindSet", status: "not-tested" },
          { key: "ruleEmptyBindSet", status: "differs", answer: "reject" },
        ]),
      ).emptyBindSet,
    ).toBe("reject");
  });
});
