// Per-key memory in one place (runtime/memory.ts): forgetting a key is one call, and a store can say it holds it.
import { describe, expect, it } from "vitest";
import { KeyedMemory } from "../../../src/runtime/memory.ts";
import { ExponentialLimiter } from "../../../src/runtime/queue.ts";

describe("KeyedMemory", () => {
  it("forgets a key in every store, made here or registered, and names the stores that hold one", () => {
    const m = new KeyedMemory();
    const a = m.map<number>("a");
    const b = m.map<string>("b");
    const limiter = new ExponentialLimiter(1, 10, { jitter: 0, counts: m.map("backoff") });
    const registered = new Set<string>();
    m.register("elsewhere", registered);
    a.set("ns/x", 1);
    b.set("ns/x", "y");
    b.set("ns/z", "z");
    limiter.when("ns/x");
    registered.add("ns/x");
    expect(m.holding("ns/x")).toEqual(["a", "b", "backoff", "elsewhere"]);
    expect(m.sizes()).toEqual({ a: 1, b: 2, backoff: 1, elsewhere: 1 });
    m.forget("ns/x");
    expect(m.holding("ns/x")).toEqual([]);
    expect(m.sizes()).toEqual({ a: 0, b: 1, backoff: 0, elsewhere: 0 });
  });

  it("refuses two stores of one name: a second would hide from the sizes", () => {
    const m = new KeyedMemory();
    m.map("a");
    expect(() => m.map("a")).toThrow("a store named a is registered already");
  });
});
