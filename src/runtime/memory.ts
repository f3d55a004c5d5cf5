// What a controller remembers of each key beyond its informer cache, in one place. Every store that keeps something
// per key is made or registered here, so forgetting a key (its object is gone) is one call, and a test can ask which
// stores still hold a key. A store kept anywhere else is a leak waiting to happen (issue 14 found five).

/** A per-key store that can drop one key and say how many it holds. */
export interface KeyedStore {
  delete(key: string): unknown;
  has(key: string): boolean;
  readonly size: number;
}

export class KeyedMemory {
  private readonly stores = new Map<string, KeyedStore>();

  /** A new map kept here under `name`. */
  map<V>(name: string): Map<string, V> {
    const m = new Map<string, V>();
    this.register(name, m);
    return m;
  }

  /** A store made elsewhere (an adapter's record of its own writes, a limiter's failure counts). */
  register(name: string, store: KeyedStore): void {
    if (this.stores.has(name)) throw new Error(`a store named ${name} is registered already`);
    this.stores.set(name, store);
  }

  /** The key's object is gone: every store lets go of it. */
  forget(key: string): void {
    for (const s of this.stores.values()) s.delete(key);
  }

  /** The stores that hold this key. */
  holding(key: string): string[] {
    return [...this.stores].filter(([, s]) => s.has(key)).map(([name]) => name);
  }

  /** How many keys each store holds, by name. */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.stores].map(([name, s]) => [name, s.size]));
  }
}
