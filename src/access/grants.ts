// Whether the grants let a namespace bind a target: pure, and the one decision both the admission webhook and the
// reconciler make (the webhook with what a request holds, the reconciler again with what GAAP said of the target).
// Grants add up and none denies. A proxy grant needs the listener's proxy, and a rule grant a rule's ID, which only
// a GAAP read tells when the binding names its rule by domain and path: until then the answer is "undecided".
// Messages never say whether a listener exists, only that no grant covers it (as Gateway API's RefNotPermitted).
import type { GaapListenerGrant } from "../api/grant.ts";
import type { GaapListenerBinding } from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import { matchesSelector } from "../model/selectors.ts";

/** Where the grants and the namespaces' labels are read from (the caches). */
export interface GrantView {
  grants(): readonly GaapListenerGrant[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
}

/** What GAAP told of a binding's target: its proxy, and its rule's ID. */
export interface KnownTarget {
  proxyId?: string;
  ruleId?: string;
}

/**
 * An answer given once GAAP has been read: granted or denied. Undecided then means a namespace the cache has not seen
 * (a selector grant needs its labels): a transient failure, retried, whose namespace event brings the binding back.
 */
export function settled(a: Access): Exclude<Access, { kind: "undecided" }> {
  if (a.kind === "undecided") throw new OperatorError("transient", "NamespaceNotSeen", a.message);
  return a;
}

/** What a GAAP read of the target tells the grants. */
export function knownTarget(t: { proxyId?: string; rule?: { ruleId: string } }): KnownTarget {
  return { ...(t.proxyId ? { proxyId: t.proxyId } : {}), ...(t.rule ? { ruleId: t.rule.ruleId } : {}) };
}

/**
 * The grants' answer for a binding, in `namespace` (the admission request's) or its own; `known` once GAAP has been
 * read (the answer is then "undecided" only while the namespace's labels are not in the cache).
 */
export function bindingAccess(
  view: GrantView,
  b: GaapListenerBinding,
  known?: KnownTarget,
  namespace = b.metadata?.namespace ?? "",
): Access {
  const ruleId = known?.ruleId ?? b.spec.rule?.ruleId;
  return access(view.grants(), {
    namespace,
    namespaceLabels: view.namespaceLabels(namespace),
    listenerId: b.spec.listenerId,
    rule: b.spec.rule !== undefined,
    ...(known?.proxyId ? { proxyId: known.proxyId } : {}),
    ...(ruleId ? { ruleId } : {}),
    ...(known ? { final: true } : {}),
  });
}

/** What a binding asks to write, as far as it is known. */
export interface AccessQuery {
  namespace: string;
  /** The namespace's labels; undefined while the namespace is not (yet) in the cache. */
  namespaceLabels: Readonly<Record<string, string>> | undefined;
  listenerId: string;
  /** Set once GAAP has been read. */
  proxyId?: string;
  /** Whether the binding writes a forwarding rule (an HTTP/HTTPS listener) rather than the whole listener. */
  rule: boolean;
  /** The rule's ID: from the spec, or once GAAP resolved the domain and path. */
  ruleId?: string;
  /** GAAP has been read: a proxy or rule still unknown (a listener of a proxy group) covers nothing. */
  final?: boolean;
}

export type Access =
  | { kind: "granted"; grant: string }
  | { kind: "undecided"; message: string }
  | { kind: "denied"; message: string };

export function access(grants: readonly GaapListenerGrant[], q: AccessQuery): Access {
  /** A grant by proxy or rule ID may cover it: GAAP's read tells. */
  let targetUnknown = false;
  /** A grant by selector may cover it: the namespace's labels tell, once the cache has them. */
  let namespaceUnknown = false;
  for (const g of grants) {
    const applies = appliesTo(g, q);
    if (applies === "no") continue;
    const covers = coverage(g, q);
    if (covers === "yes" && applies === "yes") return { kind: "granted", grant: g.metadata?.name ?? "" };
    if (covers === "no") continue;
    if (applies === "unknown") namespaceUnknown = true;
    else targetUnknown = true;
  }
  const what = `${q.rule ? `${q.ruleId ? `rule ${q.ruleId}` : "a rule"} of ` : ""}listener ${q.listenerId}`;
  // An unseen namespace stays undecided even after the read: the namespace's event brings the binding back.
  if (namespaceUnknown || (targetUnknown && !q.final))
    return {
      kind: "undecided",
      message: `whether a grant covers ${what} for namespace ${q.namespace} is known only once the operator reads the listener (a grant by proxy or by rule ID) or sees the namespace (a grant by selector); it checks before it binds anything`,
    };
  return {
    kind: "denied",
    message: `no GaapListenerGrant lets namespace ${q.namespace} bind ${what}; a cluster administrator grants it (kubectl get gaaplistenergrants)`,
  };
}

type Tri = "yes" | "no" | "unknown";

/** A grant applies to a namespace it names, or one its selector matches ({} matches every namespace). */
function appliesTo(g: GaapListenerGrant, q: AccessQuery): Tri {
  if (g.spec?.namespaces?.includes(q.namespace)) return "yes";
  const selector = g.spec?.namespaceSelector;
  if (selector === undefined) return "no";
  if (q.namespaceLabels === undefined) return "unknown";
  return matchesSelector(selector, { ...q.namespaceLabels }) ? "yes" : "no";
}

/** Whether one of the grant's targets is what the binding writes. */
function coverage(g: GaapListenerGrant, q: AccessQuery): Tri {
  let unknown = false;
  for (const t of g.spec?.targets ?? []) {
    if (t.proxyId !== undefined) {
      if (q.proxyId === undefined) unknown = true;
      else if (t.proxyId === q.proxyId) return "yes";
    } else if (t.listenerId === q.listenerId) {
      if (!t.ruleIds) return "yes";
      if (!q.rule) continue;
      if (q.ruleId === undefined) unknown = true;
      else if (t.ruleIds.includes(q.ruleId)) return "yes";
    }
  }
  return unknown ? "unknown" : "no";
}
