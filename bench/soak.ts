// Months without a restart, in half an hour (issue 24): BENCH_SOAK_BINDINGS bindings (default 300, plus
// BENCH_SOAK_RULES rule bindings) under BENCH_SOAK_CHANGES endpoint changes a minute (default 120) for BENCH_SOAK_MS
// (default 30 minutes), three broken on purpose, the operator restarted a quarter of the way in
// (BENCH_SOAK_RESTART_AT), with the shipped defaults (--verify-interval 5m, --gc-delay 10s, grants required: the
// namespace is granted the proxies). testenv/soak.ts runs it; this prints and records the figures against their
// targets: RSS and heap slope after warm-up (RSS split into anonymous and file-backed, the heap into V8's spaces;
// BENCH_SOAK_WARMUP_MS, default a tenth of the run; the RSS target is judged only after an hour's warm-up, so a long
// run: BENCH_SOAK_MS=7800000 BENCH_SOAK_RESTART_AT=0.03 BENCH_SOAK_WARMUP_MS=3600000), and by the process's age,
// per-key store sizes, GAAP's origins against those bound, wanted or freed within --gc-delay and one sweep period,
// and GAAP calls per minute against the budget.
// With BENCH_HEAP_DIR set, heap snapshots after warm-up and at the end, and the kinds of object that grew.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DiscoveryV1Api } from "@kubernetes/client-node";
import { FLAGS } from "../src/config.ts";
import { parseDuration } from "../src/flags.ts";
import { Grants } from "../testenv/grants.ts";
import { runSoak, slope, soakState } from "../testenv/soak.ts";
import { growers, summarize } from "./heap.ts";
import { bench, heapSnapshot, log, NS, round, T_MS, table, writeResult } from "./lib.ts";

// The second process's first hour: V8 sizes its heap and code, and the allocator its threads' peaks.
const JUDGED_WARMUP_MS = 3_600_000;

