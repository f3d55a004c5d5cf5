// Fault suite: GAAP misbehaves. 30% InternalError, RequestLimitExceeded bursts, 2 s latency spikes, calls that hang
// until the client times out, and ListenerHasTask from binds by someone else, all while the workload churns.
// The operator converges, never sends a bad set, and its retries stay within its rate budget.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../emulator/faults.ts";
import { condition } from "../../testenv/bindings.ts";
import {
  AFTER_OUTAGE_MS,
  FAILURES_TO_CAP,
  PASS_MS,
  SETTLED_MS,
  TIMING,
  throughFaults,
} from "../../testenv/deadlines.ts";
import { admin } from "../../testenv/gaap.ts";
import { FAST } from "../../testenv/operator.ts";
import { eventually } from "../support/eventually.ts";
import { assertNoAccidentalShrink, assertWithinBudget } from "../support/invariants.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L,
  readyOrigins,
  type Scenario,
  scale,
  scenario,
  untilBound,
} from "../support/scenario.ts";

const SEED = Number(process.env.FAULT_SEED ?? 42);
/** Changes made under each kind of fault: 3 in npm test, 8 in the full run. */
const ROUNDS = Number(process.env.FAULT_KILLS ?? 6) >= 50 ? 8 : 3;
/** About half the passes fail under these rates: 16 failed passes in a row has odds near 1 in 35,000. */
const ROUND_MS = throughFaults(16);

