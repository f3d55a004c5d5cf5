/**
 * A token bucket: holds up to `burst` tokens and refills at `ratePerSec`. Time comes from `now` (milliseconds)
 * so that callers with a fake clock get exact, repeatable answers. The GAAP emulator uses it to refuse requests
 * over an action's limit; the operator uses it to stay under that limit.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;

  constructor(ratePerSec: number, burst: number, now: () => number = Date.now) {
    if (!(ratePerSec > 0) || !(burst >= 1))
      throw new RangeError(`invalid token bucket ${ratePerSec}/s burst ${burst}`);
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a token if one is available now. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Reserves a token and returns how long the caller must wait before using it (0 if available now). Reservations
   * queue: each one pushes the next further out, so concurrent callers are spaced at the bucket's rate.
   */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSec) * 1000);
  }

  /** Tokens available now (negative while reservations are outstanding). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.ratePerSec);
  }
}
