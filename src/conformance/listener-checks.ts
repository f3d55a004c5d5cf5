// The write checks on the dedicated TCP/UDP listener: task times over several binds, ListenerHasTask and what a
// read shows during a task, replace-all, the same IP on two ports, weight 0, RealServerAlreadyBound, an empty
// list against an omitted set, and the 100-origin limit when enough IPs were given. Each bind waits for its task.
import type { Cleanup } from "./cleanup.ts";
import type { Probe } from "./probe.ts";
import { type Findings, timing } from "./report.ts";
import {
  bind,
  bindAndSettle,
  type Entry,
  setKey,
  type Target,
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
  // Two different sets to alternate between: two IPs, or one IP on two ports.
  const sets: Entry[][] = [
    [entry(a, port)],
    [b ? entry(b, port) : entry(a, port === 65_535 ? port - 1 : port + 1)],
  ];

  await timedBinds(p, f, t, sets, binds, w);

  // Replace-all: from one set to the other; the first must be gone.
  const before = await view(p, t);
  const next =
    setKey(before.bound) === setKey(sets[0] as Entry[]) ? (sets[1] as Entry[]) : (sets[0] as Entry[]);
  const after = await bindAndSettle(p, t, next, w);
  const kept = before.bound.filter((e) => after.bound.some((x) => x.ip === e.ip && x.port === e.port));
  f.answer(
    "replaceAll",
    setKey(after.bound) === setKey(next) ? "replace" : kept.length > 0 ? "merge" : "other",
    `held ${setKey(before.bound)}, bound ${setKey(next)}, then held ${setKey(after.bound) || "nothing"}`,
  );

  const twoPorts = [entry(a, port), entry(a, port === 65_535 ? port - 1 : port + 1)];
  const same = await bind(p, t, twoPorts);
  if (same.ok) await waitIdle(p, t, w);
  f.answer(
    "allowSameIpDifferentPorts",
    same.ok ? "true" : "false",
    same.ok ? `bound ${setKey(twoPorts)}` : `${same.code}: ${same.message}`,
  );

  if (t.kind === "listener" && t.scheduler === "wrr") {
    const zero = await bind(p, t, [entry(a, port, 0)]);
    if (zero.ok) await waitIdle(p, t, w);
    f.answer(
      "weightZero",
      zero.ok ? "accept" : "reject",
      zero.ok ? "bound with RealServerWeight 0" : `${zero.code}: ${zero.message}`,
    );
  } else
    f.notTested(
      "weightZero",
      `the listener's scheduler is ${t.scheduler}: weights mean something only under wrr`,
    );

  // An origin bound here cannot be removed.
  await bindAndSettle(p, t, [entry(a, port)], w);
  const removal = await p.write("RemoveRealServers", { RealServerIds: [a.id] });
  if (removal.ok) cleanup.removed(a.id);
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
    const over = await bind(p, t, many);
    if (over.ok) await waitIdle(p, t, w);
    f.answer(
      "maxRealServersPerListener",
      over.ok ? "accepted" : over.code,
      over.ok ? "101 origins bound" : `${over.code}: ${over.message}`,
    );
  } else f.notTested("maxRealServersPerListener", `needs 101 origin IPs, ${origins.list.length} given`);
}

/**
 * Several binds, alternating two sets, each timed from the call to the first read that shows the task over. The
 * first also checks what GAAP does during its task: a second bind (ListenerHasTask?) and what a read shows.
 */
async function timedBinds(
  p: Probe,
  f: Findings,
  t: Target,
  sets: Entry[][],
  binds: number,
  w: Waiting,
): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < binds; i++) {
    const set = sets[i % 2] as Entry[];
    const started = performance.now();
    const o = await bind(p, t, set);
    if (!o.ok) {
      f.notTested("bindTaskMs", `bind ${i + 1} was refused: ${o.code} ${o.message}`);
      return;
    }
    if (i === 0) await duringTask(p, f, t, set);
    samples.push((await waitIdle(p, t, w, started)).ms);
  }
  f.measured(
    "bindTaskMs",
    timing(samples),
    `${samples.length} binds, read every ${w.pollMs} ms: ${samples.join(", ")} ms`,
  );
}

async function duringTask(p: Probe, f: Findings, t: Target, set: Entry[]): Promise<void> {
  const v = await view(p, t);
  if (v.status === 0) {
    const why = "the first bind's task was over before it could be read";
    f.notTested("bindVisibility", why);
    f.notTested("listenerHasTask", why);
    return;
  }
  const shows = setKey(v.bound) === setKey(set) ? "immediate" : "onComplete";
  f.answer(
    "bindVisibility",
    shows,
    `during the task (status ${v.status}) a read showed ${setKey(v.bound) || "nothing"}; the bind sent ${setKey(set)}`,
  );
  const again = await bind(p, t, set);
  f.answer(
    "listenerHasTask",
    again.ok ? "accepted" : again.code,
    again.ok ? "a second bind during the task succeeded" : `${again.code}: ${again.message}`,
  );
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
  const o = await bind(p, t, how);
  const sent = how === "empty" ? "RealServerBindSet: []" : "no RealServerBindSet";
  if (!o.ok) return f.answer(key, "reject", `${sent}: ${o.code}: ${o.message}`);
  const after = (await waitIdle(p, t, w)).view;
  f.answer(
    key,
    after.bound.length === 0 ? "unbind" : "ignored",
    `${sent} accepted; the ${t.kind} then held ${setKey(after.bound) || "nothing"}`,
  );
}
