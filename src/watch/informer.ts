// A list-watch cache that survives what client-node's ListWatch does not: it restarts after any error with
// jittered backoff, never lets a handler exception escape, reports when its first list has succeeded, and
// recreates a watch that has gone silent.
//
// Cached objects are in wire form (plain JSON as the apiserver sends it): the list is normalised to the same
// shape the watch delivers, so Date-typed fields of the client's model types hold RFC 3339 strings here.
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";
// Not re-exported from the package root; the package has no exports map, so the deep path is stable.
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** A short name for logs and health reports, e.g. "pods". */
  name: string;
  /** Watch path, e.g. "/api/v1/pods" or "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices". */
  path: string;
  /** Lists with the same selectors as the watch; `modelType` names its items for wire-form normalisation. */
  list: () => Promise<KubernetesListObject<T>>;
  modelType?: string;
  /** What of each object to keep (trim.ts), applied to listed and watched objects before they are cached. */
  transform?: (obj: T) => T;
  labelSelector?: string;
  fieldSelector?: string;
  onError?: (name: string, err: unknown) => void;
  /** Restart a watch that delivered nothing (not even a reconnect) for this long. */
  silenceMs?: number;
  backoff?: { minMs: number; maxMs: number };
}

export interface InformerHealth {
  name: string;
  synced: boolean;
  /** Consecutive failed attempts to list or watch; 0 while connected. */
  failures: number;
  lastError?: string;
}

export class Informer<T extends KubernetesObject> {
  readonly name: string;
  /** Resolves once the first list has succeeded and been delivered to the handlers. */
  readonly synced: Promise<void>;
  private readonly opts: InformerOptions<T>;
  private readonly listWatch: ListWatch<T>;
  private readonly handlers: InformerHandlers<T>[] = [];
  private hasSynced = false;
  private markSynced!: () => void;
  private stopped = true;
  private failedThisAttempt = false;
  private failures = 0;
  private lastError: string | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastActivity = 0;

  constructor(kc: KubeConfig, opts: InformerOptions<T>) {
    this.name = opts.name;
    this.opts = opts;
    this.synced = new Promise((resolve) => {
      this.markSynced = resolve;
    });
    const keep = opts.transform ?? ((o: T) => o);
    const list = async (): Promise<KubernetesListObject<T>> => {
      const result = await opts.list();
      const type = opts.modelType;
      const wire = (i: T) => (type ? (ObjectSerializer.serialize(i, type, "") as T) : i);
      return { ...result, items: result.items.map((i) => keep(wire(i))) };
    };
    this.listWatch = new ListWatch<T>(
      opts.path,
      opts.transform ? transformingWatch(new Watch(kc), opts.transform) : new Watch(kc),
      list,
      false,
      opts.labelSelector,
      opts.fieldSelector,
    );
    const dispatch = (pick: (h: InformerHandlers<T>) => ((o: T) => void) | undefined) => (obj: T) => {
      this.lastActivity = Date.now();
      for (const h of this.handlers) {
        try {
          pick(h)?.call(h, obj);
        } catch (err) {
          opts.onError?.(this.name, err);
        }
      }
    };
    this.listWatch.on(
      "add",
      dispatch((h) => h.add),
    );
    this.listWatch.on(
      "update",
      dispatch((h) => h.update),
    );
    this.listWatch.on(
      "delete",
      dispatch((h) => h.delete),
    );
    this.listWatch.on("connect", () => {
      this.lastActivity = Date.now();
    });
    // ListWatch stops for good after any error other than 410 or a watch timeout; stop() itself surfaces
    // here as an AbortError, which is not a failure.
    this.listWatch.on("error", (err) => {
      if (this.stopped) return;
      this.failedThisAttempt = true;
      this.scheduleRestart(err);
    });
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt();
    const silenceMs = this.opts.silenceMs ?? 120_000;
    this.watchdog = setInterval(
      () => {
        if (this.stopped || this.restartTimer || Date.now() - this.lastActivity <= silenceMs) return;
        void this.listWatch.stop();
        this.scheduleRestart(new Error(`watch silent for ${Math.round(silenceMs / 1000)}s`));
      },
      Math.min(silenceMs, 10_000),
    );
    this.watchdog.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdog);
    this.restartTimer = undefined;
    void this.listWatch.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.listWatch.list(namespace);
  }

  isSynced(): boolean {
    return this.hasSynced;
  }

  health(): InformerHealth {
    return {
      name: this.name,
      synced: this.hasSynced,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private attempt(): void {
    this.failedThisAttempt = false;
    this.lastActivity = Date.now();
    // start() resumes from the last resource version, or relists (diffing against the cache) after a 410.
    this.listWatch.start().then(
      () => {
        // It resolves even when the list failed; the error handler has then scheduled a retry.
        if (this.stopped || this.failedThisAttempt) return;
        this.failures = 0;
        this.lastError = undefined;
        if (!this.hasSynced) {
          this.hasSynced = true;
          this.markSynced();
        }
      },
      (err) => this.scheduleRestart(err),
    );
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    this.opts.onError?.(this.name, err);
    const { minMs, maxMs } = this.opts.backoff ?? { minMs: 1000, maxMs: 30_000 };
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.attempt();
    }, delay);
  }
}

/** A Watch whose object events carry what `transform` keeps; bookmarks and errors pass as they are. */
function transformingWatch<T>(watch: Watch, transform: (obj: T) => T): Watch {
  const objectEvents = new Set(["ADDED", "MODIFIED", "DELETED"]);
  return {
    watch: (path, query, callback, done) =>
      watch.watch(
        path,
        query,
        (phase, obj, raw) => callback(phase, objectEvents.has(phase) ? transform(obj as T) : obj, raw),
        done,
      ),
  } as Watch;
}
