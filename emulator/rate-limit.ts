// GAAP's per-action limit ("N requests per second"), as the emulator enforces it: a request is admitted when it is
// no earlier than its theoretical arrival time allows (the generic cell rate algorithm). With a tolerance of
// N - 1 intervals this admits a burst of N at once, then one per 1/N s: the same budget as a bucket of N tokens
// refilled at N per second, computed another way on purpose. The operator paces itself with a token bucket of its
// own; the two share no code, so a mistake in one cannot hide a mistake in the other.

export class RateLimit {
  readonly perSecond: number;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;
  /** When the next request would arrive if requests came exactly at the rate. */
  private theoreticalArrival: number;

  constructor(perSecond: number, now: () => number = Date.now) {
    if (!(perSecond > 0)) throw new RangeError(`invalid rate limit ${perSecond}/s`);
    this.perSecond = perSecond;
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = Math.max(0, Math.ceil(perSecond) - 1) * this.intervalMs;
    this.now = now;
    this.theoreticalArrival = now();
  }

  /** Admits a request now, or refuses it (RequestLimitExceeded) without using any of the budget. */
  admit(): boolean {
    const t = this.now();
    const arrival = Math.max(this.theoreticalArrival, t);
    if (arrival - t > this.toleranceMs + 1e-9) return false;
    this.theoreticalArrival = arrival + this.intervalMs;
    return true;
  }
}
