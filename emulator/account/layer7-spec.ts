// What a valid layer-7 domain and forwarding rule are, for both the state file and the actions that create them:
// the limits, the defaults, the field checks, and the state file's domains[] and rules[] normalized.
import type { Domain, Listener, Rule, RuleCheck } from "./model.ts";

export const MAX_DOMAINS_PER_LISTENER = 100;
export const MAX_RULES_PER_DOMAIN = 20;
export const RULE_SCHEDULERS: readonly string[] = ["rr", "wrr", "lc"];
const STATUS_CODES = [100, 200, 300, 400, 500];

export const DEFAULT_CHECK: Readonly<RuleCheck> = Object.freeze({
  delayLoop: 5,
  connectTimeout: 2,
  path: "/",
  method: "HEAD",
  statusCode: STATUS_CODES,
  domain: "",
});

/** Why a rule path is not acceptable (1-80 characters, starting with "/"), or undefined. */
export function pathProblem(path: string): string | undefined {
  if (path.length < 1 || path.length > 80 || !path.startsWith("/"))
    return `Path ${JSON.stringify(path)} must be 1-80 characters starting with "/"`;
  return undefined;
}

/** Why a domain name is not acceptable, or undefined. */
export function domainProblem(domain: string): string | undefined {
  if (!/^[a-z0-9*]([a-z0-9.*-]{0,251}[a-z0-9])?$/i.test(domain))
    return `Domain ${JSON.stringify(domain)} is not a domain name`;
  return undefined;
}

/** Why health check parameters are not acceptable (Terraform's ranges), or undefined. */
export function checkProblem(c: RuleCheck): string | undefined {
  if (!Number.isInteger(c.delayLoop) || c.delayLoop < 5 || c.delayLoop > 300)
    return "CheckParams.DelayLoop must be in 5-300";
  if (!Number.isInteger(c.connectTimeout) || c.connectTimeout < 2 || c.connectTimeout > 60)
    return "CheckParams.ConnectTimeout must be in 2-60";
  if (typeof c.path !== "string" || pathProblem(c.path))
    return "CheckParams.Path must be 1-80 characters starting with /";
  if (c.method !== "GET" && c.method !== "HEAD") return "CheckParams.Method must be GET or HEAD";
  if (
    !Array.isArray(c.statusCode) ||
    c.statusCode.length === 0 ||
    c.statusCode.some((code) => !STATUS_CODES.includes(code))
  )
    return `CheckParams.StatusCode must be a non-empty subset of ${STATUS_CODES.join(", ")}`;
  return undefined;
}

/** The state file's domains: on HTTP/HTTPS listeners, unique per listener, at most 100 per listener. */
export function normalizeDomains(
  input: Array<Partial<Domain>>,
  listeners: ReadonlyMap<string, Listener>,
  problems: string[],
): Domain[] {
  const seen = new Set<string>();
  const perListener = new Map<string, number>();
  return input.map((d, i) => {
    const l = listeners.get(d.listenerId as string);
    if (!l) problems.push(`domains[${i}] names unknown listener ${d.listenerId}`);
    else if (l.protocol !== "HTTP" && l.protocol !== "HTTPS")
      problems.push(`domains[${i}] is on ${l.protocol} listener ${l.listenerId}; domains are for HTTP/HTTPS`);
    if (typeof d.domain !== "string" || domainProblem(d.domain))
      problems.push(`domains[${i}] needs a domain`);
    if (d.status !== undefined && ![0, 1, 2].includes(d.status))
      problems.push(`domains[${i}].status must be 0 (running), 1 (changing) or 2 (deleting)`);
    const key = `${d.listenerId} ${d.domain}`;
    if (seen.has(key)) problems.push(`domains[${i}]: ${d.domain} is on ${d.listenerId} twice`);
    seen.add(key);
    const n = (perListener.get(d.listenerId as string) ?? 0) + 1;
    perListener.set(d.listenerId as string, n);
    if (n === MAX_DOMAINS_PER_LISTENER + 1)
      problems.push(`${d.listenerId} has more than ${MAX_DOMAINS_PER_LISTENER} domains`);
    return { status: 0, ...d } as Domain;
  });
}

/** The state file's rules: on an existing domain of their listener, (domain, path) unique, 20 per domain. */
export function normalizeRules(
  input: Array<Partial<Omit<Rule, "checkParams">> & { checkParams?: Partial<RuleCheck> }>,
  domains: readonly Domain[],
  problems: string[],
): Rule[] {
  const domainKeys = new Set(domains.map((d) => `${d.listenerId} ${d.domain}`));
  const ids = new Set<string>();
  const paths = new Set<string>();
  const perDomain = new Map<string, number>();
  return input.map((r, i) => {
    if (!r.ruleId || !/^rule-[a-z0-9]+$/.test(r.ruleId))
      problems.push(`rules[${i}] needs a ruleId (rule-...)`);
    else if (ids.has(r.ruleId)) problems.push(`rules[${i}]: ${r.ruleId} appears twice`);
    ids.add(r.ruleId as string);
    const domainKey = `${r.listenerId} ${r.domain}`;
    if (!domainKeys.has(domainKey))
      problems.push(`rules[${i}] names domain ${r.domain}, which listener ${r.listenerId} does not have`);
    if (typeof r.path !== "string" || pathProblem(r.path))
      problems.push(`rules[${i}].path must be 1-80 characters starting with /`);
    else if (paths.has(`${domainKey} ${r.path}`))
      problems.push(`rules[${i}]: ${r.domain}${r.path} is on ${r.listenerId} twice`);
    paths.add(`${domainKey} ${r.path}`);
    const n = (perDomain.get(domainKey) ?? 0) + 1;
    perDomain.set(domainKey, n);
    if (n === MAX_RULES_PER_DOMAIN + 1)
      problems.push(`${r.domain} on ${r.listenerId} has more than ${MAX_RULES_PER_DOMAIN} rules`);
    if (r.scheduler !== undefined && !RULE_SCHEDULERS.includes(r.scheduler))
      problems.push(`rules[${i}].scheduler must be rr, wrr or lc`);
    if (r.healthCheck !== undefined && r.healthCheck !== 0 && r.healthCheck !== 1)
      problems.push(`rules[${i}].healthCheck must be 0 or 1`);
    if (r.realServerType !== undefined && r.realServerType !== "IP" && r.realServerType !== "DOMAIN")
      problems.push(`rules[${i}].realServerType must be IP or DOMAIN`);
    if (r.forwardProtocol !== undefined && r.forwardProtocol !== "HTTP" && r.forwardProtocol !== "HTTPS")
      problems.push(`rules[${i}].forwardProtocol must be HTTP or HTTPS`);
    const checkParams = { ...DEFAULT_CHECK, ...r.checkParams };
    const bad = checkProblem(checkParams);
    if (bad) problems.push(`rules[${i}].checkParams: ${bad}`);
    return {
      scheduler: "rr",
      healthCheck: 1,
      realServerType: "IP",
      forwardHost: "default",
      serverNameIndicationSwitch: "OFF",
      serverNameIndication: "",
      forcedRedirect: "OFF",
      ...r,
      checkParams,
    } as Rule;
  });
}
