// Garbage collection of origin servers: the operator removes origins it registered (tagged with its cluster)
// once no binding of this cluster wants them and GAAP says nothing binds them. Level-triggered: a sweep looks at
// everything tagged, so an origin left behind by a crash is found by the next sweep. A binding that cannot say what
// it wants (its Service is gone, or it has not been reconciled yet) keeps the origins tagged with its name; it never
// stops the sweep for everyone else.
import type { Logger } from "pino";
import type { OriginTag, TaggedOrigin } from "../gaap/types.ts";

/** The origin-server calls a sweep makes. */
export interface OriginStore {
  tagged(tag: OriginTag): Promise<TaggedOrigin[]>;
  /** What GAAP lists under the cluster's tag: the ID cache may forget the rest (origin-registry.ts retain). */
  retain?(held: ReadonlySet<string>): void;
  /** Which of these origins something binds (any listener, any client). */
  boundOf(ids: readonly string[]): Promise<Set<string>>;
  /** Removes origins; resolves to those GAAP refused because something bound them meanwhile. */
  remove(ids: readonly string[]): Promise<string[]>;
}

export interface OriginSweepOptions {
  store: OriginStore;
  log: Logger;
  clusterTag: OriginTag;
  /** Bindings known to the caches: one that has not said what it wants keeps the origins tagged with its name. */
  bindingKeys: () => string[];
  canWrite: () => boolean;
  /** Delay between a change that may free origins and the sweep that collects them. */
  debounceMs: number;
  /** Where the IPs each binding wants are kept (the binding controller's memory): they go when the binding does. */
  wanted?: Map<string, Set<string> | undefined>;
}

export class OriginSweep {
  private readonly o: OriginSweepOptions;
  /** IPs each binding wants; undefined (or absent) while a binding's desired set is unknown. */
  private readonly wanted: Map<string, Set<string> | undefined>;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(opts: OriginSweepOptions) {
    this.o = opts;
    this.wanted = opts.wanted ?? new Map();
  }

  want(bindingKey: string, ips: string[] | undefined): void {
    this.wanted.set(bindingKey, ips ? new Set(ips) : undefined);
  }

  /** Sweeps every `everyMs` from now on: an origin left behind by a crash is found without any change. */
  start(everyMs: number): void {
    this.periodic = setInterval(() => this.collectLogged(), everyMs);
    this.periodic.unref();
  }

  /** A change may have freed origins: sweep once the debounce delay has passed (many calls, one sweep). */
  sweepSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collectLogged();
    }, this.o.debounceMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.periodic);
  }

  private collectLogged(): void {
    this.collect().catch((err) => this.o.log.warn({ err: String(err) }, "origin sweep failed"));
  }

  /** Removes our unused origins: all of them, or only those with these IPs. */
  async collect(only?: ReadonlySet<string>): Promise<void> {
    while (this.running) await this.running;
    this.running = this.sweep(only).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(only?: ReadonlySet<string>): Promise<void> {
    if (!this.o.canWrite()) return;
    const inUse = new Set<string>();
    /** Bindings whose desired set is unknown: their own origins stay. */
    const unknown = new Set<string>();
    for (const key of this.o.bindingKeys()) {
      const ips = this.wanted.get(key);
      if (ips === undefined) unknown.add(key);
      for (const ip of ips ?? []) inUse.add(ip);
    }
    const tagged = await this.o.store.tagged(this.o.clusterTag);
    if (!only) this.o.store.retain?.(new Set(tagged.map((t) => t.ip)));
    const candidates = tagged.filter(
      (t) => !inUse.has(t.ip) && !(t.binding && unknown.has(t.binding)) && (!only || only.has(t.ip)),
    );
    if (candidates.length === 0) return;
    const bound = await this.o.store.boundOf(candidates.map((c) => c.id));
    const unused = candidates.filter((c) => !bound.has(c.id));
    if (unused.length === 0) return;
    const refused = new Set(await this.o.store.remove(unused.map((c) => c.id)));
    const removed = unused.length - refused.size;
    if (removed > 0)
      this.o.log.info({ removed, bindingsUnknown: unknown.size }, "removed unused origin servers");
  }
}
