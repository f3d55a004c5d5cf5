// What the write checks bind: the dedicated TCP/UDP listener or forwarding rule, read back (status and bound set),
// bound (a full set, an empty list, or no set at all), and waited on until its task is over.
import { setTimeout as sleep } from "node:timers/promises";
import { ConformanceStop, type Failure, isNoise, type Outcome, type Probe } from "./probe.ts";

export type Target =
  | { kind: "listener"; listenerId: string; protocol: "TCP" | "UDP"; scheduler: string }
  | { kind: "rule"; ruleId: string; listenerId: string; scheduler: string };

/** One entry of a bind set; `weight` only when the check means to send one. */
export interface Entry {
  id: string;
  ip: string;
  port: number;
  weight?: number;
}

export interface TargetView {
  /** ListenerStatus or RuleStatus: 0 idle, 3 running a bind task. */
  status: number;
  bound: Entry[];
}

export interface Waiting {
  taskTimeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
  /**
   * The RealServerIds this run registered. Preflight proves a target empty only at the start: every bind first
   * reads the target and stops the run if it holds any other origin, so a target someone else started using is
   * never unbound or replaced.
   */
  own: ReadonlySet<string>;
  /**
   * The last bind each target (by targetName) was sent that GAAP accepted or may have applied (an answer lost):
   * cleanup waits for it to show before it trusts a read of that target.
   */
  sent?: Map<string, BindSet>;
  /** No wait goes past this (performance.now()): cleanup's share of --task-timeout. */
  deadline?: number;
  /**
   * How long a target must read the same, showing neither a task nor the set sent, before a wait takes it as it is
   * (quietSpan: from the task times measured); undefined until they are: such a wait then runs to its deadline.
   */
  quietMs?: number;
}

/** What a bind sent, to know its effect when the read shows it: a full set, an empty list, or no set. */
export type BindSet = readonly Entry[] | "empty" | "omit";

type Bound = {
  RealServerId?: string;
  RealServerIP?: string;
  RealServerPort?: number;
  RealServerWeight?: number;
};
type ListenerInfo = {
  ListenerId?: string;
  ListenerStatus?: number;
  Scheduler?: string;
  RealServerSet?: Bound[];
};
type RuleInfo = { ListenerId?: string; RuleStatus?: number; Scheduler?: string; RealServerSet?: Bound[] };

export const targetName = (t: Target) =>
  t.kind === "listener" ? `listener ${t.listenerId}` : `rule ${t.ruleId}`;

/** A read that failed for another reason than "no such thing": the target's state is unknown, not gone. */
const readFailed = (what: string, o: Failure) =>
  new ConformanceStop(`reading ${what} failed: ${o.code} ${o.message}`);

/** A TCP or UDP listener by ID, with its state; undefined when neither protocol (or `protocol`) knows it. */
export async function findListener(
  p: Probe,
  id: string,
  protocols: ReadonlyArray<"TCP" | "UDP"> = ["TCP", "UDP"],
): Promise<{ target: Target; view: TargetView } | undefined> {
  for (const protocol of protocols) {
    const o = await p.read<{ ListenerSet?: ListenerInfo[] }>(`Describe${protocol}Listeners`, {
      ListenerId: id,
    });
    // While the protocol is unknown, a refusal may only mean "not this protocol"; noise never means "not found".
    if (!o.ok && (isNoise(o) || (protocols.length === 1 && o.kind !== "notFound")))
      throw readFailed(`listener ${id}`, o);
    const l = o.ok ? o.res.ListenerSet?.find((x) => x.ListenerId === id) : undefined;
    if (l) {
      return {
        target: { kind: "listener", listenerId: id, protocol, scheduler: l.Scheduler ?? "rr" },
        view: listenerView(l),
      };
    }
  }
  return undefined;
}

