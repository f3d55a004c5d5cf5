// One conformance run: the read checks; with --write, the refusal of any dedicated target that holds an origin
// (before anything is written), the run's own origins, the listener and rule checks; and always, in a finally
// block, the cleanup. What every check answered becomes the report.
import type { GaapTransport } from "../gaap/transport.ts";
import { Cleanup } from "./cleanup.ts";
import { listenerChecks, type Origins } from "./listener-checks.ts";
import type { ConformanceOptions } from "./options.ts";
import { ConformanceStop, isFailedOperation, isParamError, noAnswer, Probe } from "./probe.ts";
import { readChecks } from "./read-checks.ts";
import { redactText } from "./redact.ts";
import { type ConformanceReport, Findings } from "./report.ts";
import { ruleChecks } from "./rule-checks.ts";
import { findListener, findRule, type Target, type TargetView, type Waiting } from "./targets.ts";

export { CONFORMANCE_ORIGIN_NAME, CONFORMANCE_TAG } from "./cleanup.ts";

export interface RunDeps {
  transport: GaapTransport;
  /** Aborted on SIGINT/SIGTERM: the run stops at its next call and cleans up. */
  signal?: AbortSignal;
  /** "gaap-operator <version>" */
  tool: string;
  /** Tags this run's origins; default: the start time. */
  runId?: string;
  /** Told of each origin the run registers, as soon as it is known (the CLI prints them). */
  onOrigin?: (id: string, ip: string) => void;
}

