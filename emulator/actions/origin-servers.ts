// Origin server (real server) actions: registration per project, lookup, removal, bind status and renaming,
// plus the admin side of origin health. An origin bound on a forwarding rule counts as bound like one on a
// listener (Account.bindingsOf).
import { isIP } from "node:net";
import { type Account, type Actions, newId, type Params, type Result } from "../account/account.ts";
import type { RealServer } from "../account/model.ts";
import { GaapError, page } from "../params.ts";
import { realServerInfo } from "./render.ts";

const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function originServerActions(a: Account): Actions {
  return {
    AddRealServers: (p) => addRealServers(a, p),
    DescribeRealServers: (p) => describeRealServers(a, p),
    RemoveRealServers: (p) => removeRealServers(a, p),
    DescribeRealServersStatus: (p) => describeRealServersStatus(a, p),
    ModifyRealServerName: (p) => modifyRealServerName(a, p),
  };
}

/**
 * Sets an origin's health on one listener or one rule (`on`), or everywhere it has no value of its own there.
 */
export function setHealth(
  a: Account,
  status: number,
  realServerId: string,
  on: { listenerId?: string; ruleId?: string } = {},
): void {
  if (!a.realServers.has(realServerId))
    throw new GaapError("ResourceNotFound", `RealServer ${realServerId} not found`);
  if (on.listenerId && on.ruleId) throw new Error("name a listenerId or a ruleId, not both");
  if (on.ruleId) a.rule(on.ruleId);
  const owner = on.listenerId ?? on.ruleId;
  a.health.set(owner ? `${owner}/${realServerId}` : realServerId, status);
}

export function findRealServerByIp(a: Account, ip: string): RealServer | undefined {
  return [...a.realServers.values()].find((r) => r.ip === ip);
}

function addRealServers(a: Account, p: Params): Result {
  const project = p.ProjectId as number;
  if (!a.projects.has(project)) {
    throw new GaapError(
      "InvalidParameterValue.ProjectIdNotBelong",
      `Project ${project} does not belong to this account.`,
    );
  }
  const ips = p.RealServerIP as string[];
  if (ips.length === 0) throw new GaapError("InvalidParameterValue", "RealServerIP must not be empty.");
  if (ips.length > a.behavior.maxAddRealServersBatch) {
    throw new GaapError(
      "InvalidParameterValue",
      `At most ${a.behavior.maxAddRealServersBatch} RealServerIP entries per call.`,
    );
  }
  const tags = ((p.TagSet ?? []) as Array<{ TagKey: string; TagValue: string }>).map((t) => ({
    key: t.TagKey,
    value: t.TagValue,
  }));
  if (tags.length > 5) throw new GaapError("InvalidParameterValue.InvalidTags", "At most 5 tags.");
  const seen = new Set<string>();
  for (const ip of ips) {
    if (!isIP(ip) && !HOSTNAME_RE.test(ip)) {
      throw new GaapError(
        "InvalidParameterValue",
        `RealServerIP ${JSON.stringify(ip)} is not an IP or a domain.`,
      );
    }
    const clash = [...a.realServers.values()].some(
      (r) => r.ip === ip && (a.behavior.duplicateScope === "account" || r.projectId === project),
    );
    if (clash || seen.has(ip))
      throw new GaapError("InvalidParameterValue.DuplicateRS", `RealServer ${ip} already exists.`);
    seen.add(ip);
  }
  const created = ips.map((ip) => {
    const rs: RealServer = {
      realServerId: newId("rs"),
      ip,
      projectId: project,
      name: p.RealServerName as string,
      tags: tags.map((t) => ({ ...t })),
    };
    a.realServers.set(rs.realServerId, rs);
    return { RealServerId: rs.realServerId, RealServerIP: ip };
  });
  return { RealServerSet: created };
}

function describeRealServers(a: Account, p: Params): Result {
  const { offset, limit } = page(p, 20, 50);
  const project = p.ProjectId as number;
  const tags = (p.TagSet ?? []) as Array<{ TagKey: string; TagValue: string }>;
  if (tags.length > 5) throw new GaapError("InvalidParameterValue", "At most 5 tags.");
  const filters = (p.Filters ?? []) as Array<{ Name: string; Values: string[] }>;
  for (const f of filters) {
    if (f.Name !== "RealServerName" && f.Name !== "RealServerIP") {
      throw new GaapError(
        "InvalidParameterValue",
        `Unknown filter ${f.Name}; use RealServerName or RealServerIP.`,
      );
    }
  }
  const search = p.SearchValue as string | undefined;
  const matches = [...a.realServers.values()].filter(
    (r) =>
      (project === -1 || r.projectId === project) &&
      // Fuzzy, as the real API: "1.2.3.4" also matches "1.2.3.40".
      (search === undefined || r.ip.includes(search)) &&
      (tags.length === 0 ||
        tags.some((t) => r.tags.some((rt) => rt.key === t.TagKey && rt.value === t.TagValue))) &&
      filters.every((f) => f.Values.includes(f.Name === "RealServerIP" ? r.ip : r.name)),
  );
  return {
    TotalCount: matches.length,
    RealServerSet: matches.slice(offset, offset + limit).map(realServerInfo),
  };
}

function removeRealServers(a: Account, p: Params): Result {
  const ids = p.RealServerIds as string[];
  if (ids.length === 0) throw new GaapError("InvalidParameterValue", "RealServerIds must not be empty.");
  for (const id of ids) {
    if (!a.realServers.has(id)) throw new GaapError("ResourceNotFound", `RealServer ${id} not found.`);
  }
  // All or nothing: one bound origin refuses the whole call.
  for (const id of ids) {
    if (a.bindingsOf(id).length > 0) {
      throw new GaapError(
        "FailedOperation.RealServerAlreadyBound",
        `RealServer ${id} is bound and cannot be deleted.`,
      );
    }
  }
  for (const id of ids) {
    a.realServers.delete(id);
    for (const key of [...a.health.keys()]) if (key === id || key.endsWith(`/${id}`)) a.health.delete(key);
  }
  return {};
}

function describeRealServersStatus(a: Account, p: Params): Result {
  const ids = p.RealServerIds as string[];
  const set = ids.map((id) => {
    if (!a.realServers.has(id)) {
      throw new GaapError(
        "InvalidParameterValue.RealServerNotBelong",
        `RealServer ${id} does not belong to this account.`,
      );
    }
    const first = a.bindingsOf(id)[0];
    return {
      RealServerId: id,
      BindStatus: first ? 1 : 0,
      ProxyId: first ? first.proxyId : "",
      GroupId: "",
    };
  });
  return { TotalCount: set.length, RealServerStatusSet: set };
}

function modifyRealServerName(a: Account, p: Params): Result {
  const rs = a.realServers.get(p.RealServerId as string);
  if (!rs) throw new GaapError("InvalidParameterValue", `RealServer ${p.RealServerId} not found.`);
  rs.name = p.RealServerName as string;
  return {};
}
