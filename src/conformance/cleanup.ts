// The run's own origins and their undoing. Every origin the run registers goes through addOrigins, which hands
// each ID to cleanup at once, and, when AddRealServers fails (a lost answer may still have registered them), looks
// the IPs up and adopts the run's, so nothing is left behind silently. Cleanup unbinds every dedicated target, but
// only while it holds nothing but the run's origins (someone may have started using it), then removes every origin
// the run registered. It runs in a finally block and after a signal, through a probe the interruption does not
// stop; it retries what a retry may fix, within the task timeout, and names whatever it could not undo.
import { setTimeout as sleep } from "node:timers/promises";
import type { Failure, Outcome, Probe } from "./probe.ts";
import {
  type BindSet,
  bind,
  foreign,
  QUIET_READS,
  type Target,
  targetName,
  type Waiting,
  waitIdle,
} from "./targets.ts";

/** Tag on every origin a run registers, so they are recognisable in the console and never taken for others. */
export const CONFORMANCE_TAG = "gaap.operator.dev/conformance";
export const CONFORMANCE_ORIGIN_NAME = "gaap-operator-conformance";

type Registered = { RealServerSet?: Array<{ RealServerId?: string; RealServerIP?: string }> };

export class Cleanup {
  private readonly targets: Target[] = [];
  /** RealServerId → IP of the origins this run registered and has not removed. */
  private readonly origins = new Map<string, string>();
  /** Every RealServerId this run registered, removed or not: a bound one of these is never someone else's. */
  readonly own = new Set<string>();
  /** The last bind each target was sent that GAAP accepted or may have applied (targets.ts send records it). */
  readonly sent = new Map<string, BindSet>();
  /** IPs an AddRealServers may have registered that no lookup could confirm or deny. */
  private readonly unknown = new Set<string>();
  private readonly onMade: ((id: string, ip: string) => void) | undefined;

  constructor(onMade?: (id: string, ip: string) => void) {
    this.onMade = onMade;
  }

  target(t: Target): void {
    this.targets.push(t);
  }

  made(id: string, ip: string): void {
    if (this.own.has(id)) return;
    this.own.add(id);
    this.origins.set(id, ip);
    this.onMade?.(id, ip);
  }

  /** A check removed one of the run's origins itself. */
  removed(id: string): void {
    this.origins.delete(id);
  }

  async run(
    p: Probe,
    w: Omit<Waiting, "signal" | "own" | "sent" | "deadline">,
  ): Promise<{ complete: boolean; left: string[] }> {
    // Waits and retries end within one --task-timeout; past it, each target and origin left gets one last try. With
    // no task measured, a quiet target is waited for QUIET_READS polls and at least 10 s: a set that never shows is
    // unbound anyway (emptied).
    const own = {
      ...w,
      own: this.own,
      sent: this.sent,
      deadline: performance.now() + w.taskTimeoutMs,
      quietMs: w.quietMs ?? Math.max(QUIET_READS * w.pollMs, 10_000),
    };
    let targets = await this.unbindAll(p, own);
    let origins = await this.removeAll(p, own);
    // A removal refused because something still binds the origin: a bind landed after the read that found its
    // target empty. Unbind again, once, and retry.
    if (origins.some((o) => o.code === "FailedOperation.RealServerAlreadyBound")) {
      targets = await this.unbindAll(p, own);
      origins = await this.removeAll(p, own);
    }
    const left = [
      ...targets,
      ...origins.map((o) => `origin ${o.id} (${o.ip}): ${o.code} ${o.message}`),
      ...[...this.unknown].map(
        (ip) => `may have registered ${ip} (named ${CONFORMANCE_ORIGIN_NAME}): look it up and remove it`,
      ),
    ];
    return { complete: left.length === 0, left };
  }

  /** Empties every dedicated target; what it could not, and why. */
  private async unbindAll(p: Probe, w: Omit<Waiting, "signal">): Promise<string[]> {
    const left: string[] = [];
    for (const t of this.targets) {
      try {
        const why = await emptied(p, t, w);
        if (why) left.push(why);
      } catch (err) {
        left.push(`${targetName(t)}: ${(err as Error).message}`);
      }
    }
    return left;
  }

  /** Removes every origin the run registered and has not removed; the ones GAAP refused, with its answer. */
  private async removeAll(p: Probe, w: Omit<Waiting, "signal">) {
    const refused: Array<{ id: string; ip: string; code: string; message: string }> = [];
    for (const [id, ip] of this.origins) {
      const o = await retried(w.pollMs, w.deadline ?? 0, () =>
        p.write("RemoveRealServers", { RealServerIds: [id] }),
      );
      if (o.ok || o.kind === "notFound") this.origins.delete(id);
      else refused.push({ id, ip, code: o.code, message: o.message });
    }
    return refused;
  }

