// Who holds the set a binding writes (its listener's, or its rule's as far as it is known), from the caches: the
// oldest binding on the same target that may write there. One the grants refuse, owning nothing, never holds it.
import type { GaapListenerBinding, RuleRef } from "../api/types.ts";
import { holderOf, onSameTarget, ownedServers } from "./logic/ownership.ts";
import type { BindingDeps } from "./ports.ts";

export function holderFor(
  d: Pick<BindingDeps, "cache" | "access" | "status">,
  b: GaapListenerBinding,
  rule: RuleRef | undefined,
): string | undefined {
  const mayHold = (x: GaapListenerBinding) =>
    d.access?.(x).kind !== "denied" || ownedServers(x, d.status.lastWritten(x)).size > 0;
  return holderOf(onSameTarget(d.cache.bindingsOnListener(b.spec.listenerId), rule), mayHold);
}
