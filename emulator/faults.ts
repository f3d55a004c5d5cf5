// Fault injection for the emulator, per action: error codes at a rate, added latency with jitter, calls that
// hang until the client gives up, HTTP 5xx answers. Random choices come from a seeded generator so that a fault
// run can be repeated exactly.

export interface FaultRule {
  /** Action name, or "*" for every action. */
  action: string;
  /** Only calls about this listener (binds, listener describes, and calls naming one of its rules). */
  listenerId?: string;
  /** Only calls naming this rule (BindRuleRealServers, DescribeRuleRealServers, DeleteRule). */
  ruleId?: string;
  /** Answer with this API error code ... */
  errorCode?: string;
  errorMessage?: string;
  /** ... or with this HTTP status (e.g. 502): the SDK then reports a transport failure. */
  httpStatus?: number;
  /** Never answer; the client's timeout ends the call. */
  hang?: boolean;
  /** Share of matching calls affected, 0-1 (default 1). */
  rate?: number;
  /** Delay added before answering, plus up to `jitterMs` more. Applies to every matching call. */
  latencyMs?: number;
  jitterMs?: number;
  /**
   * "before" (default): the call fails without taking effect. "after": the action takes effect and then the
   * answer is lost or replaced by the error, as when a response never reaches the caller.
   */
  when?: "before" | "after";
  /** Affect only this many more calls, then the rule retires. */
  count?: number;
}

export type FaultOutcome =
  | { kind: "error"; code: string; message: string }
  | { kind: "http"; status: number }
  | { kind: "hang" };

export interface FaultDecision {
  delayMs: number;
  outcome?: FaultOutcome;
  when: "before" | "after";
}

const ALLOWED = new Set([
  "action",
  "listenerId",
  "ruleId",
  "errorCode",
  "errorMessage",
  "httpStatus",
  "hang",
  "rate",
  "latencyMs",
  "jitterMs",
  "when",
  "count",
]);

/** Checks rules sent to the admin endpoint, reporting every problem together. */
export function parseFaultRules(input: unknown): FaultRule[] {
  const list = (input as { faults?: unknown })?.faults ?? input;
  if (!Array.isArray(list)) throw new Error('expected {"faults": [...]}');
  const problems: string[] = [];
  for (const [i, r] of (list as Array<Record<string, unknown>>).entries()) {
    if (typeof r !== "object" || r === null) {
      problems.push(`faults[${i}] must be an object`);
      continue;
    }
    for (const k of Object.keys(r))
      if (!ALLOWED.has(k)) problems.push(`faults[${i}].${k} is not a fault field`);
    if (typeof r.action !== "string") problems.push(`faults[${i}].action is required ("*" for all)`);
    const outcomes = [r.errorCode !== undefined, r.httpStatus !== undefined, r.hang === true].filter(
      Boolean,
    ).length;
    if (outcomes > 1) problems.push(`faults[${i}] sets more than one of errorCode, httpStatus, hang`);
    if (outcomes === 0 && r.latencyMs === undefined) problems.push(`faults[${i}] does nothing`);
    if (r.rate !== undefined && !(typeof r.rate === "number" && r.rate >= 0 && r.rate <= 1)) {
      problems.push(`faults[${i}].rate must be in 0-1`);
    }
    if (r.httpStatus !== undefined && !(Number.isInteger(r.httpStatus) && (r.httpStatus as number) >= 400)) {
      problems.push(`faults[${i}].httpStatus must be an HTTP error status`);
    }
    if (r.when !== undefined && r.when !== "before" && r.when !== "after") {
      problems.push(`faults[${i}].when must be before or after`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return list as FaultRule[];
}

/** A small seeded PRNG (mulberry32): the same seed gives the same fault sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: FaultRule[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  set(rules: FaultRule[], seed?: number): void {
    this.rules = rules.map((r) => ({ ...r }));
    if (seed !== undefined) this.random = seededRandom(seed);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decides what happens to one call. The first matching rule with an outcome wins; latencies add up. */
  decide(action: string, about: { listenerId?: string; ruleId?: string } = {}): FaultDecision {
    let delayMs = 0;
    let outcome: FaultOutcome | undefined;
    let when: "before" | "after" = "before";
    for (const r of this.rules) {
      if (r.action !== "*" && r.action !== action) continue;
      if (r.listenerId && r.listenerId !== about.listenerId) continue;
      if (r.ruleId && r.ruleId !== about.ruleId) continue;
      if (r.count !== undefined && r.count <= 0) continue;
      if (this.random() >= (r.rate ?? 1)) continue;
      if (r.count !== undefined) r.count--;
      delayMs += (r.latencyMs ?? 0) + (r.jitterMs ? this.random() * r.jitterMs : 0);
      if (outcome) continue;
      if (r.errorCode)
        outcome = { kind: "error", code: r.errorCode, message: r.errorMessage ?? `injected ${r.errorCode}` };
      else if (r.httpStatus) outcome = { kind: "http", status: r.httpStatus };
      else if (r.hang) outcome = { kind: "hang" };
      if (outcome) when = r.when ?? "before";
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.count > 0);
    return { delayMs, ...(outcome ? { outcome } : {}), when };
  }
}