  /**
   * AddRealServers, once (writes are never retried). On a failure, each IP is looked up: one named as the run names
   * its origins was registered by this call (preflight proved the IPs absent), so cleanup adopts it.
   */
  async addOrigins(
    p: Probe,
    projectId: number,
    ips: string[],
    runId: string,
  ): Promise<Outcome<Array<{ id: string; ip: string }>>> {
    const o = await p.write<Registered>("AddRealServers", {
      ProjectId: projectId,
      RealServerIP: ips,
      RealServerName: CONFORMANCE_ORIGIN_NAME,
      TagSet: [{ TagKey: CONFORMANCE_TAG, TagValue: runId }],
    });
    if (!o.ok) {
      for (const ip of ips) await this.adopt(p.uninterruptible(), ip, runId);
      return o;
    }
    const list: Array<{ id: string; ip: string }> = [];
    for (const r of o.res.RealServerSet ?? []) {
      if (!r.RealServerId || !r.RealServerIP) continue;
      this.made(r.RealServerId, r.RealServerIP);
      list.push({ id: r.RealServerId, ip: r.RealServerIP });
    }
    // An answer that leaves an IP out may still have registered it.
    for (const ip of ips.filter((ip) => !list.some((r) => r.ip === ip)))
      await this.adopt(p.uninterruptible(), ip, runId);
    return { ok: true, res: list };
  }

  /** Takes over an origin this very run registered (its name and this run's tag), never another's of that IP. */
  private async adopt(p: Probe, ip: string, runId: string): Promise<void> {
    const found = await p.read<{ RealServerSet?: Array<Record<string, unknown>> }>("DescribeRealServers", {
      ProjectId: -1,
      Filters: [{ Name: "RealServerIP", Values: [ip] }],
      Limit: 50,
    });
    if (!found.ok) {
      this.unknown.add(ip);
      return;
    }
    for (const r of found.res.RealServerSet ?? [])
      if (
        r.RealServerIP === ip &&
        r.RealServerName === CONFORMANCE_ORIGIN_NAME &&
        typeof r.RealServerId === "string" &&
        ((r.TagSet ?? []) as Array<{ TagKey?: string; TagValue?: string }>).some(
          (t) => t.TagKey === CONFORMANCE_TAG && t.TagValue === runId,
        )
      )
        this.made(r.RealServerId, ip);
  }
}

/** Throttling, a task in the way and server trouble pass; anything else is the answer. */
async function retried<T>(
  pollMs: number,
  deadline: number,
  call: () => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  for (let attempt = 0; ; attempt++) {
    const o = await call();
    if (o.ok || !passes(o) || performance.now() > deadline) return o;
    await sleep(Math.min(5000, pollMs * 2 ** attempt) * (0.5 + Math.random() / 2));
  }
}

const passes = (o: Failure) => o.kind === "busy" || o.kind === "throttled" || o.kind === "transient";

/**
 * Waits for a task in flight and for the run's last bind there to show (a read may come before GAAP shows it), then
 * unbinds: first with an empty list, then, if that was refused or left origins, without a set (documented for
 * rules, and the other candidate for listeners). Undefined once the target is empty; otherwise what is left. A
 * target that holds anyone else's origin is left as it is.
 */
async function emptied(p: Probe, t: Target, w: Omit<Waiting, "signal">): Promise<string | undefined> {
  const last = w.sent?.get(targetName(t));
  const settled = await waitIdle(p, t, w, last);
  let v = settled.view;
  // A set the run sent that never showed may still land: unbind even a target that reads empty.
  let unsure = !settled.confirmed && Array.isArray(last) && last.length > 0;
  for (const how of ["empty", "omit"] as const) {
    if (v.bound.length === 0 && !unsure) return undefined;
    const others = foreign(v, w.own);
    if (others.length > 0) return leftForeign(t, v.bound, w.own);
    // bind() reads the target again right before it writes, and stops on a foreign origin.
    const o = await retried(w.pollMs, w.deadline ?? 0, () => bind(p, t, how, w));
    if (o.ok) {
      v = (await waitIdle(p, t, w, how)).view;
      unsure = false;
    }
  }
  if (v.bound.length === 0) return undefined;
  return foreign(v, w.own).length > 0
    ? leftForeign(t, v.bound, w.own)
    : `${targetName(t)} still holds origins`;
}

function leftForeign(
  t: Target,
  bound: Array<{ id: string; ip: string; port: number }>,
  own: ReadonlySet<string>,
) {
  const mine = bound.filter((e) => own.has(e.id));
  const others = bound.filter((e) => !own.has(e.id));
  return `${targetName(t)} now holds origins this run did not register (${others.map((e) => `${e.ip}:${e.port}`).join(", ")}), so it was not unbound${mine.length > 0 ? `; the run's ${mine.map((e) => `${e.id} (${e.ip}:${e.port})`).join(", ")} stay bound there: unbind them by hand` : ""}`;
}
