// Lets a key through at most once per window: the event recorder's spam filter (the same note on the same object is
// written once per window, as client-go's event correlator aggregates it).
import type { Clock } from "./clock.ts";

/**
 * Two generations of keys, the current window's and the one before, swapped as a window passes: memory holds at most
 * two windows of keys, whatever the churn, and no call scans the whole map. A key let through at t is in one of
 * the two until t + window at least: it goes into the current generation, which becomes the previous one at the first
 * call after a window, and is dropped only at the first call a window after that.
 */
export class OncePerWindow {
  private readonly windowMs: number;
  private readonly clock: Clock;
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private turnedAt: number;

  constructor(windowMs: number, clock: Clock) {
    this.windowMs = windowMs;
    this.clock = clock;
    this.turnedAt = clock.now();
  }

  /** True the first time `key` is offered within a window of its last admission. */
  admit(key: string): boolean {
    const now = this.clock.now();
    if (now - this.turnedAt >= this.windowMs) {
      // A whole window without a call: the current generation is old enough to drop too.
      this.previous = now - this.turnedAt >= 2 * this.windowMs ? new Map() : this.current;
      this.current = new Map();
      this.turnedAt = now;
    }
    const last = this.current.get(key) ?? this.previous.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    this.current.set(key, now);
    return true;
  }

  /** Keys remembered (the two generations'; a key in both counts twice). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
