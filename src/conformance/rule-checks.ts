// The write checks on the dedicated forwarding rule: whether a task on it blocks a sibling rule (with
// --sibling-rule), its task times when no listener was given, RealServerBindSet: [] on a rule, and the 100-origin
// limit when enough IPs were given.
import { type Origins, unbindCheck } from "./listener-checks.ts";
import type { Probe } from "./probe.ts";
import { type Findings, timing } from "./report.ts";
import { bind, bindAndSettle, type Entry, type Target, view, type Waiting, waitIdle } from "./targets.ts";

export async function ruleChecks(
  p: Probe,
  f: Findings,
  rule: Target,
  sibling: Target | undefined,
  origins: Origins,
  binds: number,
  w: Waiting,
): Promise<void> {
  const [a] = origins.list as [{ id: string; ip: string }];
  const set: Entry[] = [{ ...a, port: origins.port }];

  if (!f.has("bindTaskMs")) {
    const samples: number[] = [];
    for (let i = 0; i < binds; i++) {
      const started = performance.now();
      await bindAndSettle(p, rule, i % 2 === 0 ? set : "omit", w);
      samples.push(Math.round(performance.now() - started));
    }
    f.measured(
      "bindTaskMs",
      timing(samples),
      `${samples.length} rule binds, read every ${w.pollMs} ms: ${samples.join(", ")} ms`,
    );
  }

  if (sibling) await siblingScope(p, f, rule, sibling, set, w);
  else f.notTested("ruleTaskScope", "needs --sibling-rule: a second empty rule on the same listener");

  await unbindCheck(p, f, rule, "ruleEmptyBindSet", "empty", set, w);

  if (origins.list.length > 100) {
    const many = origins.list.slice(0, 101).map((o) => ({ ...o, port: origins.port }));
    const over = await bind(p, rule, many);
    if (over.ok) await waitIdle(p, rule, w);
    f.answer(
      "ruleOverLimit",
      over.ok ? "accept" : "reject",
      over.ok ? "101 origins bound" : `${over.code}: ${over.message}`,
    );
  } else f.notTested("ruleOverLimit", `needs 101 origin IPs, ${origins.list.length} given`);
}

/** Starts a task on the rule and binds its sibling at once; the answer counts only if the task was still on. */
async function siblingScope(
  p: Probe,
  f: Findings,
  rule: Target,
  sibling: Target,
  set: Entry[],
  w: Waiting,
): Promise<void> {
  const started = await bind(p, rule, set);
  if (!started.ok)
    return f.notTested("ruleTaskScope", `the rule's bind was refused: ${started.code} ${started.message}`);
  const other = await bind(p, sibling, set);
  const during = await view(p, rule);
  if (other.ok) await waitIdle(p, sibling, w);
  await waitIdle(p, rule, w);
  if (other.ok && during.status === 0)
    return f.notTested("ruleTaskScope", "the rule's task was over before the sibling's bind could be judged");
  f.answer(
    "ruleTaskScope",
    other.ok ? "rule" : "listener",
    other.ok
      ? `the sibling's bind succeeded while the rule's task ran (status ${during.status})`
      : `the sibling's bind during the rule's task: ${other.code}: ${other.message}`,
  );
}
