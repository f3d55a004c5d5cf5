// What the write checks bind: the dedicated TCP/UDP listener or forwarding rule, read back (status and bound set),
// bound (a full set, an empty list, or no set at all), and waited on until its task is over.
import { setTimeout as sleep } from "node:timers/promises";
import { ConformanceStop, type Outcome, type Probe } from "./probe.ts";

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
}

type Bound = {
  RealServerId?: string;
  RealServerIP?: string;
  RealServerPort?: number;
  RealServerWeight?: number;
};
type ListenerInfo = { ListenerStatus?: number; Scheduler?: string; RealServerSet?: Bound[] };
type RuleInfo = { ListenerId?: string; RuleStatus?: number; Scheduler?: string; RealServerSet?: Bound[] };

export const targetName = (t: Target) =>
  t.kind === "listener" ? `listener ${t.listenerId}` : `rule ${t.ruleId}`;

/** A TCP or UDP listener by ID, with its state; undefined when neither protocol knows it. */
export async function findListener(
  p: Probe,
  id: string,
): Promise<{ target: Target; view: TargetView } | undefined> {
  for (const protocol of ["TCP", "UDP"] as const) {
    const o = await p.read<{ ListenerSet?: ListenerInfo[] }>(`Describe${protocol}Listeners`, {
      ListenerId: id,
    });
    const l = o.ok ? o.res.ListenerSet?.[0] : undefined;
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

export async function view(p: Probe, t: Target): Promise<TargetView> {
  const found = t.kind === "listener" ? await findListener(p, t.listenerId) : await findRule(p, t.ruleId);
  if (!found) throw new ConformanceStop(`${targetName(t)} is gone`);
  return found.view;
}

/** "empty" sends RealServerBindSet: []; "omit" leaves the field out. */
export function bind(
  p: Probe,
  t: Target,
  set: readonly Entry[] | "empty" | "omit",
): Promise<Outcome<unknown>> {
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
  return t.kind === "listener"
    ? p.write("BindListenerRealServers", { ListenerId: t.listenerId, ...entries })
    : p.write("BindRuleRealServers", { RuleId: t.ruleId, ...entries });
}

/** Reads until the target's task is over; how long that took from `since` (performance.now()). */
export async function waitIdle(
  p: Probe,
  t: Target,
  w: Waiting,
  since = performance.now(),
): Promise<{ ms: number; view: TargetView }> {
  for (;;) {
    const v = await view(p, t);
    if (v.status === 0) return { ms: Math.round(performance.now() - since), view: v };
    if (performance.now() - since > w.taskTimeoutMs)
      throw new ConformanceStop(
        `${targetName(t)} still has a task (status ${v.status}) after ${w.taskTimeoutMs} ms`,
      );
    try {
      await sleep(w.pollMs, undefined, w.signal ? { signal: w.signal } : {});
    } catch {
      p.checkInterrupted();
    }
  }
}

/** Binds and waits for the task; a refused bind stops the run (these binds are the checks' groundwork). */
export async function bindAndSettle(
  p: Probe,
  t: Target,
  set: readonly Entry[] | "empty" | "omit",
  w: Waiting,
): Promise<TargetView> {
  const o = await bind(p, t, set);
  if (!o.ok) throw new ConformanceStop(`binding ${targetName(t)} failed: ${o.code} ${o.message}`);
  return (await waitIdle(p, t, w)).view;
}

/** The set as comparable "ip:port" strings, sorted. */
export const setKey = (s: readonly Entry[]) =>
  s
    .map((e) => `${e.ip}:${e.port}`)
    .sort()
    .join(",");
