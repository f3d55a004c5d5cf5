// What BindListenerRealServers and BindRuleRealServers share: the checks of each RealServerBindSet entry, the
// full-set replacement as a task on the owner's OriginSet, and tasks started from outside.
import type { Account, OriginSet } from "../account/account.ts";
import type { BoundOrigin } from "../account/model.ts";
import { GaapError } from "../params.ts";

/** What a set's owner decides about its entries. */
export interface BindTarget {
  scheduler: string;
  /** Primary/backup mode: entries then carry a role (master by default). */
  failover: boolean;
  /** Why RealServerFailoverRole is refused here; undefined where roles are taken. */
  roleRefusal?: string;
}

/** The requested set as entries of an OriginSet, or the first problem as GAAP reports it. */
export function checkBindSet(
  a: Account,
  req: ReadonlyArray<Record<string, unknown>>,
  target: BindTarget,
): BoundOrigin[] {
  const set: BoundOrigin[] = [];
  const seenIpPort = new Set<string>();
  const seenIp = new Set<string>();
  for (const [idx, e] of req.entries()) {
    const id = e.RealServerId as string;
    const ip = e.RealServerIP as string;
    const port = e.RealServerPort as number;
    const rs = a.realServers.get(id);
    if (!rs || rs.ip !== ip) {
      throw new GaapError(
        "InvalidParameterValue.RealServerNotBelong",
        `RealServer ${id} (${ip}) does not belong to this account.`,
      );
    }
    if (port < 1 || port > 65535) {
      throw new GaapError(
        "InvalidParameterValue",
        `RealServerBindSet.${idx}.RealServerPort must be in 1-65535.`,
      );
    }
    if (seenIpPort.has(`${ip}:${port}`)) {
      throw new GaapError(
        "InvalidParameterValue",
        `RealServer ${ip}:${port} appears twice in RealServerBindSet.`,
      );
    }
    if (seenIp.has(ip) && !a.behavior.allowSameIpDifferentPorts) {
      throw new GaapError("InvalidParameterValue", `RealServer ${ip} appears twice in RealServerBindSet.`);
    }
    seenIpPort.add(`${ip}:${port}`);
    seenIp.add(ip);
    const weight = checkWeight(
      target.scheduler,
      idx,
      e.RealServerWeight as number | undefined,
      a.behavior.weightZero === "accept" ? 0 : 1,
    );
    const role = checkRole(target, e.RealServerFailoverRole as string | undefined);
    set.push({
      realServerId: id,
      port,
      weight: weight ?? 1,
      ...(target.failover ? { role: (role ?? "master") as "master" | "slave" } : {}),
    });
  }
  return set;
}

/** Starts the bind's task: the owner reports status 3 for bindTaskMs, and then holds `set`. */
export function startBind(a: Account, owner: OriginSet, set: BoundOrigin[]): void {
  const until = a.now() + a.behavior.bindTaskMs;
  owner.pending = { set, until };
  owner.busyUntil = Math.max(owner.busyUntil, until);
  a.settle(owner);
}

/** Makes a set's owner busy as if someone else had started a task on it. */
export function startTask(a: Account, owner: OriginSet, durationMs: number): void {
  owner.busyUntil = Math.max(owner.busyUntil, a.now() + durationMs);
}

/** Weights mean something only under wrr; every other scheduler takes 1 or none. */
function checkWeight(
  scheduler: string,
  idx: number,
  weight: number | undefined,
  least: number,
): number | undefined {
  if (scheduler === "wrr") {
    if (weight !== undefined && (weight < least || weight > 100)) {
      throw new GaapError(
        "InvalidParameterValue",
        `RealServerBindSet.${idx}.RealServerWeight must be in ${least}-100.`,
      );
    }
  } else if (weight !== undefined && weight !== 1) {
    throw new GaapError(
      "InvalidParameterValue",
      `RealServerBindSet.${idx}.RealServerWeight must be 1 under scheduler ${scheduler}.`,
    );
  }
  return weight;
}

function checkRole(target: BindTarget, role: string | undefined): string | undefined {
  if (role === undefined) return role;
  if (target.roleRefusal) throw new GaapError("InvalidParameterValue", target.roleRefusal);
  if (role !== "master" && role !== "slave") {
    throw new GaapError(
      "InvalidParameterValue",
      `RealServerFailoverRole must be master or slave, not ${role}.`,
    );
  }
  return role;
}
