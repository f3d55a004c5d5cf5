// An emulator profile from a conformance report (`gaap-operator conformance --report`): each behaviour the run
// answered becomes the Behavior setting it stands for; what it did not test, or answered with something the
// emulator cannot play, keeps the default. It reads the report by its documented JSON shape
// (docs/conformance.md) and shares no code with the operator.
import { readFileSync } from "node:fs";
import type { Behavior } from "./model.ts";
import { StateError } from "./state.ts";

interface ReportFinding {
  key?: unknown;
  status?: unknown;
  answer?: unknown;
}

/** Finding keys whose answer is one of the setting's values as it is. */
const AS_IS: Partial<Record<string, { field: keyof Behavior; values: readonly string[] }>> = {
  unknownListenerError: { field: "unknownListenerError", values: ["ResourceNotFound", "InvalidParameter"] },
  unknownRuleError: { field: "unknownRuleError", values: ["ResourceNotFound", "InvalidParameter"] },
  unknownRuleInBatch: { field: "unknownRuleInBatch", values: ["error", "omit"] },
  duplicateScope: { field: "duplicateScope", values: ["account", "project"] },
  bindVisibility: { field: "bindVisibility", values: ["onComplete", "immediate"] },
  emptyBindSet: { field: "emptyBindSet", values: ["unbind", "reject"] },
  ruleTaskScope: { field: "ruleTaskScope", values: ["listener", "rule"] },
  ruleOverLimit: { field: "ruleOverLimit", values: ["reject", "accept"] },
  weightZero: { field: "weightZero", values: ["reject", "accept"] },
};

/** The Behavior settings a report's answers stand for (only those; merge them over a state's behaviour). */
export function behaviorFromReport(report: unknown): Partial<Behavior> {
  const r = (report ?? {}) as { kind?: unknown; findings?: unknown };
  if (r.kind !== "gaap-conformance-report" || !Array.isArray(r.findings))
    throw new StateError(
      "not a conformance report: expected kind gaap-conformance-report and a findings list",
    );
  const out: Record<string, unknown> = {};
  const answered = (r.findings as ReportFinding[]).filter(
    (f) => f.status !== "not-tested" && f.answer !== undefined,
  );
  for (const f of answered) {
    const key = String(f.key);
    const asIs = AS_IS[key];
    if (asIs?.values.includes(String(f.answer))) out[asIs.field] = String(f.answer);
    else if (key === "bindTaskMs") {
      const median = (f.answer as { medianMs?: unknown }).medianMs;
      if (typeof median === "number" && median > 0) out.bindTaskMs = Math.round(median);
    } else if (key === "maxDescribeListenersLimit" && typeof f.answer === "number")
      out.maxDescribeListenersLimit = f.answer;
    else if (key === "allowSameIpDifferentPorts" && (f.answer === "true" || f.answer === "false"))
      out.allowSameIpDifferentPorts = f.answer === "true";
  }
  // A rule's empty list stands for the listener's only when the listener's was not answered at all (the emulator
  // has one setting): a listener answer the emulator cannot play must not be overridden by the rule's.
  const ruleEmpty = answered.find((f) => f.key === "ruleEmptyBindSet");
  const listenerAnswered = answered.some((f) => f.key === "emptyBindSet");
  if (!listenerAnswered && (ruleEmpty?.answer === "unbind" || ruleEmpty?.answer === "reject"))
    out.emptyBindSet = ruleEmpty.answer;
  return out as Partial<Behavior>;
}

export function loadProfile(path: string): Partial<Behavior> {
  return behaviorFromReport(JSON.parse(readFileSync(path, "utf8")));
}
