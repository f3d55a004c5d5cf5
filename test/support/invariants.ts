// Invariants checked on the emulator's call log: every set the operator sent, and how fast it called.
import { expect } from "vitest";
import { calls, type Scenario } from "./scenario.ts";

/** No 1-second window holds more calls of an action than the operator's budget (rate plus a burst of one second). */
export function assertWithinBudget(s: Pick<Scenario, "emu">, since: number, qps: number): void {
  const mine = calls(s, { since }).filter((c) => c.userAgent.startsWith("gaap-operator/"));
  const byAction = new Map<string, number[]>();
  for (const c of mine) byAction.set(c.action, [...(byAction.get(c.action) ?? []), Date.parse(c.time)]);
  for (const [action, times] of byAction) {
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter(
        (t) => t >= (times[i] as number) && t < (times[i] as number) + 1000,
      ).length;
      expect(inWindow, `${action}: ${inWindow} calls within one second`).toBeLessThanOrEqual(2 * qps);
    }
  }
}

/** Every set the operator ever sent, checked against the rules: never empty, never a mass shrink. */
export function assertNoAccidentalShrink(
  s: Pick<Scenario, "emu">,
  listenerId: string,
  maxUnbindPercent = 50,
  since = 0,
): void {
  let previous: string[] | undefined;
  for (const c of calls(s, { action: "BindListenerRealServers", listenerId, since })) {
    const set = c.bindSet ?? [];
    expect(set.length, `bind #${c.seq} sent an empty set`).toBeGreaterThan(0);
    if (previous && previous.length > 0 && c.code === "Success") {
      const removed = previous.filter((x) => !set.includes(x)).length;
      expect(
        (removed / previous.length) * 100,
        `bind #${c.seq} removed ${removed} of ${previous.length}`,
      ).toBeLessThanOrEqual(maxUnbindPercent);
    }
    if (c.code === "Success") previous = set;
  }
}
