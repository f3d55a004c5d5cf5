// The write checks on the dedicated forwarding rule: whether a task on it blocks a sibling rule (with
// --sibling-rule), its task times when no listener was given, RealServerBindSet: [] on a rule, and the 100-origin
// limit when enough IPs were given.
import { type Origins, unbindCheck } from "./listener-checks.ts";
import { ConformanceStop, isBusy, isParamError, noAnswer, type Probe } from "./probe.ts";
import { type Findings, timing } from "./report.ts";
import {
  bind,
  type Entry,
  guard,
  send,
  type Target,
  targetName,
  view,
  type Waiting,
  waitIdle,
} from "./targets.ts";

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
      const sent = i % 2 === 0 ? set : "omit";
      // The guard's read comes before the clock starts: the sample is the bind's task, not our read.
      await guard(p, rule, w);
      const started = performance.now();
      const o = await send(p, rule, sent);
      if (!o.ok) throw new ConformanceStop(`binding ${targetName(rule)} failed: ${o.code} ${o.message}`);
      samples.push((await waitIdle(p, rule, w, sent, started)).ms);
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
    const over = await bind(p, rule, many, w);
    if (over.ok) await waitIdle(p, rule, w, many);
    const why = over.ok
      ? undefined
      : noAnswer(over, (o) => isParamError(o.code) || o.code === "FailedOperation.LimitRealServerNum");
    if (why) f.notTested("ruleOverLimit", why);
    else
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
  // The sibling is guarded before the rule's task starts, so nothing stands between the two binds.
  await guard(p, sibling, w);
  const started = await bind(p, rule, set, w);
  if (!started.ok)
    return f.notTested("ruleTaskScope", `the rule's bind was refused: ${started.code} ${started.message}`);
  const other = await send(p, sibling, set);
  const during = await view(p, rule);
  if (other.ok) await waitIdle(p, sibling, w, set);
  await waitIdle(p, rule, w, set);
  if (other.ok && during.status === 0)
    return f.notTested("ruleTaskScope", "the rule's task was over before the sibling's bind could be judged");
  // Only a task in the way is a "listener" answer: throttling, trouble or another refusal says nothing.
  const why = other.ok ? undefined : noAnswer(other, isBusy);
  if (why) return f.notTested("ruleTaskScope", why);
  f.answer(
    "ruleTaskScope",
    other.ok ? "rule" : "listener",
    other.ok
      ? `the sibling's bind succeeded while the rule's task ran (status ${during.status})`
      : `the sibling's bind during the rule's task: ${other.code}: ${other.message}`,
  );
}
