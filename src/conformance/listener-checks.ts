// The write checks on the dedicated TCP/UDP listener: task times over several binds, ListenerHasTask and what a
// read shows during a task, replace-all, the same IP on two ports, weight 0, RealServerAlreadyBound, an empty
// list against an omitted set, and the 100-origin limit when enough IPs were given. Each bind waits for its task.
// A failed call answers a check only with a code the check is about (probe.ts noAnswer); otherwise "not tested".
import type { Cleanup } from "./cleanup.ts";
import { type Failure, isBusy, isFailedOperation, isParamError, noAnswer, type Probe } from "./probe.ts";
import { type Findings, timing } from "./report.ts";
import {
  bind,
  bindAndSettle,
  type Entry,
  glance,
  guard,
  quietSpan,
  send,
  setKey,
  shows,
  type Target,
  unseen,
  view,
  type Waiting,
  waitIdle,
} from "./targets.ts";

export interface Origins {
  /** The run's own registered origins, in the order of --origin-ip. */
  list: Array<{ id: string; ip: string }>;
  port: number;
}

const entry = (o: { id: string; ip: string }, port: number, weight?: number): Entry => ({
  ...o,
  port,
  ...(weight === undefined ? {} : { weight }),
});

export async function listenerChecks(
  p: Probe,
  f: Findings,
  t: Target,
  origins: Origins,
  binds: number,
  w: Waiting,
  cleanup: Cleanup,
): Promise<void> {
  const [a, b] = origins.list as [{ id: string; ip: string }, { id: string; ip: string } | undefined];
  const port = origins.port;
  const otherPort = port === 65_535 ? port - 1 : port + 1;
  // Two different sets to alternate between: two IPs, or one IP on two ports.
  const sets: Entry[][] = [[entry(a, port)], [b ? entry(b, port) : entry(a, otherPort)]];

  await timedBinds(p, f, t, sets, binds, w);

  // Replace-all: from one set to the other; the first must be gone.
  const before = await view(p, t);
  const next =
    setKey(before.bound) === setKey(sets[0] as Entry[]) ? (sets[1] as Entry[]) : (sets[0] as Entry[]);
  const settled = await bindAndSettle(p, t, next, w);
  const after = settled.view;
  const kept = before.bound.filter((e) => after.bound.some((x) => x.ip === e.ip && x.port === e.port));
  f.answer(
    "replaceAll",
    setKey(after.bound) === setKey(next) ? "replace" : kept.length > 0 ? "merge" : "other",
    `held ${setKey(before.bound)}, bound ${setKey(next)}, then held ${setKey(after.bound) || "nothing"}${unseen(settled)}`,
  );

  const twoPorts = [entry(a, port), entry(a, otherPort)];
  await refusalCheck(p, f, t, w, "allowSameIpDifferentPorts", twoPorts, ["true", "false"], (o) =>
    isParamError(o.code),
  );

  if (t.scheduler === "wrr")
    await refusalCheck(p, f, t, w, "weightZero", [entry(a, port, 0)], ["accept", "reject"], (o) =>
      isParamError(o.code),
    );
  else
    f.notTested(
      "weightZero",
      `the listener's scheduler is ${t.scheduler}: weights mean something only under wrr`,
    );

  // An origin bound here cannot be removed.
  await bindAndSettle(p, t, [entry(a, port)], w);
  const removal = await p.write("RemoveRealServers", { RealServerIds: [a.id] });
  if (removal.ok) cleanup.removed(a.id);
  const why = removal.ok ? undefined : noAnswer(removal, isFailedOperation);
  if (why) f.notTested("realServerAlreadyBound", why);
  else
    f.answer(
      "realServerAlreadyBound",
      removal.ok ? "removed" : removal.code,
      removal.ok
        ? `RemoveRealServers(${a.id}) succeeded while ${a.ip} was bound`
        : `${removal.code}: ${removal.message}`,
    );
  if (removal.ok)
    return f.notTested(
      "emptyBindSet",
      "the run's origin was removed while bound: stopping the listener checks",
    );

  await unbindCheck(p, f, t, "emptyBindSet", "empty", [entry(a, port)], w);
  await unbindCheck(p, f, t, "omittedBindSet", "omit", [entry(a, port)], w);

  if (origins.list.length > 100) {
    const many = origins.list.slice(0, 101).map((o) => entry(o, port));
    const over = await bind(p, t, many, w);
    const whyNot = over.ok ? undefined : noAnswer(over, (o) => isFailedOperation(o) || isParamError(o.code));
    if (whyNot) f.notTested("maxRealServersPerListener", whyNot);
    else if (!over.ok) f.answer("maxRealServersPerListener", over.code, `${over.code}: ${over.message}`);
    else {
      const s = await waitIdle(p, t, w, many);
      f.answer(
        "maxRealServersPerListener",
        s.view.bound.length === 101 ? "accepted" : "other",
        `101 origins accepted; the listener then held ${s.view.bound.length}${unseen(s)}`,
      );
    }
  } else f.notTested("maxRealServersPerListener", `needs 101 origin IPs, ${origins.list.length} given`);
}

