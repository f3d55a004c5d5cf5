// The write checks on the dedicated forwarding rule: whether a task on it blocks a sibling rule (with
// --sibling-rule), its task times when no listener was given, RealServerBindSet: [] on a rule, and the 100-origin
// limit when enough IPs were given.
import { type Origins, unbindCheck } from "./listener-checks.ts";
import { ConformanceStop, isBusy, isParamError, noAnswer, type Probe } from "./probe.ts";
import { type Findings, timing } from "./report.ts";
import {
  bind,
  type Entry,
  glance,
  guard,
  quietSpan,
  send,
  shows,
  type Target,
  targetName,
  unseen,
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
      const before = await guard(p, rule, w);
      const started = performance.now();
      const o = await send(p, rule, sent, w);
      if (!o.ok) throw new ConformanceStop(`binding ${targetName(rule)} failed: ${o.code} ${o.message}`);
      const s = await waitIdle(p, rule, w, sent, started);
      // A wait that saw neither the task nor its set timed nothing, nor does a bind of what the rule held already.
      if (s.confirmed && !shows(before, sent)) samples.push(s.ms);
    }
    const left =
      samples.length < binds
        ? `; ${binds - samples.length} left out: the set never showed, or was held already`
        : "";
    if (samples.length === 0) f.notTested("bindTaskMs", `no rule bind could be timed${left}`);
    else {
      w.quietMs = quietSpan(samples, w.pollMs);
      f.measured(
        "bindTaskMs",
        timing(samples),
        `${samples.length} rule binds, read every ${w.pollMs} ms: ${samples.join(", ")} ms${left}`,
      );
    }
  }

  if (sibling) await siblingScope(p, f, rule, sibling, set, w);
  else f.notTested("ruleTaskScope", "needs --sibling-rule: a second empty rule on the same listener");

  await unbindCheck(p, f, rule, "ruleEmptyBindSet", "empty", set, w);

  if (origins.list.length > 100) {
    const many = origins.list.slice(0, 101).map((o) => ({ ...o, port: origins.port }));
    const over = await bind(p, rule, many, w);
    const why = over.ok
      ? undefined
      : noAnswer(over, (o) => isParamError(o.code) || o.code === "FailedOperation.LimitRealServerNum");
    if (why) f.notTested("ruleOverLimit", why);
    else if (!over.ok) f.answer("ruleOverLimit", "reject", `${over.code}: ${over.message}`);
    else {
      const s = await waitIdle(p, rule, w, many);
      f.answer(
        "ruleOverLimit",
        s.view.bound.length === 101 ? "accept" : "other",
        `101 origins accepted; the rule then held ${s.view.bound.length}${unseen(s)}`,
      );
    }
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
  // The sibling is guarded before the rule's task starts, and read once more right before its own bind.
  await guard(p, sibling, w);
  const started = await bind(p, rule, set, w);
  if (!started.ok)
    return f.notTested("ruleTaskScope", `the rule's bind was refused: ${started.code} ${started.message}`);
  // One read of the sibling, not a guard (the rule's task may hold it up, and must still be on).
  await glance(p, sibling, w);
  const other = await send(p, sibling, set, w);
  const during = await view(p, rule);
  // A task in the way may be someone else's on the sibling: wait it out, and stop on anything it bound.
  if (!other.ok && other.kind === "busy") await guard(p, sibling, w);
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
