// Forwarding-rule actions of HTTP/HTTPS listeners: create, delete and describe rules, and full-set binds of a
// rule's origins (BindRuleRealServers), which keep the rule busy (RuleStatus 3) for the bind task time, with the
// same entry checks and task mechanics as listener binds (origin-binds.ts). Plus the admin side: deleting a
// rule behind everyone's back.
import {
  type Account,
  type Actions,
  newId,
  type Params,
  type Result,
  type RuleState,
} from "../account/account.ts";
import {
  checkProblem,
  DEFAULT_CHECK,
  MAX_RULES_PER_DOMAIN,
  pathProblem,
  RULE_SCHEDULERS,
} from "../account/layer7-spec.ts";
import type { RuleCheck } from "../account/model.ts";
import { GaapError, page } from "../params.ts";
import { addDomain, layer7Listener, listenerIdle, noRuleTask } from "./layer7-listeners.ts";
import { checkBindSet, startBind } from "./origin-binds.ts";
import { bindableRealServerInfo, domainRuleSet, ruleBoundInfo, ruleInfo } from "./render.ts";

const MAX_RULE_IDS = 10;

export function ruleActions(a: Account): Actions {
  return {
    CreateRule: (p) => createRule(a, p),
    DeleteRule: (p) => deleteRule(a, p),
    BindRuleRealServers: (p) => bind(a, p),
    DescribeRules: (p) => describeRules(a, p),
    DescribeRulesByRuleIds: (p) => describeRulesByRuleIds(a, p),
    DescribeRuleRealServers: (p) => describeRuleRealServers(a, p),
  };
}

/** Deletes a rule and its bindings as someone in the console would: no task, no Force check. */
export function removeRule(a: Account, ruleId: string): void {
  a.rule(ruleId);
  a.removeRule(ruleId);
}

function bind(a: Account, p: Params): Result {
  const r = a.rule(p.RuleId as string);
  const l = a.listener(r.listenerId);
  a.runningProxy(l.proxyId);
  listenerIdle(a, l);
  const d = a.domain(l.listenerId, r.domain);
  if (d && d.status !== 0) {
    throw new GaapError(
      "FailedOperation.DomainStatusNotInRunning",
      `Domain ${r.domain} is not running (status ${d.status}).`,
    );
  }
  noRuleTask(a, l, r);
  // Omitting the set unbinds every origin (documented); an empty list follows emptyBindSet.
  const given = p.RealServerBindSet as Array<Record<string, unknown>> | undefined | null;
  const req = given ?? [];
  if (given && req.length === 0 && a.behavior.emptyBindSet === "reject") {
    throw new GaapError("InvalidParameter", "RealServerBindSet must not be empty.");
  }
  const max = a.behavior.maxRealServersPerRule;
  if (req.length > max && a.behavior.ruleOverLimit === "reject") {
    throw new GaapError(
      "InvalidParameterValue",
      `RealServerBindSet has ${req.length} entries; at most ${max} origins per rule.`,
    );
  }
  const set = checkBindSet(a, req, {
    scheduler: r.scheduler,
    failover: false,
    roleRefusal: "RealServerFailoverRole is not supported on forwarding rules.",
  });
  startBind(a, r, set);
  return {};
}

function createRule(a: Account, p: Params): Result {
  const l = layer7Listener(a, p.ListenerId as string);
  const domain = p.Domain as string;
  const path = p.Path as string;
  const bad = pathProblem(path);
  if (bad) throw new GaapError("InvalidParameterValue", `${bad}.`);
  const scheduler = p.Scheduler as RuleState["scheduler"];
  if (!RULE_SCHEDULERS.includes(scheduler))
    throw new GaapError("InvalidParameterValue", `Scheduler is rr, wrr or lc, not ${scheduler}.`);
  const type = p.RealServerType as RuleState["realServerType"];
  if (type !== "IP" && type !== "DOMAIN")
    throw new GaapError("InvalidParameterValue", "RealServerType is IP or DOMAIN.");
  const healthCheck = p.HealthCheck as number;
  if (healthCheck !== 0 && healthCheck !== 1)
    throw new GaapError("InvalidParameterValue", "HealthCheck is 1 (on) or 0 (off).");
  const forward = p.ForwardProtocol as RuleState["forwardProtocol"];
  if (forward !== undefined && forward !== "HTTP" && forward !== "HTTPS")
    throw new GaapError("InvalidParameterValue", "ForwardProtocol is HTTP or HTTPS.");
  const sni = (p.ServerNameIndicationSwitch as RuleState["serverNameIndicationSwitch"] | undefined) ?? "OFF";
  if (sni !== "ON" && sni !== "OFF")
    throw new GaapError("InvalidParameterValue", "ServerNameIndicationSwitch is ON or OFF.");
  if (sni === "ON" && !p.ServerNameIndication)
    throw new GaapError("InvalidParameterValue", "ServerNameIndication is required when the switch is ON.");
  const checkParams = ruleCheck(p.CheckParams as Record<string, unknown> | undefined);
  a.runningProxy(l.proxyId);
  listenerIdle(a, l);
  noRuleTask(a, l);
  if (!a.domain(l.listenerId, domain)) {
    if (a.behavior.createRuleMissingDomain === "reject") {
      throw new GaapError(
        "ResourceNotFound",
        `The domain ${domain} does not exist on listener ${l.listenerId}; create it with CreateDomain first.`,
      );
    }
    addDomain(a, l, domain);
  }
  const siblings = a.rulesOf(l.listenerId, domain);
  if (siblings.some((r) => r.path === path)) {
    throw new GaapError(
      "FailedOperation.RuleAlreadyExisted",
      `A rule for ${domain}${path} already exists on listener ${l.listenerId}.`,
    );
  }
  if (siblings.length >= MAX_RULES_PER_DOMAIN) {
    throw new GaapError(
      "FailedOperation.LimitNumofRules",
      `A domain takes at most ${MAX_RULES_PER_DOMAIN} rules; ${domain} has ${siblings.length}.`,
    );
  }
  const rule: RuleState = {
    ruleId: newId("rule"),
    listenerId: l.listenerId,
    domain,
    path,
    scheduler,
    healthCheck,
    realServerType: type,
    forwardHost: (p.ForwardHost as string | undefined) || "default",
    checkParams,
    ...(forward ? { forwardProtocol: forward } : {}),
    serverNameIndicationSwitch: sni,
    serverNameIndication: (p.ServerNameIndication as string | undefined) ?? "",
    forcedRedirect: (p.ForcedRedirect as string | undefined) || "OFF",
    bound: [],
    busyUntil: 0,
  };
  a.rules.set(rule.ruleId, rule);
  return { RuleId: rule.ruleId };
}