/** A bind whose success is the first answer and whose refusal, with a code `refuses` accepts, is the second. */
async function refusalCheck(
  p: Probe,
  f: Findings,
  t: Target,
  w: Waiting,
  key: "allowSameIpDifferentPorts" | "weightZero",
  set: Entry[],
  [yes, no]: [string, string],
  refuses: (o: Failure) => boolean,
): Promise<void> {
  const o = await bind(p, t, set, w);
  if (o.ok) {
    // Accepted is an answer only when the listener then holds what was sent, weights included.
    const s = await waitIdle(p, t, w, set);
    return f.answer(
      key,
      holds(s.view.bound, set) ? yes : "other",
      `accepted ${weighed(set)}; the listener then held ${weighed(s.view.bound) || "nothing"}${unseen(s)}`,
    );
  }
  const why = noAnswer(o, refuses);
  if (why) return f.notTested(key, why);
  f.answer(key, no, `${o.code}: ${o.message}`);
}

/** A set as "ip:port/weight" entries, sorted, for the evidence. */
const weighed = (set: readonly Entry[]) =>
  set
    .map((e) => `${e.ip}:${e.port}/${e.weight ?? "-"}`)
    .sort()
    .join(", ");

/** Whether a read shows exactly the entries sent, with the weight each was sent with (where one was). */
export const holds = (bound: readonly Entry[], sent: readonly Entry[]) =>
  setKey(bound) === setKey(sent) &&
  sent.every(
    (e) =>
      e.weight === undefined ||
      bound.some((b) => b.ip === e.ip && b.port === e.port && b.weight === e.weight),
  );

/**
 * Several binds, alternating two sets, each timed from the call to the read that shows the task over. The last also
 * asks what GAAP does during a task (a second bind at once: ListenerHasTask? what a read shows), once the binds
 * before it have said how long a task surely lasts. The times measured set how long a quiet target is waited for.
 */
export async function timedBinds(
  p: Probe,
  f: Findings,
  t: Target,
  sets: Entry[][],
  binds: number,
  w: Waiting,
): Promise<void> {
  const samples: number[] = [];
  // Per bind, how long its task surely lasted: from the bind's answer (the task had begun) to the last read that
  // still showed it running.
  const atLeast: number[] = [];
  let asked = false;
  let unseenCount = 0;
  let left = 0;
  for (let i = 0; i < binds; i++) {
    const set = sets[i % 2] as Entry[];
    // The guard's read comes before the clock starts: the sample is the bind's task, not our read.
    const before = await guard(p, t, w);
    const started = performance.now();
    const o = await send(p, t, set, w);
    const answeredAt = performance.now();
    if (!o.ok) {
      f.notTested("bindTaskMs", `bind ${i + 1} was refused: ${o.code} ${o.message}`);
      break;
    }
    const during = i === binds - 1 && atLeast.length > 0;
    asked ||= during;
    const latest = during
      ? await duringTask(
          p,
          f,
          t,
          { set, sentAt: started },
          sets[(i + 1) % 2] as Entry[],
          w,
          Math.min(...atLeast),
        )
      : set;
    const s = await waitIdle(p, t, w, latest, started);
    if (!s.sawBusy) unseenCount++;
    // Left out: a wait that saw neither the task nor its set, a bind of what the target held already (its wait
    // proves nothing), and a bind followed by a second one accepted during its task (two tasks long).
    if (!s.confirmed || shows(before, set)) left++;
    else if (latest === set) {
      samples.push(s.ms);
      if (s.busyReadAt !== undefined) atLeast.push(s.busyReadAt - answeredAt);
      w.quietMs = quietSpan(samples, w.pollMs);
    }
  }
  if (!asked) {
    const why =
      binds < 2 ? "needs --binds 2 or more" : "no bind before the last was seen running, to size a task by";
    f.notTested("bindVisibility", why);
    f.notTested("listenerHasTask", why);
  }
  if (f.has("bindTaskMs")) return;
  const leftOut = left > 0 ? `; ${left} left out: the set never showed, or was held already` : "";
  if (samples.length === 0) return f.notTested("bindTaskMs", `no bind could be timed alone${leftOut}`);
  f.measured(
    "bindTaskMs",
    timing(samples),
    `${samples.length} binds, read every ${w.pollMs} ms: ${samples.join(", ")} ms${unseenCount > 0 ? `; ${unseenCount} never showed status 3 (timed to the read that showed the set)` : ""}${leftOut}`,
  );
}