export async function findRule(
  p: Probe,
  id: string,
): Promise<{ target: Target; view: TargetView } | undefined> {
  const o = await p.read<{ RuleSet?: RuleInfo[] }>("DescribeRulesByRuleIds", { RuleIds: [id] });
  if (!o.ok && o.kind !== "notFound") throw readFailed(`rule ${id}`, o);
  const r = o.ok ? o.res.RuleSet?.find((x) => (x as { RuleId?: string }).RuleId === id) : undefined;
  if (!r) return undefined;
  return {
    target: { kind: "rule", ruleId: id, listenerId: r.ListenerId ?? "", scheduler: r.Scheduler ?? "rr" },
    view: listenerView({ ListenerStatus: r.RuleStatus, RealServerSet: r.RealServerSet }),
  };
}

function listenerView(l: ListenerInfo): TargetView {
  return {
    status: l.ListenerStatus ?? 0,
    bound: (l.RealServerSet ?? []).map((b) => ({
      id: b.RealServerId ?? "",
      ip: b.RealServerIP ?? "",
      port: b.RealServerPort ?? 0,
      ...(b.RealServerWeight === undefined ? {} : { weight: b.RealServerWeight }),
    })),
  };
}

/** The target's state now; a failed read stops the run (it is not taken for a target that is gone). */
export async function view(p: Probe, t: Target): Promise<TargetView> {
  const found =
    t.kind === "listener" ? await findListener(p, t.listenerId, [t.protocol]) : await findRule(p, t.ruleId);
  if (!found) throw new ConformanceStop(`${targetName(t)} is gone`);
  return found.view;
}

/** The bound origins this run did not register. */
export const foreign = (v: TargetView, own: ReadonlySet<string>) => v.bound.filter((e) => !own.has(e.id));

/**
 * Stops the run when the target holds an origin this run did not register. The run's own tasks are over whenever it
 * guards, so a task running now is someone else's: it waits that out to see what it leaves bound.
 */
export async function guard(p: Probe, t: Target, w: Waiting): Promise<TargetView> {
  const v = await view(p, t);
  if (v.status === 0) return stopOnForeign(t, v, w);
  return stopOnForeign(t, (await waitIdle(p, t, w)).view, w);
}

/**
 * One read, without waiting for a task (the run's own may be running): stops on a foreign origin. For the binds
 * that must go while a task runs, where guard() would wait it out.
 */
export async function glance(p: Probe, t: Target, w: Waiting): Promise<TargetView> {
  return stopOnForeign(t, await view(p, t), w);
}

function stopOnForeign(t: Target, v: TargetView, w: Waiting): TargetView {
  const others = foreign(v, w.own);
  if (others.length > 0)
    throw new ConformanceStop(
      `${targetName(t)} now holds origins this run did not register (${others.map((e) => `${e.ip}:${e.port}`).join(", ")}): someone else is using it, so the run stopped and left them bound`,
    );
  return v;
}

/** Reads the target first and stops on a foreign origin (see Waiting.own), then binds. */
export async function bind(p: Probe, t: Target, set: BindSet, w: Waiting): Promise<Outcome<unknown>> {
  await guard(p, t, w);
  const o = await send(p, t, set, w);
  // A task in the way right after the guard found none is someone else's write: say so if it bound anything.
  if (!o.ok && o.kind === "busy") await guard(p, t, w);
  return o;
}

/**
 * The bind call alone: "empty" sends RealServerBindSet: []; "omit" leaves the field out. Callers guard (or glance)
 * first. What GAAP accepted, or may have applied, is recorded for cleanup (Waiting.sent).
 */
export async function send(p: Probe, t: Target, set: BindSet, w: Waiting): Promise<Outcome<unknown>> {
  const entries =
    set === "omit"
      ? {}
      : {
          RealServerBindSet: (set === "empty" ? [] : set).map((e) => ({
            RealServerId: e.id,
            RealServerIP: e.ip,
            RealServerPort: e.port,
            ...(e.weight === undefined ? {} : { RealServerWeight: e.weight }),
          })),
        };
  const o =
    t.kind === "listener"
      ? await p.write("BindListenerRealServers", { ListenerId: t.listenerId, ...entries })
      : await p.write("BindRuleRealServers", { RuleId: t.ruleId, ...entries });
  if (o.ok || o.kind === "transient") w.sent?.set(targetName(t), set);
  return o;
}

