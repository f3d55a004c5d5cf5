// The admission check of bindings: creates and target changes are checked; other updates pass, so a binding whose
// grant is gone can still be edited and its finalizer removed; what only GAAP can decide passes with a warning.
import { describe, expect, it } from "vitest";
import type { GrantView } from "../../../src/access/grants.ts";
import { validateBinding } from "../../../src/access/validate.ts";
import type { GaapListenerGrant } from "../../../src/api/grant.ts";
import type { GaapListenerBinding, RuleRef } from "../../../src/api/types.ts";
import type { AdmissionRequest } from "../../../src/serving/admission.ts";

const view = (grants: GaapListenerGrant[]): GrantView => ({
  grants: () => grants,
  namespaceLabels: () => ({}),
});
const granted = view([
  { metadata: { name: "g" }, spec: { namespaces: ["a"], targets: [{ listenerId: "listener-1" }] } },
]);
const byProxy = view([
  { metadata: { name: "p" }, spec: { namespaces: ["a"], targets: [{ proxyId: "link-1" }] } },
]);
const none = view([]);

const binding = (listenerId: string, rule?: RuleRef): GaapListenerBinding => ({
  metadata: { name: "web" },
  spec: { listenerId, serviceRef: { name: "web", port: 80 }, ...(rule ? { rule } : {}) },
});
const request = (
  operation: string,
  object: GaapListenerBinding,
  oldObject?: GaapListenerBinding,
): AdmissionRequest => ({
  uid: "u",
  kind: { group: "gaap.operator.dev", version: "v1alpha1", kind: "GaapListenerBinding" },
  operation,
  namespace: "a",
  object,
  ...(oldObject ? { oldObject } : {}),
});

describe("validateBinding", () => {
  it("admits a create a grant covers", () => {
    expect(validateBinding(request("CREATE", binding("listener-1")), granted)).toEqual({ allowed: true });
  });

  it("refuses a create no grant covers, with the reason", () => {
    const a = validateBinding(request("CREATE", binding("listener-2")), granted);
    expect(a.allowed).toBe(false);
    expect(a.message).toMatch(/^no GaapListenerGrant lets namespace a bind listener listener-2;/);
  });

  it("takes the namespace from the request, not the object (blank on some creates)", () => {
    const r = { ...request("CREATE", binding("listener-1")), namespace: "b" };
    expect(validateBinding(r, granted).allowed).toBe(false);
  });

  it("admits an update that keeps the target, even without a grant", () => {
    const b = binding("listener-2");
    expect(
      validateBinding(request("UPDATE", { ...b, metadata: { ...b.metadata, finalizers: [] } }, b), none),
    ).toEqual({
      allowed: true,
    });
  });

  it("checks an update that changes the rule", () => {
    const old = binding("listener-1", { domain: "a.example.com", path: "/" });
    const changed = binding("listener-1", { domain: "b.example.com", path: "/" });
    expect(validateBinding(request("UPDATE", changed, old), none).allowed).toBe(false);
  });

  it("admits with a warning what only a GAAP read can decide (a proxy grant)", () => {
    const a = validateBinding(request("CREATE", binding("listener-9")), byProxy);
    expect(a.allowed).toBe(true);
    expect(a.warnings?.[0]).toMatch(/known only once the operator reads the listener/);
  });

  it("leaves other kinds and operations alone", () => {
    const pod = { ...request("CREATE", binding("listener-2")), kind: { kind: "Pod" } };
    expect(validateBinding(pod, none)).toEqual({ allowed: true });
    expect(validateBinding(request("DELETE", binding("listener-2")), none)).toEqual({ allowed: true });
  });
});
