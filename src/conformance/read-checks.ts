// The read-only checks: paging through channels and listeners (and the largest Limit accepted), and what GAAP
// answers for IDs that do not exist. Nothing here writes, and the pages' entries stay out of the journal.
import type { ConformanceOptions } from "./options.ts";
import { isParamError, noAnswer, type Outcome, type Probe } from "./probe.ts";
import type { Findings } from "./report.ts";

/** IDs in GAAP's format that no account holds (GAAP's IDs are random; all zeros is not one it hands out). */
export const UNKNOWN_LISTENER = "listener-00000000";
export const UNKNOWN_RULE = "rule-00000000";

/** How the report names the channel the read checks page when the user named none. */
export const FIRST_CHANNEL = "(the account's first channel)";

/** The Limits tried on DescribeTCPListeners, ascending: 20 is documented, 50 is what Terraform uses. */
const LIMITS = [20, 50, 100, 200];

type ProxyPage = { TotalCount?: number; ProxySet?: Array<{ ProxyId?: string; InstanceId?: string }> };
type ListenerPage = { TotalCount?: number; ListenerSet?: unknown[] };

export async function readChecks(p: Probe, f: Findings, opts: ConformanceOptions): Promise<void> {
  const proxyId = opts.proxyId ?? (await firstProxy(p));
  // A channel the user did not name may be anyone's in the account: the report names it by what it is.
  if (proxyId && !opts.proxyId) p.alias(proxyId, FIRST_CHANNEL);
  if (proxyId) await listenerPaging(p, f, proxyId, opts.proxyId ?? FIRST_CHANNEL);
  else f.notTested("maxDescribeListenersLimit", "the account has no channel to page listeners of");

  const listener = await p.read("DescribeTCPListeners", { ListenerId: UNKNOWN_LISTENER });
  unknownId(f, "unknownListenerError", `DescribeTCPListeners(${UNKNOWN_LISTENER})`, listener);

  // Answered without an error, it would list the project's origins: journalled as counts only.
  const rule = await p.readPage(
    "DescribeRuleRealServers",
    { RuleId: UNKNOWN_RULE },
    "RealServerSet",
    "BindRealServerSet",
  );
  unknownId(f, "unknownRuleError", `DescribeRuleRealServers(${UNKNOWN_RULE})`, rule);

  const batch = await p.read<{ RuleSet?: unknown[] }>("DescribeRulesByRuleIds", { RuleIds: [UNKNOWN_RULE] });
  const why = batch.ok ? undefined : noAnswer(batch);
  if (batch.ok)
    f.answer(
      "unknownRuleInBatch",
      "omit",
      `succeeded with ${batch.res.RuleSet?.length ?? 0} rules for one unknown ID`,
    );
  else if (why) f.notTested("unknownRuleInBatch", why);
  else f.answer("unknownRuleInBatch", "error", `the call failed: ${batch.code}: ${batch.message}`);
}

/** An unknown ID's answer is its error code, unless the failure is throttling, trouble or a permission. */
function unknownId(
  f: Findings,
  key: "unknownListenerError" | "unknownRuleError",
  call: string,
  o: Outcome<unknown>,
): void {
  const why = o.ok ? undefined : noAnswer(o);
  if (o.ok) f.answer(key, "no error", `${call} succeeded`);
  else if (why) f.notTested(key, why);
  else f.answer(key, notFoundAnswer(o.code, o.message), `${o.code}: ${o.message}`);
}

/** The emulator's names for the two known answers; any other code stands for itself. */
function notFoundAnswer(code: string, message: string): string {
  if (code === "InvalidParameter" && /Not Exist/i.test(message)) return "InvalidParameter";
  return code;
}

/** The first channel's ID: one entry is all the run needs of the account's channels. */
async function firstProxy(p: Probe): Promise<string | undefined> {
  const page = await p.mustRead<ProxyPage>("DescribeProxies", { Offset: 0, Limit: 1 }, "ProxySet");
  const first = page.ProxySet?.[0];
  return first?.ProxyId ?? first?.InstanceId;
}

async function listenerPaging(p: Probe, f: Findings, proxyId: string, name: string): Promise<void> {
  let largest: number | undefined;
  let refused = "";
  for (const limit of LIMITS) {
    const o = await p.readPage<ListenerPage>(
      "DescribeTCPListeners",
      { ProxyId: proxyId, Offset: 0, Limit: limit },
      "ListenerSet",
    );
    if (!o.ok) {
      // Only a refusal of the parameter says the Limit is too large; throttling or trouble says nothing.
      const why = noAnswer(o, (x) => isParamError(x.code));
      if (why) return f.notTested("maxDescribeListenersLimit", `Limit ${limit}: ${why}`);
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
    const page = await p.mustRead<ListenerPage>(
      "DescribeTCPListeners",
      { ProxyId: proxyId, Offset: offset, Limit: largest },
      "ListenerSet",
    );
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
    `Limit ${largest} accepted${atLeast}${refused}; ${seen} of ${total} TCP listeners of ${name} in ${pages} pages`,
  );
}