export async function soak(): Promise<void> {
  const size = {
    bindings: Number(process.env.BENCH_SOAK_BINDINGS ?? 300),
    ruleBindings: Number(process.env.BENCH_SOAK_RULES ?? 10),
    taskMs: T_MS,
  };
  const durationMs = Number(process.env.BENCH_SOAK_MS ?? 1_800_000);
  const changesPerMinute = Number(process.env.BENCH_SOAK_CHANGES ?? 120);
  const restartAt = Number(process.env.BENCH_SOAK_RESTART_AT ?? 0.25);
  const sampleMs = Number(process.env.BENCH_SOAK_SAMPLE_MS || 30_000);
  // A later restart would leave the warm span nothing to measure.
  if (!(restartAt > 0 && restartAt <= 0.8))
    throw new Error(
      `BENCH_SOAK_RESTART_AT must be a fraction of the run above 0 and at most 0.8, not ${restartAt}`,
    );
  // How long the second process warms up before the slopes are measured (default a tenth of the run); an empty
  // setting is no setting. It must leave 12 samples: the warm span skips 2, and 10 make a slope.
  const warmupMs = Number(process.env.BENCH_SOAK_WARMUP_MS || durationMs / 10);
  if (!(warmupMs >= 0 && restartAt * durationMs + warmupMs + 12 * sampleMs < durationMs))
    throw new Error(
      `BENCH_SOAK_WARMUP_MS (${warmupMs} ms) after the restart must leave at least 12 samples of BENCH_SOAK_MS (${durationMs} ms)`,
    );
  const defaults = (flag: string) => parseDuration(FLAGS[flag]?.default ?? "") ?? 0;
  const sweepMs = defaults("verify-interval");
  const gcDelayMs = defaults("gc-delay");
  // A freed origin may stay registered until the first sweep after --gc-delay, or the next periodic one, plus the
  // time the binding takes to unbind it (a task) and a sweep takes to run.
  const freedWithinMs = gcDelayMs + sweepMs + 2 * T_MS + 30_000;
  const b = await bench(soakState(size));
  try {
    await b.core.createNamespace({ body: { metadata: { name: NS } } });
    const heapDir = process.env.BENCH_HEAP_DIR;
    const report = await runSoak(
      {
        core: b.core,
        discovery: b.kc.makeApiClient(DiscoveryV1Api),
        bindings: b.bindings,
        emu: b.emu,
        gaap: b.gaap,
        ns: NS,
        operator: () => b.operator(["--listener-grants", "required", "--workers", "16"]),
        grants: new Grants(b.kc),
        log,
      },
      {
        ...size,
        endpoints: Number(process.env.BENCH_SOAK_ENDPOINTS ?? 5),
        durationMs,
        changesPerMinute,
        sampleMs,
        // A long run restarts early (BENCH_SOAK_RESTART_AT=0.1, say) to leave its second process a long warm span.
        restartAt,
        warmupMs,
        broken: { serviceDeleted: 2, listenerDeleted: 2, ruleDeleted: 1 },
        freedWithinMs,
        mark: (label, pid) => heapSnapshot(pid, `soak-${label}`),
      },
    );
    // After the warm-up and the first heap snapshot (writing one raises RSS once, for good).
    const sampleS = sampleMs / 1000;
    const warm = report.samples.filter((x) => x.process === 2 && x.atS >= report.warmFromS + 2 * sampleS);
    if (warm.length < 2)
      throw new Error(
        `the warm span holds ${warm.length} samples (the restarted operator took long to sync): lengthen BENCH_SOAK_MS`,
      );
    type Sample = (typeof warm)[number];
    const perHour = (pick: (x: Sample) => number, over: Sample[] = warm) =>
      round(slope(over.map((x) => [x.atS / 3600, pick(x)])), 2);
    // The second half alone tells a slope that keeps going from a warm-up that levels off.
    const late = warm.slice(Math.floor(warm.length / 2));
    const memory = {
      rss: (x: Sample) => x.rssMiB,
      rssAnon: (x: Sample) => x.rssAnonMiB,
      rssFile: (x: Sample) => x.rssFileMiB,
      heapUsed: (x: Sample) => x.heapUsedMiB,
      heapTotal: (x: Sample) => x.heapTotalMiB,
      external: (x: Sample) => x.externalMiB,
      // V8's spaces, committed: which of them the committed heap's slope is made of.
      ...Object.fromEntries(
        Object.keys(warm.at(-1)?.heapSpacesMiB ?? {})
          .filter((space) => warm.some((x) => (x.heapSpacesMiB[space]?.total ?? 0) > 0))
          .map((space) => [`space ${space}`, (x: Sample) => x.heapSpacesMiB[space]?.total ?? 0]),
      ),
    };
    const slopes = Object.fromEntries(
      Object.entries(memory).map(([name, pick]) => [
        name,
        {
          perHour: perHour(pick),
          lateHalfPerHour: perHour(pick, late),
          first: round(pick(warm[0] as Sample), 1),
          last: round(pick(warm.at(-1) as Sample), 1),
        },
      ]),
    );
    // The slope by the second process's age, every half hour from its start: where the warm-up levels off.
    const second = report.samples.filter((x) => x.process === 2 && x.atS > report.restartAtS + 2 * sampleS);
    const ageMin = (x: Sample) => (x.atS - report.restartAtS) / 60;
    const byAge = [];
    for (let fromMin = 0; ; fromMin += 30) {
      const span = second.filter((x) => ageMin(x) >= fromMin && ageMin(x) < fromMin + 30);
      if (span.length < 5) break;
      byAge.push({
        // The ages of its first and last samples: the first span starts after the sync, the last may be short.
        ageMin: `${Math.floor(ageMin(span[0] as Sample))}-${Math.ceil(ageMin(span.at(-1) as Sample))}`,
        rssPerHour: perHour(memory.rss, span),
        heapTotalPerHour: perHour(memory.heapTotal, span),
        rssLast: round(memory.rss(span.at(-1) as Sample), 1),
      });
    }
    const rssPerHour = perHour(memory.rss);
    const stores = Object.keys(warm.at(-1)?.stores ?? {});
    const storeRows = stores.map((name) => {
      const seen = warm.map((x) => x.stores[name] ?? 0);
      return { store: name, first: seen[0] ?? 0, last: seen.at(-1) ?? 0, max: Math.max(...seen) };
    });
    const callsPerMinute: Record<string, number> = {};
    for (const x of warm)
      for (const [a, n] of Object.entries(x.callsPerMinute))
        callsPerMinute[a] = (callsPerMinute[a] ?? 0) + n / warm.length;
    const budgetPerMinute = {
      write: Number(FLAGS["gaap-write-qps"]?.default) * 60,
      read: Number(FLAGS["gaap-read-qps"]?.default) * 60,
    };
    const maxExcess = Math.max(...report.samples.map((x) => x.excess.length));
    // Bound but no longer wanted: what the breaker holds back (plan.ts judgeRemovals) and removals on their way. It
    // must level off, not grow with churn.
    const beyond = (x: Sample) => Math.max(0, x.bound - x.desired);
    const boundBeyondWanted = {
      first: beyond(warm[0] as Sample),
      last: beyond(warm.at(-1) as Sample),
      max: Math.max(...warm.map(beyond)),
      perHour: perHour(beyond),
      lateHalfPerHour: perHour(beyond, late),
    };
    let heapGrowers: Array<{ kind: string; mib: number; count: number }> = [];
    if (heapDir) {
      const file = (label: string) => readdirSync(heapDir).find((f) => f.startsWith(`soak-${label}-`));
      const [start, end] = [file("start"), file("end")];
      if (start && end)
        heapGrowers = growers(summarize(join(heapDir, start)), summarize(join(heapDir, end)), 10).map(
          (g) => ({
            kind: g.kind,
            mib: round(g.bytes / 1048576, 2),
            count: g.count,
          }),
        );
    }
    const result = {
      scenario: "soak",
      ...report.options,
      durationS: durationMs / 1000,
      changes: report.changes,
      endpointIpsMade: report.ipsMade,
      restartAtS: report.restartAtS,
      warmFromS: report.warmFromS,
      warmupS: warmupMs / 1000,
      rssMiBPerHour: rssPerHour,
      heapUsedMiBPerHour: perHour(memory.heapUsed),
      memorySlopesMiB: slopes,
      slopesByProcessAge: byAge,
      rssTarget: `slope under 2 MiB per hour after a warm-up of at least ${JUDGED_WARMUP_MS / 60_000} minutes`,
      // A shorter warm-up measures V8 and the allocator still sizing themselves (BENCHMARKS.md, section 8): unjudged.
      rssMet: warmupMs >= JUDGED_WARMUP_MS ? rssPerHour < 2 : null,
      stores: storeRows,
      maxTaggedOrigins: Math.max(...report.samples.map((x) => x.tagged)),
      maxExcessOrigins: maxExcess,
      boundBeyondWanted,
      keptForBroken: report.keptForBroken,
      originTarget: `no origin tagged with the cluster beyond those bound, wanted, or freed within ${freedWithinMs / 1000} s (--gc-delay, one sweep period, two tasks and 30 s)`,
      originMet: maxExcess === 0,
      callsPerMinute: Object.fromEntries(Object.entries(callsPerMinute).map(([a, n]) => [a, round(n, 1)])),
      budgetPerMinutePerAction: budgetPerMinute,
      heapGrowers,
      samples: report.samples.map(({ excess, ...x }) => ({ ...x, excess: excess.length })),
    };
    writeResult("soak", result);
    console.log(
      `\nSoak: ${size.bindings} + ${size.ruleBindings} bindings, ${changesPerMinute} changes/min for ${durationMs / 60_000} min, restarted at ${report.restartAtS} s\n${table(
        [
          [
            `RSS slope after a ${warmupMs / 60_000}-minute warm-up (MiB/h; target < 2 after ${JUDGED_WARMUP_MS / 60_000})`,
            `${result.rssMiBPerHour}${result.rssMet === null ? " (warm-up too short to judge)" : ""}`,
          ],
          ...byAge.map((w): [string, string] => [
            `second process aged ${w.ageMin} min: RSS / heapTotal slope per hour, RSS at its end`,
            `${w.rssPerHour} / ${w.heapTotalPerHour}, ${w.rssLast}`,
          ]),
          ...Object.entries(slopes).map(([name, s]): [string, string] => [
            `${name} MiB: first / last, slope / late-half slope per hour`,
            `${s.first} / ${s.last}, ${s.perHour} / ${s.lateHalfPerHour}`,
          ]),
          [
            "endpoint IPs the churn made / most origins tagged at once",
            `${report.ipsMade} / ${result.maxTaggedOrigins}`,
          ],
          ["most origins beyond bound, wanted or freed lately (target 0)", maxExcess],
          [
            "bound beyond wanted: first / last / max, slope / late-half slope per hour",
            `${boundBeyondWanted.first} / ${boundBeyondWanted.last} / ${boundBeyondWanted.max}, ${boundBeyondWanted.perHour} / ${boundBeyondWanted.lateHalfPerHour}`,
          ],
          ...storeRows.map((r): [string, string] => [
            `store ${r.store}: first / last / max`,
            `${r.first} / ${r.last} / ${r.max}`,
          ]),
          ["GAAP calls per minute (warm)", JSON.stringify(result.callsPerMinute)],
          [
            "budget per action per minute (write / read)",
            `${budgetPerMinute.write} / ${budgetPerMinute.read}`,
          ],
          [
            "heap growers (MiB)",
            heapGrowers.map((g) => `${g.kind} ${g.mib}`).join("; ") || "(BENCH_HEAP_DIR unset)",
          ],
        ],
      )}`,
    );
  } finally {
    await b.close();
  }
}