describe(`GAAP faults (seed ${SEED})`, () => {
  let s: Scenario;
  beforeAll(async () => {
    // A short GAAP timeout so hung calls end quickly.
    s = await scenario("gaapfault", { args: [...FAST, "--gaap-timeout", "2s"] });
    await createWeb(s, 4);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 4 });
  });
  // A test that fails mid-way must not leave its faults to the next one.
  afterEach(async () => admin(s.emu.url, "DELETE", "faults"));
  afterAll(async () => s?.close());

  it.each([
    { name: "30% InternalError", faults: [{ action: "*", errorCode: "InternalError", rate: 0.3 }] },
    {
      name: "RequestLimitExceeded bursts",
      faults: [{ action: "*", errorCode: "RequestLimitExceeded", rate: 0.6, count: 15 }],
    },
    { name: "2 s latency spikes", faults: [{ action: "*", latencyMs: 2000, rate: 0.3 }] },
    { name: "hung calls until timeout", faults: [{ action: "*", hang: true, rate: 0.2, count: 4 }] },
    {
      name: "lost bind answers (the bind took effect)",
      faults: [{ action: "BindListenerRealServers", errorCode: "InternalError", when: "after", rate: 0.5 }],
    },
  ])(
    "converges through $name",
    async ({ faults }) => {
      const random = seededRandom(SEED);
      const since = s.emu.calls.lastSeq;
      const faultsFrom = Date.now();
      await admin(s.emu.url, "POST", "faults", { seed: SEED, faults });
      let replicas = 4;
      let outsideTasks = 0;
      for (let i = 0; i < ROUNDS; i++) {
        replicas = replicas === 4 ? 5 : 4;
        await scale(s, replicas);
        // Someone else binds the listener now and then: ListenerHasTask for the operator.
        if (random() < 0.5) {
          await admin(s.emu.url, "POST", "task", { listenerId: L.wrr, durationMs: 1500 });
          outsideTasks++;
        }
        await untilBound(s, L.wrr, 8080, { count: replicas, timeoutMs: ROUND_MS });
      }
      // Calls that began under this round's rules (a delayed call of the previous round may end inside it).
      const injected = calls(s, { since }).filter(
        (c) => c.injected && Date.parse(c.time) >= faultsFrom,
      ).length;
      await admin(s.emu.url, "DELETE", "faults");
      expect(injected).toBeGreaterThan(0);
      assertNoAccidentalShrink(s, L.wrr, 50, since);
      assertWithinBudget(s, since, 10);
      console.log(
        `faults tried (${JSON.stringify(faults)}): ${injected} calls hit, ${outsideTasks} outside tasks (ListenerHasTask), over ${ROUNDS} changes`,
      );
    },
    ROUNDS * ROUND_MS,
  );

  it("after an outage ends, every binding converges within the retry cap plus one pass", async () => {
    const keys = ["web-b", "web-c"];
    await s.bindings.create("web-b", { listenerId: L.wrr2 });
    await s.bindings.create("web-c", { listenerId: L.rr });
    const listeners = [L.wrr, L.wrr2, L.rr];
    const keyOf = ["web", ...keys];
    // What the operator did after the outage, for a failure message that explains itself.
    const sinceOutage = (ended: number, seq: number, key: string) => {
      const at = (t: unknown) => `+${Date.parse(String(t)) - ended} ms`;
      const gaap = calls(s, { since: seq })
        .filter((c) => c.userAgent.startsWith("gaap-operator/"))
        .map((c) => `${at(c.time)} ${c.action} ${c.listenerId ?? ""} ${c.code}`);
      const log = s.operator
        .logs()
        .filter((l) => l.binding === key && Date.parse(String(l.time)) >= ended - TIMING.retryMaxMs)
        .map((l) => `${at(l.time)} ${l.msg} ${l.code ?? ""} ${l.retryInMs ?? ""}`);
      return `GAAP calls since the outage:\n${gaap.join("\n")}\n${key}'s log:\n${log.join("\n")}`;
    };
    // The rounds above leave 4 or 5 pods; the outage comes with one more.
    const before = (await readyOrigins(s, 8080)).length;
    for (const l of listeners) await untilBound(s, l, 8080, { count: before });

    const failedPasses = (key: string) =>
      s.operator.logs().filter((l) => l.msg === "reconcile failed" && l.binding === `${s.ns}/${key}`);
    const earlier = new Map(["web", ...keys].map((k) => [k, failedPasses(k).length]));
    const failures = (key: string) => failedPasses(key).slice(earlier.get(key));

    // Every call fails, while every binding has a change to make.
    const outageStart = s.emu.calls.lastSeq;
    await admin(s.emu.url, "POST", "faults", {
      seed: SEED,
      faults: [{ action: "*", errorCode: "InternalError", rate: 1 }],
    });
    const outageFrom = Date.now();
    await scale(s, before + 1);
    // Long enough for each binding's backoff to reach its cap.
    const toCap = FAILURES_TO_CAP * (TIMING.retryMaxMs + PASS_MS);
    for (const key of ["web", ...keys]) {
      await eventually(() => expect(failures(key).length).toBeGreaterThanOrEqual(FAILURES_TO_CAP), {
        what: `${key} failed ${FAILURES_TO_CAP} times`,
        timeoutMs: toCap,
      });
      // The status says why, and no retry is further away than the cap.
      expect(condition(await s.bindings.get(key), "Synced")).toMatchObject({
        status: "False",
        reason: "InternalError",
      });
      expect(Math.max(...failures(key).map((l) => Number(l.retryInMs)))).toBeLessThanOrEqual(
        TIMING.retryMaxMs,
      );
    }
    // (GAAP is not read here: the faults answer the test's own calls too.)
    const outageEnd = s.emu.calls.lastSeq;
    const outageUntil = Date.now();
    await admin(s.emu.url, "DELETE", "faults");
    const ended = Date.now();
    const want = await eventually(
      async () => {
        const w = await readyOrigins(s, 8080);
        expect(w).toHaveLength(before + 1);
        return w;
      },
      { what: `${before + 1} ready endpoints` },
    );
    // When each listener held the new set: the bind that sent it, plus the task time. Read from the call log, so
    // the test need not poll GAAP fast: its reads share the account's 20 a second with the operator's, and
    // polling three listeners every 50 ms throttled the operator itself.
    const heldAt = (l: string) => {
      const bind = calls(s, { since: outageEnd, action: "BindListenerRealServers", listenerId: l }).find(
        (c) => c.code === "Success" && JSON.stringify([...(c.bindSet ?? [])].sort()) === JSON.stringify(want),
      );
      return bind ? Date.parse(bind.endTime) + TIMING.bindTaskMs - ended : undefined;
    };
    try {
      await eventually(() => expect(listeners.filter((l) => heldAt(l) === undefined)).toEqual([]), {
        what: "every listener converged after the outage",
        timeoutMs: AFTER_OUTAGE_MS,
      });
    } catch (err) {
      const late = keyOf.filter((_, i) => heldAt(listeners[i] as string) === undefined);
      throw new Error(
        `${(err as Error).message}\n${late.map((k) => sinceOutage(ended, outageEnd, `${s.ns}/${k}`)).join("\n")}`,
      );
    }
    const took = listeners.map((l) => heldAt(l) as number);
    expect(Math.max(...took)).toBeLessThanOrEqual(AFTER_OUTAGE_MS);
    // And GAAP holds it, once each bind's task is done.
    await eventually(
      async () => {
        for (const l of listeners) expect(await gaapSet(s, l)).toEqual(want);
      },
      { what: "GAAP holds the new sets", intervalMs: 250, timeoutMs: SETTLED_MS },
    );
    // Nothing changed during the outage: the operator kept trying, and no call of it got through.
    // Only calls that began under the outage's rule: one begun just before it may end inside it.
    const tried = calls(s, { since: outageStart }).filter(
      (c) =>
        c.seq <= outageEnd &&
        Date.parse(c.time) >= outageFrom &&
        Date.parse(c.time) < outageUntil &&
        c.userAgent.startsWith("gaap-operator/"),
    );
    expect(tried.length).toBeGreaterThan(0);
    expect(tried.filter((c) => c.code === "Success")).toEqual([]);
    assertNoAccidentalShrink(s, L.wrr, 50);
    console.log(
      `outage: ${listeners.length} bindings converged ${took.map((t) => `${t} ms`).join(", ")} after the faults cleared (bound: retry cap ${TIMING.retryMaxMs} ms + one pass = ${AFTER_OUTAGE_MS} ms)`,
    );
  });
});
