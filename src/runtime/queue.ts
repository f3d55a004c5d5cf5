// A work queue with client-go's semantics: a FIFO of keys with `dirty` and `processing` sets, so a key is never
// worked on twice at once, an add while it is being processed runs it exactly once more afterwards, and delayed
// adds only ever move a waiting key earlier. Rate limiting is per key (exponential with jitter): the one backoff a
// key has, which the readiness-gate controller maxes with an overall token bucket as client-go does (its writes go
// to the apiserver, and nothing else paces them). The binding controller does not: GAAP is paced by the GAAP
// client's own buckets, which every retry waits for, and an overall bucket would stretch the recovery from an outage
// past the per-key cap (1,000 failing bindings at 10 per second: 90 s).
import type { TokenBucket } from "./token-bucket.ts";

export interface RateLimiter {
  /** How long to wait before the key's next retry; counts a failure. */
  when(key: string): number;
  forget(key: string): void;
}

/** Per-key exponential backoff: base * 2^failures, capped, with up to `jitter` of it randomly taken off. */
export class ExponentialLimiter implements RateLimiter {
  /** Failures in a row per key: per-key memory, so the controller's KeyedMemory may hand the map in. */
  private readonly counts: Map<string, number>;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(
    baseMs: number,
    maxMs: number,
    opts: { jitter?: number; random?: () => number; counts?: Map<string, number> } = {},
  ) {
    this.counts = opts.counts ?? new Map();
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.jitter = opts.jitter ?? 0.5;
    this.random = opts.random ?? Math.random;
  }

  when(key: string): number {
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    const full = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(n, 40));
    return Math.round(full * (1 - this.jitter * this.random()));
  }

  forget(key: string): void {
    this.counts.delete(key);
  }
}

/** The larger of a per-key limiter and an overall token bucket (client-go's MaxOfRateLimiter). */
export class ControllerLimiter implements RateLimiter {
  private readonly perKey: RateLimiter;
  private readonly bucket: TokenBucket;

  constructor(perKey: RateLimiter, bucket: TokenBucket) {
    this.perKey = perKey;
    this.bucket = bucket;
  }

  when(key: string): number {
    return Math.max(this.perKey.when(key), this.bucket.reserve());
  }

  forget(key: string): void {
    this.perKey.forget(key);
  }
}

export interface QueueMetrics {
  added?(key: string): void;
  depth?(n: number): void;
  queued?(waitedMs: number): void;
  worked?(ms: number): void;
  retried?(): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  readonly limiter: RateLimiter;
  private readonly metrics: QueueMetrics;
  private readonly now: () => number;

  constructor(limiter: RateLimiter, metrics: QueueMetrics = {}, now: () => number = Date.now) {
    this.limiter = limiter;
    this.metrics = metrics;
    this.now = now;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.added?.(key);
    this.dirty.add(key);
    this.addedAt.set(key, this.now());
    if (this.processing.has(key)) return; // requeued by done()
    this.push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending add wins, a later one is ignored. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): number {
    const delay = this.limiter.when(key);
    this.metrics.retried?.();
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** The next key to work on, or undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    if (started !== undefined) this.metrics.worked?.(this.now() - started);
    this.startedAt.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.start(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.metrics.depth?.(this.length);
  }

  private take(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++] as string;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.metrics.depth?.(this.length);
    this.start(key);
    return key;
  }

  private start(key: string): void {
    this.dirty.delete(key);
    this.processing.add(key);
    this.startedAt.set(key, this.now());
    const added = this.addedAt.get(key);
    if (added !== undefined) this.metrics.queued?.(this.now() - added);
    this.addedAt.delete(key);
  }
}
