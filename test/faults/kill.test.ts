// Fault suite: the operator killed with SIGKILL at random points during churn. Seeded and repeatable.
// FAULT_KILLS (default 6 in npm test; npm run test:faults uses 50) and FAULT_SEED choose the run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../emulator/faults.ts";
import { eventually } from "../support/eventually.ts";
import { assertNoAccidentalShrink } from "../support/invariants.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L,
  type Scenario,
  scale,
  scenario,
  untilBound,
} from "../support/scenario.ts";

const KILLS = Number(process.env.FAULT_KILLS ?? 6);
const SEED = Number(process.env.FAULT_SEED ?? 42);

describe(`operator SIGKILLed ${KILLS} times during churn (seed ${SEED})`, () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("kill");
    await createWeb(s, 6);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 6 });
  });
  afterAll(async () => s?.close());

  it("converges after every kill, never sends an empty or mass-shrunk set, and leaks no origin", async () => {
    const random = seededRandom(SEED);
    const since = s.emu.calls.lastSeq;
    let replicas = 6;
    const tried = { kills: 0, scales: 0 };
    for (let i = 0; i < KILLS; i++) {
      // Churn: a step of one or two pods, within 4..9, so each change is within the default 50% breaker.
      const step = (random() < 0.5 ? -1 : 1) * (1 + Math.floor(random() * 2));
      replicas = Math.min(9, Math.max(4, replicas + step));
      await scale(s, replicas);
      tried.scales++;
      // Kill it at a random point: before it saw the change, mid-bind, or while waiting for the task.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 3000)));
      await s.operator.kill();
      tried.kills++;
      s.operator.start();
      if (random() < 0.3) await untilBound(s, L.wrr, 8080, { count: replicas, timeoutMs: 60_000 });
    }
    await untilBound(s, L.wrr, 8080, { count: replicas, timeoutMs: 60_000 });
    assertNoAccidentalShrink(s, L.wrr, 50, since);
    // No leak: the origins this cluster registered are exactly the ones bound (the GC sweeps the rest).
    await eventually(
      async () => {
        const tagged = await s.gaap.DescribeRealServers({
          ProjectId: -1,
          TagSet: [{ TagKey: "gaap.operator.dev/cluster", TagValue: "default" }],
          Limit: 50,
        });
        const bound = (await gaapSet(s, L.wrr)).map((x) => x.split(":")[0]);
        expect(tagged.RealServerSet.map((r) => r.RealServerIP).sort()).toEqual(bound);
      },
      { timeoutMs: 30_000, what: "no leaked origins" },
    );
    expect(tried.kills).toBe(KILLS);
    const binds = calls(s, { since, action: "BindListenerRealServers" });
    console.log(
      `faults tried: ${tried.kills} SIGKILLs, ${tried.scales} scale steps; ${binds.length} binds sent`,
    );
  });
});
