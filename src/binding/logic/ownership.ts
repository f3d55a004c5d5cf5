// Who may write an origin set (a listener's, or one forwarding rule's) that several bindings name. Pure: the oldest
// binding holds it (ties by key), unless every binding on it is Shared, in which case each writes only its own
// entries. Bindings on different rules of one listener write different sets: no conflict.

import {
  bindingKey,
  type GaapListenerBinding,
  type GaapListenerBindingStatus,
  type RuleRef,
  resolveSpec,
} from "../../api/types.ts";

/**
 * The rule a binding writes as far as is known before a pass reads GAAP: its spec's ID or domain and path, and what
 * its status says they resolved to.
 */
export function ruleIdentity(
  b: GaapListenerBinding,
  lastWritten?: GaapListenerBindingStatus,
): RuleRef | undefined {
  const ref = b.spec.rule;
  if (!ref) return undefined;
  const seen = (lastWritten ?? b.status)?.rule;
  const route = ref.domain !== undefined ? ref : seen;
  return {
    ...((ref.ruleId ?? seen?.ruleId) ? { ruleId: ref.ruleId ?? seen?.ruleId } : {}),
    ...(route ? { domain: route.domain, path: route.path } : {}),
  };
}

/**
 * The bindings among `onListener` that write the same set as a binding with this rule (undefined: the listener's
 * own set). Two rules are the same when their IDs are, or their domains and paths are.
 */
export function onSameTarget(
  onListener: readonly GaapListenerBinding[],
  rule: RuleRef | undefined,
): GaapListenerBinding[] {
  return onListener.filter((other) => {
    const theirs = ruleIdentity(other);
    if (!rule || !theirs) return !rule && !theirs;
    if (rule.ruleId && theirs.ruleId === rule.ruleId) return true;
    return rule.domain !== undefined && theirs.domain === rule.domain && theirs.path === rule.path;
  });
}

/**
 * The key of the binding that holds the set, or undefined when it is shared by all (or named by none). `mayHold`
 * leaves out bindings that cannot hold it (one no grant covers and that owns nothing): the oldest on a listener is
 * its holder only if it may write there, or one namespace could keep another's listener by naming it first.
 */
export function holderOf(
  onListener: readonly GaapListenerBinding[],
  mayHold: (b: GaapListenerBinding) => boolean = () => true,
): string | undefined {
  const candidates = onListener.filter(mayHold);
  if (candidates.every((b) => resolveSpec(b.spec).ownership === "Shared")) return undefined;
  const oldest = [...candidates].sort(
    (a, b) => created(a).localeCompare(created(b)) || bindingKey(a).localeCompare(bindingKey(b)),
  )[0];
  return oldest && bindingKey(oldest);
}

/** Why a binding that does not hold its listener does nothing, for its status. */
export function conflictMessage(
  b: GaapListenerBinding,
  holder: GaapListenerBinding | undefined,
  holderKey: string,
) {
  const mode = resolveSpec(b.spec).ownership;
  const otherMode = holder ? resolveSpec(holder.spec).ownership : "Exclusive";
  const r = b.spec.rule;
  const what = r
    ? `rule ${r.ruleId ?? `${r.domain}${r.path}`} of listener ${b.spec.listenerId}`
    : `listener ${b.spec.listenerId}`;
  return `${what} is held by ${holderKey} (${otherMode}); this ${mode} binding does nothing until that one is gone, or until every binding on it is Shared`;
}

function created(b: GaapListenerBinding): string {
  return String(b.metadata.creationTimestamp ?? "");
}

/** The ip:port entries a binding owns: what this process last wrote for it, else what its cached status says. */
export function ownedServers(
  b: GaapListenerBinding,
  lastWritten: GaapListenerBindingStatus | undefined,
): Set<string> {
  return new Set(lastWritten?.ownedServers ?? b.status?.ownedServers ?? []);
}
