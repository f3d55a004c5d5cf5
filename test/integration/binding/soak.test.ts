// A short soak (the benchmark's `soak`, minutes instead of half an hour): bindings under churn that keeps giving
// their endpoints new IPs, three broken on purpose, the operator restarted once. Sampled throughout: no per-key store
// holds more keys than there are bindings, the origin-ID cache holds no more than GAAP holds or was asked for lately,
// and every origin tagged with the cluster is bound, wanted, or freed within the window the sweep is given.
import { DiscoveryV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIMING } from "../../../testenv/deadlines.ts";
import { Grants } from "../../../testenv/grants.ts";
import { FAST } from "../../../testenv/operator.ts";
import { runSoak, type SoakReport, soakState } from "../../../testenv/soak.ts";
import { type Scenario, scenario } from "../../support/scenario.ts";

const SIZE = { bindings: 16, ruleBindings: 3, taskMs: TIMING.bindTaskMs };
/** A freed origin's window: generous, since this is a leak check, not a timing one (the benchmark's is tight). */
const FREED_WITHIN_MS = 30_000;

describe("a short soak", () => {
  let s: Scenario;
  let report: SoakReport;
  beforeAll(async () => {
    // Under a grant by proxy, as the shipped default requires: every pass decides it with GAAP's read.
    s = await scenario("soak", {
      state: soakState(SIZE),
      start: false,
      args: [...FAST, "--listener-grants", "required"],
    });
    report = await runSoak(
      {
        core: s.c.core,
        discovery: s.c.kc.makeApiClient(DiscoveryV1Api),
        bindings: s.bindings,
        emu: s.emu,
        gaap: s.gaap,
        ns: s.ns,
        operator: () => s.operator,
        grants: new Grants(s.c.kc),
        log: () => {},
      },
      {
        ...SIZE,
        endpoints: 4,
        durationMs: 90_000,
        changesPerMinute: 120,
        sampleMs: 5000,
        restartAt: 0.3,
        broken: { serviceDeleted: 1, listenerDeleted: 1, ruleDeleted: 1 },
        freedWithinMs: FREED_WITHIN_MS,
      },
    );
  }, 600_000);
  afterAll(async () => s?.close());

  it("ran with churn, across a restart", () => {
    expect(report.changes).toBeGreaterThan(100);
    expect(report.samples.some((x) => x.process === 1)).toBe(true);
    expect(report.samples.some((x) => x.process === 2)).toBe(true);
  });

  it("keeps no per-key store larger than the live bindings, before or after the restart", () => {
    for (const x of report.samples) {
      // The event filter's notes are bounded by time, not bindings (two 10-minute windows: once-per-window.test.ts).
      const { originIds, eventNotes: _eventNotes, ...perBinding } = x.stores;
      expect(Object.keys(perBinding).length).toBeGreaterThan(0);
      for (const [store, n] of Object.entries(perBinding))
        expect({ atS: x.atS, store, n: n <= report.liveBindings }).toEqual({ atS: x.atS, store, n: true });
      expect({ atS: x.atS, originIds: (originIds ?? 0) <= x.originIdsAllowed }).toEqual({
        atS: x.atS,
        originIds: true,
      });
    }
  });

  it("never holds an origin in GAAP beyond those bound, wanted or freed within the window", () => {
    for (const x of report.samples)
      expect({ atS: x.atS, excess: x.excess }).toEqual({ atS: x.atS, excess: [] });
    const last = report.samples.at(-1);
    // The sweep kept up: far fewer origins are registered than the churn made.
    expect(last?.tagged).toBeLessThan(report.ipsMade / 2);
  });
});