/** CheckParams as the request gives them (all of them, as the SDK's typings require), or the defaults. */
function ruleCheck(c: Record<string, unknown> | undefined): RuleCheck {
  if (!c) return structuredClone({ ...DEFAULT_CHECK });
  const check: RuleCheck = {
    delayLoop: c.DelayLoop as number,
    connectTimeout: c.ConnectTimeout as number,
    path: c.Path as string,
    method: c.Method as RuleCheck["method"],
    statusCode: [...(c.StatusCode as number[])],
    domain: (c.Domain as string | undefined) ?? "",
    ...(c.FailedCountInter !== undefined ? { failedCountInter: c.FailedCountInter as number } : {}),
    ...(c.FailedThreshold !== undefined ? { failedThreshold: c.FailedThreshold as number } : {}),
    ...(c.BlockInter !== undefined ? { blockInter: c.BlockInter as number } : {}),
  };
  const bad = checkProblem(check);
  if (bad) throw new GaapError("InvalidParameterValue", `${bad}.`);
  return check;
}

function deleteRule(a: Account, p: Params): Result {
  const l = layer7Listener(a, p.ListenerId as string);
  const r = a.rule(p.RuleId as string);
  if (r.listenerId !== l.listenerId) {
    throw new GaapError(
      "InvalidParameterValue",
      `Rule ${r.ruleId} belongs to listener ${r.listenerId}, not ${l.listenerId}.`,
    );
  }
  if (p.Force !== 0 && p.Force !== 1) throw new GaapError("InvalidParameterValue", "Force is 0 or 1.");
  a.runningProxy(l.proxyId);
  listenerIdle(a, l);
  noRuleTask(a, l, r);
  if (p.Force === 0 && r.bound.length > 0) {
    throw new GaapError(
      "FailedOperation.RealServerAlreadyBound",
      `Rule ${r.ruleId} has ${r.bound.length} origins bound; unbind them or delete with Force=1.`,
    );
  }
  a.removeRule(r.ruleId);
  return {};
}

function describeRules(a: Account, p: Params): Result {
  const l = layer7Listener(a, p.ListenerId as string);
  const domains = a.domainsOf(l.listenerId);
  return { TotalCount: domains.length, DomainRuleSet: domains.map((d) => domainRuleSet(a, d)) };
}

function describeRulesByRuleIds(a: Account, p: Params): Result {
  const requested = p.RuleIds as string[];
  if (requested.length === 0 || requested.length > MAX_RULE_IDS)
    throw new GaapError("InvalidParameterValue", `RuleIds takes 1 to ${MAX_RULE_IDS} rule IDs.`);
  const ids = [...new Set(requested)];
  const found: RuleState[] = [];
  for (const id of ids) {
    const r = a.rules.get(id);
    if (r) found.push(a.rule(id));
    else if (a.behavior.unknownRuleInBatch === "error") a.unknownRule(id);
  }
  return { TotalCount: found.length, RuleSet: found.map((r) => ruleInfo(a, r)) };
}

function describeRuleRealServers(a: Account, p: Params): Result {
  const r = a.rule(p.RuleId as string);
  const { offset, limit } = page(p, 20, 1000);
  const l = a.listener(r.listenerId);
  const project = a.proxy(l.proxyId).projectId;
  const bindable = [...a.realServers.values()].filter((rs) => rs.projectId === project);
  const bound = ruleBoundInfo(a, r);
  return {
    TotalCount: bindable.length,
    RealServerSet: bindable.slice(offset, offset + limit).map(bindableRealServerInfo),
    BindRealServerTotalCount: bound.length,
    BindRealServerSet: bound,
  };
}
