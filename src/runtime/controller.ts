// The controller loop: keys go into the work queue; workers run the reconciler and requeue as controller-runtime
// does with the Result it returns (failed: after the key's backoff, which grows; requeueAfter: forget and delay;
// success: forget). The queue's limiter is the one backoff a key has. No worker starts before every informer has
// synced.
import { setTimeout } from "node:timers/promises";
import type { Logger } from "pino";
import type { OperatorError } from "../errors.ts";
import type { QueueMetrics, WorkQueue } from "./queue.ts";

/** How long a conflict waits: the watch brings our own write back in a moment. */
export const CONFLICT_RETRY_MS = 100;

/** What a reconcile asks of the work queue. */
export interface Result {
  /** Come back after this long. With `failed`, instead of the key's backoff (a slow retry the reconciler chose). */
  requeueAfterMs?: number;
  /**
   * The pass neither succeeded nor failed (a listener busy with a task, a cache behind our own write): come back
   * after requeueAfterMs, and leave the key's backoff as it is, so a failure after the wait keeps counting up.
   */
  poll?: boolean;
  /**
   * The pass failed (the reconciler has reported it): come back after the key's backoff, which grows with each
   * failure in a row and starts over after a pass that does not fail.
   */
  failed?: OperatorError;
}

export interface ControllerMetrics {
  reconciled?(result: "success" | "error" | "requeue_after", seconds: number): void;
  queue?: QueueMetrics;
}

export interface ControllerOptions {
  name: string;
  /** What a key names, for the logs: "binding", "pod". */
  keyName?: string;
  queue: WorkQueue;
  /** Resolves once the caches the reconciler reads have synced. */
  synced: Promise<void>;
  /** Every key to reconcile once at start. */
  initialKeys: () => string[];
  reconcile: (key: string) => Promise<Result>;
  workers: number;
  log: Logger;
  metrics?: ControllerMetrics;
}

export class Controller {
  private readonly o: ControllerOptions;
  private readonly running: Promise<void>[] = [];
  private stopped = false;
  private accepting = false;
  private readonly active = new Set<Promise<unknown>>();

  constructor(opts: ControllerOptions) {
    this.o = opts;
  }

  /**
   * Queues a key, once this replica runs the controller. A standby keeps no queue: nothing would drain it, and
   * start() queues every live key anyway.
   */
  enqueue(key: string): void {
    if (this.accepting && !this.stopped) this.o.queue.add(key);
  }

  /** Waits for the caches, then starts the workers. Resolves once they run. */
  async start(): Promise<void> {
    // Accepting before the initial keys are listed: a change after the listing is queued, not lost.
    this.accepting = true;
    await this.o.synced;
    if (this.stopped) return;
    this.o.log.info({ workers: this.o.workers }, "caches synced; starting workers");
    for (const key of this.o.initialKeys()) this.o.queue.add(key);
    for (let i = 0; i < this.o.workers; i++) this.running.push(this.worker());
  }

  /** Stops taking work and waits (up to `graceMs`) for reconciles in flight to finish. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.o.queue.shutDown();
    const all = Promise.allSettled([...this.active]);
    await Promise.race([all, setTimeout(graceMs, undefined, { ref: false })]);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.o.queue.get();
      if (key === undefined) return;
      const work = this.process(key);
      this.active.add(work);
      await work;
      this.active.delete(work);
    }
  }

  private async process(key: string): Promise<void> {
    const q = this.o.queue;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const res = await this.o.reconcile(key);
      if (res.failed) {
        this.o.metrics?.reconciled?.("error", seconds());
        let retryInMs = res.requeueAfterMs;
        if (retryInMs !== undefined) q.addAfter(key, retryInMs);
        else retryInMs = q.addRateLimited(key);
        const { code, kind, message } = res.failed;
        this.o.log.warn(
          { [this.o.keyName ?? "key"]: key, code, kind, err: message, retryInMs },
          "reconcile failed",
        );
      } else if (res.requeueAfterMs !== undefined) {
        if (!res.poll) q.forget(key);
        q.addAfter(key, res.requeueAfterMs);
        this.o.metrics?.reconciled?.("requeue_after", seconds());
      } else {
        q.forget(key);
        this.o.metrics?.reconciled?.("success", seconds());
      }
    } catch (err) {
      // A reconciler reports what it expects as a failed Result; anything thrown is a bug, retried on the backoff.
      this.o.metrics?.reconciled?.("error", seconds());
      const delay = q.addRateLimited(key);
      this.o.log.error({ key, err, retryInMs: delay }, "reconcile failed unexpectedly");
    } finally {
      q.done(key);
    }
  }
}
