// The read-only checks: paging through channels and listeners (and the largest Limit accepted), and what GAAP
// answers for IDs that do not exist. Nothing here writes.
import type { ConformanceOptions } from "./options.ts";
import type { Probe } from "./probe.ts";
import type { Findings } from "./report.ts";

/** IDs in GAAP's format that no account holds (GAAP's IDs are random; all zeros is not one it hands out). */
export const UNKNOWN_LISTENER = "listener-00000000";
export const UNKNOWN_RULE = "rule-00000000";

/** The Limits tried on DescribeTCPListeners, ascending: 20 is documented, 50 is what Terraform uses. */
const LIMITS = [20, 50, 100, 200];

type ProxyPage = { TotalCount?: number; ProxySet?: Array<{ ProxyId?: string; InstanceId?: string }> };
type ListenerPage = { TotalCount?: number; ListenerSet?: unknown[] };

export async function readChecks(p: Probe, f: Findings, opts: ConformanceOptions): Promise<void> {
  const proxyId = opts.proxyId ?? (await firstProxy(p));
  if (proxyId) await listenerPaging(p, f, proxyId);
  else f.notTested("maxDescribeListenersLimit", "the account has no channel to page listeners of");

  const listener = await p.read("DescribeTCPListeners", { ListenerId: UNKNOWN_LISTENER });
  if (listener.ok)
    f.answer("unknownListenerError", "no error", `DescribeTCPListeners(${UNKNOWN_LISTENER}) succeeded`);
  else
    f.answer(
      "unknownListenerError",
      notFoundAnswer(listener.code, listener.message),
      `${listener.code}: ${listener.message}`,
    );

  const rule = await p.read("DescribeRuleRealServers", { RuleId: UNKNOWN_RULE });
  if (rule.ok) f.answer("unknownRuleError", "no error", `DescribeRuleRealServers(${UNKNOWN_RULE}) succeeded`);
  else f.answer("unknownRuleError", notFoundAnswer(rule.code, rule.message), `${rule.code}: ${rule.message}`);

  const batch = await p.read<{ RuleSet?: unknown[] }>("DescribeRulesByRuleIds", { RuleIds: [UNKNOWN_RULE] });
  if (batch.ok)
    f.answer(
      "unknownRuleInBatch",
      "omit",
      `succeeded with ${batch.res.RuleSet?.length ?? 0} rules for one unknown ID`,
    );
  else f.answer("unknownRuleInBatch", "error", `the call failed: ${batch.code}: ${batch.message}`);
}

/** The emulator's names for the two known answers; any other code stands for itself. */
function notFoundAnswer(code: string, message: string): string {
  if (code === "InvalidParameter" && /Not Exist/i.test(message)) return "InvalidParameter";
  return code;
}

/** All channels, page by page; the first one's ID. */
async function firstProxy(p: Probe): Promise<string | undefined> {
  let first: string | undefined;
  for (let offset = 0; ; offset += 100) {
    const page = await p.mustRead<ProxyPage>("DescribeProxies", { Offset: offset, Limit: 100 });
    const set = page.ProxySet ?? [];
    first ??= set[0]?.ProxyId ?? set[0]?.InstanceId;
    if (set.length === 0 || offset + set.length >= (page.TotalCount ?? 0)) return first;
  }
}

async function listenerPaging(p: Probe, f: Findings, proxyId: string): Promise<void> {
  let largest: number | undefined;
  let refused = "";
  for (const limit of LIMITS) {
    const o = await p.read<ListenerPage>("DescribeTCPListeners", {
      ProxyId: proxyId,
      Offset: 0,
      Limit: limit,
    });
    if (!o.ok) {
      refused = `; Limit ${limit} refused (${o.code})`;
      break;
    }
    largest = limit;
  }
  if (largest === undefined) {
    f.notTested("maxDescribeListenersLimit", `no Limit of ${LIMITS.join(", ")} was accepted${refused}`);
    return;
  }
  // Page through at that Limit: the pages must add up to TotalCount.
  let seen = 0;
  let total = 0;
  let pages = 0;
  for (let offset = 0; ; offset += largest) {
    const page = await p.mustRead<ListenerPage>("DescribeTCPListeners", {
      ProxyId: proxyId,
      Offset: offset,
      Limit: largest,
    });
    const n = page.ListenerSet?.length ?? 0;
    total = page.TotalCount ?? 0;
    seen += n;
    pages++;
    if (n === 0 || seen >= total) break;
  }
  const atLeast = largest === LIMITS.at(-1) ? " (the largest tried: the real maximum may be higher)" : "";
  f.answer(
    "maxDescribeListenersLimit",
    largest,
    `Limit ${largest} accepted${atLeast}${refused}; ${seen} of ${total} TCP listeners of ${proxyId} in ${pages} pages`,
  );
}
