// The admission check of a GaapListenerBinding against the grants, pure: a create, or an update that changes what
// the binding writes (its listener or rule), is refused when no grant covers it. Other updates (the operator's own
// finalizer and status writes, labels) pass, so a binding whose grant was revoked can still be edited and deleted.
// What cannot be decided without GAAP (a proxy grant, a rule named by domain and path) passes with a warning: the
// reconciler decides it before it binds anything.
import type { GaapListenerBinding } from "../api/types.ts";
import type { AdmissionAnswer, AdmissionRequest } from "../serving/admission.ts";
import { bindingAccess, type GrantView } from "./grants.ts";

export const VALIDATE_BINDING_PATH = "/validate-gaaplistenerbinding";

export function validateBinding(request: AdmissionRequest, view: GrantView): AdmissionAnswer {
  const b = request.object as GaapListenerBinding | undefined;
  if (request.kind?.kind !== "GaapListenerBinding" || !b?.spec?.listenerId) return { allowed: true };
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return { allowed: true };
  if (request.operation === "UPDATE" && sameTarget(request.oldObject as GaapListenerBinding | undefined, b))
    return { allowed: true };
  const a = bindingAccess(view, b, undefined, request.namespace ?? b.metadata?.namespace);
  if (a.kind === "granted") return { allowed: true };
  if (a.kind === "undecided") return { allowed: true, warnings: [a.message] };
  return { allowed: false, message: a.message };
}

/** The CRD makes listenerId and rule immutable already; this keeps the check right should that ever change. */
function sameTarget(old: GaapListenerBinding | undefined, b: GaapListenerBinding | undefined): boolean {
  const o = old?.spec;
  const n = b?.spec;
  return (
    o !== undefined &&
    n !== undefined &&
    o.listenerId === n.listenerId &&
    o.rule?.ruleId === n.rule?.ruleId &&
    o.rule?.domain === n.rule?.domain &&
    o.rule?.path === n.rule?.path
  );
}
