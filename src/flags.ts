// Command-line values as the operator and the conformance command read them: durations like 250ms, 10s or 5m, and
// numbers within bounds, each bad one told with what it should be.

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Milliseconds from "250ms", "10s", "5m" or "1.5h"; undefined for anything else. */
export function parseDuration(s: string): number | undefined {
  const m = DURATION.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Math.round(n * unit);
}

/**
 * Reads parsed flag values (or their defaults) as strings, numbers and durations, pushing a readable problem for
 * each bad one onto `problems` so that every mistake is told at once: the operator's flags and the conformance
 * command's.
 */
export function flagReader(
  values: Record<string, unknown>,
  defaultOf: (name: string) => string | undefined,
  problems: string[],
) {
  const get = (name: string): string | undefined => {
    const v = values[name] ?? defaultOf(name);
    return typeof v === "string" ? v : undefined;
  };
  const num = (name: string, min: number, max: number, integer: boolean): number => {
    const raw = get(name) as string;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      problems.push(
        `--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, not "${raw}"`,
      );
    }
    return n;
  };
  const duration = (name: string, minMs: number): number => {
    const raw = get(name) as string;
    const ms = parseDuration(raw);
    if (ms === undefined || ms < minMs) {
      problems.push(`--${name} must be a duration like 250ms, 10s or 5m, at least ${minMs}ms, not "${raw}"`);
      return minMs;
    }
    return ms;
  };
  return { get, num, duration };
}
