// Undoing a write run: every dedicated target (empty when the run began, so whatever it holds now is the run's)
// is unbound, then every origin the run registered is removed. It runs in a finally block and after a signal,
// through a probe the interruption does not stop, and names whatever it could not undo.
import type { Probe } from "./probe.ts";
import { bind, type Target, targetName, view, type Waiting, waitIdle } from "./targets.ts";

export class Cleanup {
  private readonly targets: Target[] = [];
  /** RealServerId → IP of the origins this run registered and has not removed. */
  private readonly origins = new Map<string, string>();

  target(t: Target): void {
    this.targets.push(t);
  }

  made(id: string, ip: string): void {
    this.origins.set(id, ip);
  }

  /** A check removed one of the run's origins itself. */
  removed(id: string): void {
    this.origins.delete(id);
  }

  get madeIds(): string[] {
    return [...this.origins.keys()];
  }

  async run(p: Probe, w: Omit<Waiting, "signal">): Promise<{ complete: boolean; left: string[] }> {
    const left: string[] = [];
    for (const t of this.targets) {
      try {
        if (!(await emptied(p, t, w))) left.push(`${targetName(t)} still holds origins`);
      } catch (err) {
        left.push(`${targetName(t)}: ${(err as Error).message}`);
      }
    }
    for (const [id, ip] of this.origins) {
      const o = await p.write("RemoveRealServers", { RealServerIds: [id] }).catch((err: Error) => ({
        ok: false as const,
        code: "Error",
        message: err.message,
      }));
      if (o.ok || o.code === "ResourceNotFound") this.origins.delete(id);
      else left.push(`origin ${id} (${ip}): ${o.code} ${o.message}`);
    }
    return { complete: left.length === 0, left };
  }
}

/**
 * Waits for a task in flight, then unbinds: first with an empty list, then, if that was refused or left origins,
 * without a set (documented for rules, and the other candidate for listeners). True once the target is empty.
 */
async function emptied(p: Probe, t: Target, w: Omit<Waiting, "signal">): Promise<boolean> {
  let v = await view(p, t);
  if (v.status !== 0) v = (await waitIdle(p, t, w)).view;
  for (const how of ["empty", "omit"] as const) {
    if (v.bound.length === 0) return true;
    const o = await bind(p, t, how);
    if (o.ok) v = (await waitIdle(p, t, w)).view;
  }
  return v.bound.length === 0;
}