/**
 * Right after a bind, reads the listener until its task shows running, then sends the other set: ListenerHasTask?
 * An acceptance counts only when answered before the first task can have ended: within `atLeastMs` (how long
 * every task measured surely lasted) of the first bind's call. Returns the set the listener should end with.
 */
export async function duringTask(
  p: Probe,
  f: Findings,
  t: Target,
  first: { set: Entry[]; sentAt: number },
  other: Entry[],
  w: Waiting,
  atLeastMs: number,
): Promise<Entry[]> {
  // Reads, not a guard (the guard would wait the task out): each stops on a foreign origin. GAAP may show a task
  // only a moment after answering: a few reads, within half the time the task surely lasts.
  let v = await glance(p, t, w);
  for (
    let reads = 1;
    v.status === 0 && reads < 5 && performance.now() - first.sentAt < atLeastMs / 2;
    reads++
  )
    v = await glance(p, t, w);
  if (v.status === 0) {
    const why = "the bind's task was not seen running before the second bind could go";
    f.notTested("bindVisibility", why);
    f.notTested("listenerHasTask", why);
    return first.set;
  }
  const shown = setKey(v.bound);
  f.answer(
    "bindVisibility",
    shown === setKey(first.set) ? "immediate" : "onComplete",
    `during the task (status ${v.status}) a read showed ${shown || "nothing"}; the bind sent ${setKey(first.set)}`,
  );
  const again = await send(p, t, other, w);
  const answeredMs = Math.round(performance.now() - first.sentAt);
  if (!again.ok) {
    const why = noAnswer(again, (o) => isBusy(o) || isFailedOperation(o));
    if (why) f.notTested("listenerHasTask", why);
    else f.answer("listenerHasTask", again.code, `${again.code}: ${again.message}`);
    return first.set;
  }
  const surely = Math.floor(atLeastMs);
  if (answeredMs < surely)
    f.answer(
      "listenerHasTask",
      "accepted",
      `a second bind was accepted ${answeredMs} ms after the first, whose task surely lasted ${surely} ms`,
    );
  else
    f.notTested(
      "listenerHasTask",
      `a second bind was accepted ${answeredMs} ms after the first, past the ${surely} ms every task surely lasted: the first may have ended`,
    );
  return other;
}

/** Binds `seed`, then unbinds the way `how` says; the answer is what the listener then holds. */
export async function unbindCheck(
  p: Probe,
  f: Findings,
  t: Target,
  key: "emptyBindSet" | "omittedBindSet" | "ruleEmptyBindSet",
  how: "empty" | "omit",
  seed: Entry[],
  w: Waiting,
): Promise<void> {
  await bindAndSettle(p, t, seed, w);
  const o = await bind(p, t, how, w);
  const sent = how === "empty" ? "RealServerBindSet: []" : "no RealServerBindSet";
  if (!o.ok) {
    const why = noAnswer(o, (x) => isParamError(x.code) || x.code === "MissingParameter");
    if (why) return f.notTested(key, why);
    return f.answer(key, "reject", `${sent}: ${o.code}: ${o.message}`);
  }
  const s = await waitIdle(p, t, w, how);
  f.answer(
    key,
    s.view.bound.length === 0 ? "unbind" : "ignored",
    `${sent} accepted; the ${t.kind} then held ${setKey(s.view.bound) || "nothing"}${unseen(s)}`,
  );
}
