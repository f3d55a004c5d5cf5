// The conformance report: one finding per behaviour (confirmed, differs from the emulator's default, measured,
// or not tested, each with its evidence), the WARNINGs where GAAP answered otherwise than the operator assumes,
// what cleanup left behind, and the raw calls. Its JSON shape is what `gaap-emulator --profile` reads
// (docs/conformance.md); the raw calls are redacted before they get here (probe.ts).
import { type CheckKey, EXPECTATIONS } from "./expectations.ts";
import type { CallRecord } from "./probe.ts";

export type FindingStatus = "confirmed" | "differs" | "measured" | "not-tested";

/** What a timing check measured, in milliseconds. */
export interface Timing {
  samples: number[];
  minMs: number;
  medianMs: number;
  maxMs: number;
}

export interface Finding {
  key: CheckKey;
  title: string;
  status: FindingStatus;
  /** The answer GAAP gave: an emulator setting's value, an error code, a number, or a timing. */
  answer?: string | number | Timing;
  emulatorDefault: string | number;
  evidence: string;
  /** Set when the answer contradicts what the operator's code relies on. */
  warning?: string;
}

export interface ConformanceReport {
  kind: "gaap-conformance-report";
  version: 1;
  tool: string;
  startedAt: string;
  finishedAt: string;
  /** The endpoint's host only. */
  endpoint: string;
  mode: "read" | "write";
  findings: Finding[];
  warnings: string[];
  /** Set when the run stopped before its end (an error, a refusal, an interruption). */
  aborted?: string;
  cleanup: { complete: boolean; left: string[] };
  calls: CallRecord[];
}

/** Collects findings as the checks make them; the first finding of a key wins. */
export class Findings {
  readonly list: Finding[] = [];

  /** A behaviour answered: compared with the emulator's default and with what the operator assumes. */
  answer(key: CheckKey, answer: string | number, evidence: string): void {
    const e = EXPECTATIONS[key];
    const status: FindingStatus = String(e.emulatorDefault) === String(answer) ? "confirmed" : "differs";
    const warning =
      e.operatorAssumes !== undefined && e.operatorAssumes !== String(answer)
        ? `${e.title}: GAAP answered ${answer}, the operator assumes ${e.operatorAssumes} (${e.why})`
        : undefined;
    this.add({ key, answer, status, evidence, ...(warning ? { warning } : {}) });
  }

  measured(key: CheckKey, timing: Timing, evidence: string): void {
    this.add({ key, answer: timing, status: "measured", evidence });
  }

  notTested(key: CheckKey, why: string): void {
    this.add({ key, status: "not-tested", evidence: why });
  }

  has(key: CheckKey): boolean {
    return this.list.some((f) => f.key === key);
  }

  get(key: CheckKey): Finding | undefined {
    return this.list.find((f) => f.key === key);
  }

  private add(f: Omit<Finding, "title" | "emulatorDefault">): void {
    if (this.has(f.key)) return;
    const e = EXPECTATIONS[f.key];
    this.list.push({
      key: f.key,
      title: e.title,
      status: f.status,
      ...(f.answer === undefined ? {} : { answer: f.answer }),
      emulatorDefault: e.emulatorDefault,
      evidence: f.evidence,
      ...(f.warning ? { warning: f.warning } : {}),
    });
  }
}

export function timing(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
  return { samples: [...samples], minMs: sorted[0] ?? 0, medianMs: median, maxMs: sorted.at(-1) ?? 0 };
}

/**
 * The exit code: 0 when the run completed and nothing contradicts the operator; 3 when it completed with
 * WARNINGs; 1 when it stopped early, was refused, or left something behind (which matters more than a WARNING).
 */
export function exitCode(r: ConformanceReport): number {
  if (r.aborted || !r.cleanup.complete) return 1;
  return r.warnings.length > 0 ? 3 : 0;
}

const STATUS_LABEL: Record<FindingStatus, string> = {
  confirmed: "confirmed",
  differs: "DIFFERS from emulator",
  measured: "measured",
  "not-tested": "not tested",
};

function show(answer: Finding["answer"]): string {
  if (answer === undefined) return "-";
  if (typeof answer === "object") return `median ${answer.medianMs} ms (${answer.minMs}-${answer.maxMs})`;
  return String(answer);
}

/** The terminal table, then one WARNING line per contradiction, then cleanup. */
export function renderTable(r: ConformanceReport): string {
  const rows = r.findings.map((f) => [
    f.key,
    STATUS_LABEL[f.status],
    show(f.answer),
    String(f.emulatorDefault),
    f.evidence,
  ]);
  const head = ["behaviour", "status", "GAAP answered", "emulator default", "evidence"];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => Math.min(60, row[i]?.length ?? 0))),
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  for (const w of r.warnings) out.push(`WARNING: ${w}`);
  if (r.aborted) out.push(`STOPPED: ${r.aborted}`);
  out.push(
    r.cleanup.complete
      ? "cleanup: complete (everything this run made is gone)"
      : `CLEANUP INCOMPLETE, remove by hand: ${r.cleanup.left.join("; ")}`,
  );
  return `${out.join("\n")}\n`;
}
