// What a reconcile pass asks GAAP for, from the binding, the caches and what this process last wrote. Pure.
import { bindingKey, type GaapListenerBinding } from "../../api/types.ts";
import type { TargetQuery } from "../../gaap/types.ts";
import type { BindingCache, StatusWriter } from "../ports.ts";
import { ruleIdentity } from "./ownership.ts";

/**
 * What a pass reads for a binding: its listener, or its rule with the rules of the other bindings on the listener
 * and the rule our bind in flight there writes (a task on any of them makes this rule wait). A deletion reads the
 * rule it bound (`bound`), never one found again by domain and path.
 */
export function targetQuery(
  b: GaapListenerBinding,
  cache: Pick<BindingCache, "bindingsOnListener">,
  status: Pick<StatusWriter, "lastWritten">,
  opts: { inflightRule?: string | undefined; bound?: boolean } = {},
): TargetQuery {
  const spec = b.spec;
  const hint = b.status?.listener?.protocol;
  if (!spec.rule) return { listenerId: spec.listenerId, ...(hint ? { protocolHint: hint } : {}) };
  const own = ruleIdentity(b, status.lastWritten(b));
  const rule = opts.bound && own?.ruleId ? { ruleId: own.ruleId } : spec.rule;
  const siblings = new Set<string>(opts.inflightRule ? [opts.inflightRule] : []);
  for (const other of cache.bindingsOnListener(spec.listenerId)) {
    const id = bindingKey(other) === bindingKey(b) ? undefined : ruleIdentity(other)?.ruleId;
    if (id && id !== own?.ruleId) siblings.add(id);
  }
  siblings.delete(own?.ruleId ?? "");
  return {
    listenerId: spec.listenerId,
    rule,
    ...(hint ? { protocolHint: hint } : {}),
    ...(own?.ruleId ? { knownRuleId: own.ruleId } : {}),
    siblingRules: [...siblings].sort(),
  };
}