export async function runConformance(opts: ConformanceOptions, deps: RunDeps): Promise<ConformanceReport> {
  const startedAt = new Date();
  const probe = new Probe(deps.transport, deps.signal);
  const findings = new Findings();
  const cleanup = new Cleanup(deps.onOrigin);
  const waiting: Waiting = {
    taskTimeoutMs: opts.taskTimeoutMs,
    pollMs: opts.pollMs,
    own: cleanup.own,
    sent: cleanup.sent,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const runId = deps.runId ?? startedAt.toISOString();
  let aborted: string | undefined;
  let cleaned = { complete: true, left: [] as string[] };
  try {
    await readChecks(probe, findings, opts);
    if (opts.write) {
      const targets = await preflight(probe, opts);
      for (const t of [targets.listener, targets.rule, targets.sibling]) if (t) cleanup.target(t);
      const origins = await register(probe, opts, runId, cleanup);
      await duplicateChecks(probe, findings, opts, origins, runId, cleanup);
      if (targets.listener)
        await listenerChecks(probe, findings, targets.listener, origins, opts.binds, waiting, cleanup);
      if (targets.rule)
        await ruleChecks(probe, findings, targets.rule, targets.sibling, origins, opts.binds, waiting);
    }
  } catch (err) {
    aborted = probe.scrub(
      err instanceof ConformanceStop
        ? err.message
        : `unexpected error: ${redactText((err as Error).message)}`,
    );
  } finally {
    cleaned = await cleanup.run(probe.uninterruptible(), {
      taskTimeoutMs: opts.taskTimeoutMs,
      pollMs: opts.pollMs,
      ...(waiting.quietMs === undefined ? {} : { quietMs: waiting.quietMs }),
    });
  }
  return {
    kind: "gaap-conformance-report",
    version: 1,
    tool: deps.tool,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    endpoint: new URL(opts.endpoint).host,
    mode: opts.write ? "write" : "read",
    findings: findings.list,
    warnings: findings.list.flatMap((f) => (f.warning ? [f.warning] : [])),
    ...(aborted ? { aborted } : {}),
    cleanup: cleaned,
    calls: probe.calls,
  };
}

interface Targets {
  listener?: Target;
  rule?: Target;
  sibling?: Target;
}

/** Finds every dedicated target and refuses the run, before any write, if one is missing, busy or holds an origin. */
async function preflight(p: Probe, opts: ConformanceOptions): Promise<Targets> {
  const out: Targets = {};
  const check = (name: string, found: { target: Target; view: TargetView } | undefined): Target => {
    if (!found)
      throw new ConformanceStop(
        `refused: ${name} not found (a TCP/UDP listener, or a rule of an HTTP/HTTPS listener)`,
      );
    if (found.view.bound.length > 0)
      throw new ConformanceStop(
        `refused: ${name} holds ${found.view.bound.length} origin(s) (${found.view.bound.map((e) => `${e.ip}:${e.port}`).join(", ")}); dedicate an empty one to this run. Nothing was written.`,
      );
    if (found.view.status !== 0)
      throw new ConformanceStop(
        `refused: ${name} is busy (status ${found.view.status}); nothing was written`,
      );
    return found.target;
  };
  if (opts.listenerId)
    out.listener = check(`listener ${opts.listenerId}`, await findListener(p, opts.listenerId));
  if (opts.ruleId) out.rule = check(`rule ${opts.ruleId}`, await findRule(p, opts.ruleId));
  if (opts.siblingRuleId) {
    out.sibling = check(`rule ${opts.siblingRuleId}`, await findRule(p, opts.siblingRuleId));
    if (out.sibling.listenerId !== out.rule?.listenerId)
      throw new ConformanceStop(
        `refused: --sibling-rule ${opts.siblingRuleId} is not on the listener of --rule ${opts.ruleId}`,
      );
  }
  // An IP registered already is someone's origin: the run registers only IPs it can remove afterwards.
  for (const ip of opts.originIps) {
    const found = await p.mustRead<{
      RealServerSet?: Array<{ RealServerIP?: string; RealServerId?: string }>;
    }>("DescribeRealServers", {
      ProjectId: -1,
      Filters: [{ Name: "RealServerIP", Values: [ip] }],
      Limit: 50,
    });
    const hit = found.RealServerSet?.find((r) => r.RealServerIP === ip);
    if (hit)
      throw new ConformanceStop(
        `refused: ${ip} is registered already (${hit.RealServerId}); pass IPs the account does not hold. Nothing was written.`,
      );
  }
  return out;
}

/** Registers the given IPs as the run's origins, 20 a call, tagged; each ID is handed to cleanup at once. */
async function register(
  p: Probe,
  opts: ConformanceOptions,
  runId: string,
  cleanup: Cleanup,
): Promise<Origins> {
  const list: Origins["list"] = [];
  for (let i = 0; i < opts.originIps.length; i += 20) {
    const o = await cleanup.addOrigins(p, opts.projectId, opts.originIps.slice(i, i + 20), runId);
    if (!o.ok) throw new ConformanceStop(`registering the origins failed: ${o.code} ${o.message}`);
    list.push(...o.res);
  }
  const order = new Map(opts.originIps.map((ip, i) => [ip, i]));
  list.sort((a, b) => (order.get(a.ip) ?? 0) - (order.get(b.ip) ?? 0));
  if (list.length !== opts.originIps.length)
    throw new ConformanceStop(`AddRealServers returned ${list.length} IDs for ${opts.originIps.length} IPs`);
  return { list, port: opts.originPort };
}

/** The first IP again, in the same project and (if given) in another; anything it registers is the run's too. */
async function duplicateChecks(
  p: Probe,
  f: Findings,
  opts: ConformanceOptions,
  origins: Origins,
  runId: string,
  cleanup: Cleanup,
): Promise<void> {
  const ip = origins.list[0]?.ip as string;
  const same = await cleanup.addOrigins(p, opts.projectId, [ip], runId);
  // A refusal answers only as a parameter or operation error (DuplicateRS expected); a limit or a denial does not.
  const why = same.ok ? undefined : noAnswer(same, (o) => isParamError(o.code) || isFailedOperation(o));
  if (why) f.notTested("duplicateRS", why);
  else
    f.answer(
      "duplicateRS",
      same.ok ? "accepted" : same.code,
      same.ok ? `${ip} registered twice in project ${opts.projectId}` : `${same.code}: ${same.message}`,
    );
  if (opts.otherProjectId === undefined) return f.notTested("duplicateScope", "needs --other-project-id");
  // Scope is a question about a duplicate refused; one accepted in the same project answers nothing here.
  if (same.ok || same.code !== "InvalidParameterValue.DuplicateRS")
    return f.notTested("duplicateScope", "the same-project duplicate was not refused with DuplicateRS");
  const other = await cleanup.addOrigins(p, opts.otherProjectId, [ip], runId);
  if (other.ok)
    return f.answer("duplicateScope", "project", `${ip} registered in project ${opts.otherProjectId} too`);
  // Only DuplicateRS speaks to the scope; ProjectIdNotBelong and the like say the project is not usable.
  if (other.code !== "InvalidParameterValue.DuplicateRS")
    return f.notTested("duplicateScope", `${other.code} is no answer to this check: ${other.message}`);
  f.answer("duplicateScope", "account", `${other.code}: ${other.message}`);
}