export interface Settled {
  /** From `since` to the read that showed the task over. */
  ms: number;
  view: TargetView;
  /** Whether any read showed the task running (status 3). */
  sawBusy: boolean;
  /** Whether the wait saw the task (running, or its set shown): otherwise it gave up on a quiet target. */
  confirmed: boolean;
  /** When (performance.now()) the last read that showed the task running was sent: it was still on then. */
  busyReadAt?: number;
}

/** A target quiet for fewer reads than this is never taken as done, however long they took. */
export const QUIET_READS = 10;

/** Waiting.quietMs from the task times measured: four times the longest, and never under QUIET_READS polls. */
export const quietSpan = (samples: readonly number[], pollMs: number) =>
  Math.max(QUIET_READS * pollMs, 4 * Math.max(0, ...samples));

/**
 * Reads until the target's task is over. GAAP may show status 3 only a moment after it answered a bind, so a first
 * status 0 proves nothing: idle counts once a read showed the task running, or once the target holds what `sent`
 * asked for (for [] or no set: nothing), and never before the second read. A target at status 0 that never shows
 * the set is returned as it is (unconfirmed: that is then the answer) once it has read the same for Waiting.quietMs
 * and QUIET_READS reads, or at the deadline: --task-timeout from `since`, or Waiting.deadline if sooner.
 */
export async function waitIdle(
  p: Probe,
  t: Target,
  w: Omit<Waiting, "own">,
  sent?: BindSet,
  since = performance.now(),
): Promise<Settled> {
  let sawBusy = false;
  let busyReadAt: number | undefined;
  let quiet = 0;
  let quietSince = since;
  let last = "";
  const deadline = Math.min(since + w.taskTimeoutMs, w.deadline ?? Number.POSITIVE_INFINITY);
  for (let reads = 1; ; reads++) {
    const readAt = performance.now();
    const v = await view(p, t);
    const ms = Math.round(performance.now() - since);
    const seen = `${v.status} ${setKey(v.bound)}`;
    if (seen !== last) quietSince = performance.now();
    quiet = seen === last ? quiet + 1 : 1;
    last = seen;
    const quietFor = performance.now() - quietSince;
    const busy = busyReadAt === undefined ? {} : { busyReadAt };
    if (v.status !== 0) {
      sawBusy = true;
      busyReadAt = readAt;
    } else if (reads >= 2 && (sawBusy || sent === undefined || shows(v, sent)))
      return { ms, view: v, sawBusy, confirmed: true, ...busy };
    else if (quiet >= QUIET_READS && w.quietMs !== undefined && quietFor >= w.quietMs)
      return { ms, view: v, sawBusy, confirmed: false, ...busy };
    if (performance.now() > deadline) {
      if (v.status === 0) return { ms, view: v, sawBusy, confirmed: false, ...busy };
      throw new ConformanceStop(`${targetName(t)} still has a task (status ${v.status}) after ${ms} ms`);
    }
    try {
      await sleep(w.pollMs, undefined, w.signal ? { signal: w.signal } : {});
    } catch {
      p.checkInterrupted();
    }
  }
}

/** Whether the target holds what a bind sent. */
export const shows = (v: TargetView, sent: BindSet) =>
  typeof sent === "string" ? v.bound.length === 0 : setKey(v.bound) === setKey(sent);

/** For the evidence: a wait that never saw the task running was judged by the set read back. */
export const unseen = (s: Settled) =>
  !s.confirmed
    ? ` (neither a task nor the set sent showed within ${s.ms} ms: taken as the target then read)`
    : s.sawBusy
      ? ""
      : " (status 3 was never seen: judged by the set read back)";

/** Binds and waits for the task; a refused bind stops the run (these binds are the checks' groundwork). */
export async function bindAndSettle(p: Probe, t: Target, set: BindSet, w: Waiting): Promise<Settled> {
  const o = await bind(p, t, set, w);
  if (!o.ok) throw new ConformanceStop(`binding ${targetName(t)} failed: ${o.code} ${o.message}`);
  return waitIdle(p, t, w, set);
}

/** The set as comparable "ip:port" strings, sorted. */
export const setKey = (s: readonly Entry[]) =>
  s
    .map((e) => `${e.ip}:${e.port}`)
    .sort()
    .join(",");
