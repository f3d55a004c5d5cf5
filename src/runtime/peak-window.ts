// The most of something seen per key within a sliding window of time: the breaker's memory of each binding's bound
// origins (a collapse in small steps is held like one big step), and the longest bind task per listener.
import type { Clock } from "./clock.ts";

/**
 * Sliding-window maximum per key: a deque of samples whose counts fall from head to tail, so the head is the
 * window's peak and each observation costs amortised O(1). The window is time, not passes: a binding that is
 * reconciled often does not forget faster. A window of 0 remembers nothing (each bind is judged alone).
 */
export class PeakWindow {
  private readonly windowMs: number;
  private readonly clock: Clock;
  /** Per key: per-key memory, so the controller's KeyedMemory may hand the map in. */
  private readonly samples: Map<string, Array<{ at: number; count: number }>>;
  private sweptAt = 0;

  constructor(
    windowMs: number,
    clock: Clock,
    samples: Map<string, Array<{ at: number; count: number }>> = new Map(),
  ) {
    this.samples = samples;
    this.windowMs = windowMs;
    this.clock = clock;
  }

  /** Records the bound count seen now and returns the window's peak, this count included. */
  observe(key: string, count: number): number {
    if (this.windowMs <= 0) return count;
    const now = this.clock.now();
    const q = this.samples.get(key) ?? [];
    while (q.length > 0 && (q.at(-1) as { count: number }).count <= count) q.pop();
    q.push({ at: now, count });
    this.samples.set(key, q);
    this.sweep(now);
    return this.peak(key);
  }

  /** The window's peak without recording anything (samples older than the window go); 0 when none is left. */
  peak(key: string): number {
    const q = this.samples.get(key);
    if (!q) return 0;
    const since = this.clock.now() - this.windowMs;
    while (q.length > 0 && (q[0] as { at: number }).at < since) q.shift();
    if (q.length === 0) this.samples.delete(key);
    return q[0]?.count ?? 0;
  }

  /** The first instant the window's peak has left it (the peak is then the next sample's), or undefined with none. */
  fallsAt(key: string): number | undefined {
    if (this.peak(key) === 0) return undefined;
    return (this.samples.get(key)?.[0]?.at ?? 0) + this.windowMs + 1;
  }

  /** At most once a window, every key's old samples go: a key nobody asks about again is not kept. */
  private sweep(now: number): void {
    if (now - this.sweptAt < this.windowMs) return;
    this.sweptAt = now;
    for (const key of [...this.samples.keys()]) this.peak(key);
  }

  delete(key: string): boolean {
    return this.samples.delete(key);
  }

  get size(): number {
    return this.samples.size;
  }
}
