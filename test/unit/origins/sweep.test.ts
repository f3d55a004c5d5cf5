// The origin sweep (origins/sweep.ts) deletes GAAP objects, so every rule of when it may is pinned down here: only
// origins tagged with this cluster, that no binding of this cluster wants and nothing binds, and never one tagged
// with a binding that has not said what it wants (nor can: its Service is gone); the others are swept regardless.
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { OriginTag, TaggedOrigin } from "../../../src/gaap/types.ts";
import { type OriginStore, OriginSweep } from "../../../src/origins/sweep.ts";

const CLUSTER: OriginTag = { key: "gaap.operator.dev/cluster", value: "test" };

/** Origins in GAAP: tagged ones, which of them something binds, and what was removed. */
class Store implements OriginStore {
  readonly tagsAsked: OriginTag[] = [];
  readonly removed: string[] = [];
  /** IDs GAAP refuses to remove (bound meanwhile). */
  readonly refuse = new Set<string>();
  readonly origins: TaggedOrigin[];
  readonly bound: Set<string>;
  /** What each sweep told the ID cache it may keep. */
  readonly retained: string[][] = [];
  constructor(origins: TaggedOrigin[], bound = new Set<string>()) {
    this.origins = origins;
    this.bound = bound;
  }
  async tagged(tag: OriginTag) {
    this.tagsAsked.push(tag);
    return this.origins.filter((o) => !this.removed.includes(o.id));
  }
  retain(held: ReadonlySet<string>) {
    this.retained.push([...held].sort());
  }
  async boundOf(ids: readonly string[]) {
    return new Set(ids.filter((id) => this.bound.has(id)));
  }
  async remove(ids: readonly string[]) {
    const refused = ids.filter((id) => this.refuse.has(id));
    this.removed.push(...ids.filter((id) => !this.refuse.has(id)));
    return refused;
  }
}

function sweep(store: Store, keys: string[], o: { canWrite?: () => boolean; debounceMs?: number } = {}) {
  return new OriginSweep({
    store,
    log: pino({ level: "silent" }),
    clusterTag: CLUSTER,
    bindingKeys: () => keys,
    canWrite: o.canWrite ?? (() => true),
    debounceMs: o.debounceMs ?? 1,
  });
}

const origins = (...ns: number[]) => ns.map((n) => ({ id: `rs-${n}`, ip: `10.0.0.${n}` }));

describe("OriginSweep", () => {
  it("removes tagged origins no binding wants and nothing binds, asking GAAP by this cluster's tag", async () => {
    const store = new Store(origins(1, 2, 3, 4), new Set(["rs-3"]));
    const s = sweep(store, ["ns/a", "ns/b"]);
    s.want("ns/a", ["10.0.0.1"]);
    s.want("ns/b", ["10.0.0.2"]);
    await s.collect();
    expect(store.removed).toEqual(["rs-4"]);
    expect(store.tagsAsked).toEqual([CLUSTER]);
  });

  it("keeps the origins of a binding that has not said what it wants yet (a cache just synced), and sweeps the rest", async () => {
    const store = new Store([
      ...origins(1),
      { id: "rs-2", ip: "10.0.0.2", binding: "ns/b" },
      { id: "rs-3", ip: "10.0.0.3", binding: "ns/gone" },
    ]);
    const s = sweep(store, ["ns/a", "ns/b"]);
    s.want("ns/a", []);
    await s.collect();
    expect(store.removed).toEqual(["rs-1", "rs-3"]);
  });

  it("a binding whose desired set is unknown keeps only its own origins: others' freed origins are swept", async () => {
    const store = new Store([
      { id: "rs-1", ip: "10.0.0.1", binding: "ns/a" },
      { id: "rs-2", ip: "10.0.0.2", binding: "ns/a" },
      { id: "rs-3", ip: "10.0.0.3", binding: "ns/broken" },
      { id: "rs-4", ip: "10.0.0.4", binding: "ns/broken" },
    ]);
    const s = sweep(store, ["ns/a", "ns/broken"]);
    s.want("ns/a", ["10.0.0.1"]);
    s.want("ns/broken", undefined);
    await s.collect();
    expect(store.removed).toEqual(["rs-2"]);
    // Its Service comes back: its origins are judged like everyone's.
    s.want("ns/broken", ["10.0.0.3"]);
    await s.collect();
    expect(store.removed).toEqual(["rs-2", "rs-4"]);
  });

  it("tells the ID cache what GAAP lists on a full sweep, not on a collect of given IPs", async () => {
    const store = new Store(origins(1, 2));
    const s = sweep(store, ["ns/a"]);
    s.want("ns/a", ["10.0.0.1", "10.0.0.2"]);
    await s.collect();
    await s.collect(new Set(["10.0.0.2"]));
    expect(store.retained).toEqual([["10.0.0.1", "10.0.0.2"]]);
  });

  it("a collect of given IPs (a deleted binding's) touches only those, and keeps what a binding not heard from registered", async () => {
    const store = new Store([...origins(1, 2, 3), { id: "rs-4", ip: "10.0.0.4", binding: "ns/silent" }]);
    const s = sweep(store, ["ns/a", "ns/silent", "ns/broken"]);
    s.want("ns/a", ["10.0.0.1"]);
    s.want("ns/broken", undefined);
    await s.collect(new Set(["10.0.0.1", "10.0.0.2", "10.0.0.4"]));
    expect(store.removed).toEqual(["rs-2"]);
  });

  it("does nothing on a standby (or before the caches are synced)", async () => {
    const store = new Store(origins(1));
    const s = sweep(store, [], { canWrite: () => false });
    await s.collect();
    expect(store.removed).toEqual([]);
    expect(store.tagsAsked).toEqual([]);
  });

  it("leaves an origin GAAP refuses to remove (bound meanwhile) for a later sweep", async () => {
    const store = new Store(origins(1, 2));
    store.refuse.add("rs-1");
    const s = sweep(store, []);
    await s.collect();
    expect(store.removed).toEqual(["rs-2"]);
  });

  it("runs one sweep at a time: a second collect waits for the first", async () => {
    const store = new Store(origins(1));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tagged = store.tagged.bind(store);
    let running = 0;
    let most = 0;
    store.tagged = async (tag) => {
      most = Math.max(most, ++running);
      await gate;
      running--;
      return tagged(tag);
    };
    const s = sweep(store, []);
    const both = Promise.all([s.collect(), s.collect()]);
    release();
    await both;
    expect(most).toBe(1);
    expect(store.removed).toEqual(["rs-1"]);
  });

  it("sweepSoon gathers many calls into one sweep after the delay", async () => {
    const store = new Store(origins(1));
    const s = sweep(store, [], { debounceMs: 5 });
    for (let i = 0; i < 10; i++) s.sweepSoon();
    await expect.poll(() => store.removed, { timeout: 4000 }).toEqual(["rs-1"]);
    expect(store.tagsAsked).toHaveLength(1);
    s.stop();
  });

  it("start sweeps on its own every period, until stop", async () => {
    vi.useFakeTimers();
    try {
      const store = new Store(origins(1));
      const s = sweep(store, []);
      s.start(5);
      await vi.advanceTimersByTimeAsync(11);
      expect(store.tagsAsked).toHaveLength(2);
      expect(store.removed).toEqual(["rs-1"]);
      s.stop();
      await vi.advanceTimersByTimeAsync(50);
      expect(store.tagsAsked).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
