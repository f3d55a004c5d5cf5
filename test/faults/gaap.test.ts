// Fault suite: GAAP misbehaves. 30% InternalError, RequestLimitExceeded bursts, 2 s latency spikes, calls that hang
// until the client times out, and ListenerHasTask from binds by someone else, all while the workload churns.
// The operator converges, never sends a bad set, and its retries stay within its rate budget.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../src/emulator/faults.ts";
import { admin } from "../support/gaap.ts";
import { assertNoAccidentalShrink, assertWithinBudget } from "../support/invariants.ts";
import { FAST } from "../support/operator.ts";
import { calls, createWeb, L, type Scenario, scale, scenario, untilBound } from "../support/scenario.ts";

const SEED = Number(process.env.FAULT_SEED ?? 42);
/** Changes made under each kind of fault: 3 in npm test, 8 in the full run. */
const ROUNDS = Number(process.env.FAULT_KILLS ?? 6) >= 50 ? 8 : 3;

describe(`GAAP faults (seed ${SEED})`, () => {
  let s: Scenario;
  beforeAll(async () => {
    // A short GAAP timeout so hung calls end quickly.
    s = await scenario("gaapfault", { args: [...FAST, "--gaap-timeout", "2s"] });
    await createWeb(s, 4);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 4 });
  });
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
  ])("converges through $name", async ({ faults }) => {
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
      await untilBound(s, L.wrr, 8080, { count: replicas, timeoutMs: 90_000 });
    }
    // Calls that began under this round's rules (a delayed call of the previous round may end inside it).
    const injected = calls(s, { since }).filter((c) => c.injected && Date.parse(c.time) >= faultsFrom).length;
    await admin(s.emu.url, "DELETE", "faults");
    expect(injected).toBeGreaterThan(0);
    assertNoAccidentalShrink(s, L.wrr, 50, since);
    assertWithinBudget(s, since, 10);
    console.log(
      `faults tried (${JSON.stringify(faults)}): ${injected} calls hit, ${outsideTasks} outside tasks (ListenerHasTask), over ${ROUNDS} changes`,
    );
  });
});
