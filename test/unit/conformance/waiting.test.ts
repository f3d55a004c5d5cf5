// The conformance run's judgement, without GAAP: when a bind counts as done (GAAP may show status 3 only a moment
// after it answered), which failures are answers, and which profile setting an empty-set answer becomes.
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { behaviorFromReport } from "../../../emulator/account/profile.ts";
import { duringTask, timedBinds } from "../../../src/conformance/listener-checks.ts";
import { type Failure, isParamError, noAnswer, Probe } from "../../../src/conformance/probe.ts";
import { Findings } from "../../../src/conformance/report.ts";
import { type Entry, QUIET_READS, type Target, waitIdle } from "../../../src/conformance/targets.ts";
import type { GaapTransport } from "../../../src/gaap/transport.ts";

const TARGET: Target = { kind: "listener", listenerId: "listener-a", protocol: "TCP", scheduler: "rr" };
const A: Entry = { id: "rs-a", ip: "198.51.100.1", port: 80 };

type Read = { status: number; bound: Entry[] };

/** A probe whose DescribeTCPListeners answers `reads` in turn, the last one forever; it counts the reads. */
function scripted(reads: Read[], onRead = () => {}) {
  let n = 0;
  const transport = {
    read: async (action: string) => {
      if (action !== "DescribeTCPListeners") throw new Error(`unexpected ${action}`);
      onRead();
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

  it("gives up on a target that reads the same and never shows the set, after QUIET_READS reads and quietMs", async () => {
    const s = scripted([{ status: 0, bound: [A] }]);
    const quick = await waitIdle(s.probe, TARGET, { taskTimeoutMs: 600_000, pollMs: 1, quietMs: 0 }, "omit");
    expect(quick).toMatchObject({ sawBusy: false, confirmed: false, view: { bound: [A] } });
    expect(s.reads()).toBe(QUIET_READS);
    // With a span to wait out, ten reads are not enough: it keeps reading until the span has passed.
    const t = scripted([{ status: 0, bound: [A] }]);
    const started = performance.now();
    const slow = await waitIdle(t.probe, TARGET, { taskTimeoutMs: 600_000, pollMs: 1, quietMs: 50 }, "omit");
    expect(slow.confirmed).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(t.reads()).toBeGreaterThanOrEqual(QUIET_READS);
  });

  it("without a quiet span (no task measured yet), waits for a quiet target until the deadline", async () => {
    const s = scripted([{ status: 0, bound: [A] }]);
    const deadline = performance.now() + 40;
    const settled = await waitIdle(s.probe, TARGET, { taskTimeoutMs: 600_000, pollMs: 1, deadline }, "omit");
    expect(settled.confirmed).toBe(false);
    expect(performance.now()).toBeGreaterThan(deadline);
  });

  it.each([
    { taskTimeoutMs: 1_000, deadline: 30, reads: 31 },
    { taskTimeoutMs: 20, deadline: 30, reads: 21 },
  ])(
    "gives back what a changing target holds at the deadline, the sooner of --task-timeout ($taskTimeoutMs ms) and the caller's ($deadline ms)",
    async ({ taskTimeoutMs, deadline, reads }) => {
      // The clock is the test's: every read takes 1 ms of it, so the deadline passes after a known number of reads
      // however slow the machine is. Never the same twice, never the set sent: only the deadline ends the wait.
      const start = 5_000;
      let now = start;
      const clock = vi.spyOn(performance, "now").mockImplementation(() => now);
      onTestFinished(() => clock.mockRestore());
      const changing = Array.from({ length: 2_000 }, (_, i) => ({
        status: 0,
        bound: [{ ...A, port: 1000 + i }],
      }));
      const s = scripted(changing, () => {
        now += 1;
      });
      const settled = await waitIdle(
        s.probe,
        TARGET,
        { taskTimeoutMs, pollMs: 1, deadline: start + deadline },
        [A],
      );
      expect(settled).toMatchObject({
        sawBusy: false,
        confirmed: false,
        view: { bound: [{ port: 1000 + reads - 1 }] },
      });
      // Past QUIET_READS: a target that keeps changing is never taken as quiet.
      expect(s.reads()).toBe(reads);
      expect(reads).toBeGreaterThan(QUIET_READS);
    },
  );

  it("stops when a task outlasts the deadline", async () => {
    const s = scripted([{ status: 3, bound: [] }]);
    await expect(waitIdle(s.probe, TARGET, { taskTimeoutMs: 30, pollMs: 1 }, [A])).rejects.toThrow(
      /still has a task \(status 3\)/,
    );
  });
});

describe("a second bind during a task", () => {
  const B: Entry = { id: "rs-b", ip: "198.51.100.2", port: 80 };
  /** A listener busy with a task for good that accepts every bind. */
  const accepting = () => {
    const s = scripted([{ status: 3, bound: [] }]);
    (s.probe as unknown as { transport: { write: () => Promise<object> } }).transport.write =
      async () => ({});
    return s.probe;
  };
  const w = { taskTimeoutMs: 2000, pollMs: 1, own: new Set([A.id, B.id]) };

  it("counts as accepted during the task only when answered before the first task can have ended", async () => {
    const f = new Findings();
    await duringTask(accepting(), f, TARGET, { set: [A], sentAt: performance.now() }, [B], w, 600_000);
    expect(f.get("listenerHasTask")).toMatchObject({ answer: "accepted" });
    expect(f.get("bindVisibility")).toMatchObject({ answer: "onComplete" });
  });

  it("is no answer when it came later: the first task may have ended and the second started its own", async () => {
    const f = new Findings();
    const sentAt = performance.now() - 10_000;
    await duringTask(accepting(), f, TARGET, { set: [A], sentAt }, [B], w, 4000);
    expect(f.get("listenerHasTask")).toMatchObject({ status: "not-tested" });
    expect(f.get("listenerHasTask")?.evidence).toMatch(/past the 4000 ms every task surely lasted/);
  });

  it("asks nothing when the task is not seen running", async () => {
    const f = new Findings();
    const idle = scripted([{ status: 0, bound: [A] }]);
    await duringTask(idle.probe, f, TARGET, { set: [A], sentAt: performance.now() }, [B], w, 600_000);
    expect(f.get("listenerHasTask")).toMatchObject({ status: "not-tested" });
    expect(f.get("bindVisibility")).toMatchObject({ status: "not-tested" });
  });
});

describe("timing binds", () => {
  const B: Entry = { id: "rs-b", ip: "198.51.100.2", port: 80 };
  /** A listener that runs each bind as a task of two reads, and answers binds of B without doing anything. */
  function ignoringB() {
    let bound: Entry[] = [];
    let task: { set: Entry[]; reads: number } | undefined;
    const transport = {
      read: async () => {
        if (task && --task.reads < 0) {
          bound = task.set;
          task = undefined;
        }
        const status = task ? 3 : 0;
        const wire = bound.map((e) => ({ RealServerId: e.id, RealServerIP: e.ip, RealServerPort: e.port }));
        return { ListenerSet: [{ ListenerId: "listener-a", ListenerStatus: status, RealServerSet: wire }] };
      },
      write: async (_: string, req: { RealServerBindSet?: Array<{ RealServerId: string }> }) => {
        const set = req.RealServerBindSet ?? [];
        if (set.some((e) => e.RealServerId === B.id)) return {};
        task = { set: [A], reads: 2 };
        return {};
      },
    } as unknown as GaapTransport;
    return new Probe(transport);
  }

  it("leaves out a bind whose set never showed and one of the set already held", async () => {
    const f = new Findings();
    const w = { taskTimeoutMs: 600_000, pollMs: 1, own: new Set([A.id, B.id]) };
    // A (timed), B (ignored: never shows), A again (held already: proves nothing), B (ignored).
    await timedBinds(ignoringB(), f, TARGET, [[A], [B]], 4, w);
    const t = f.get("bindTaskMs");
    expect((t?.answer as { samples?: number[] } | undefined)?.samples).toHaveLength(1);
    expect(t?.evidence).toMatch(/3 left out: the set never showed, or was held already/);
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
