import { describe, expect, it } from "vitest";
import { PeakWindow } from "../../../src/runtime/peak-window.ts";

describe("the breaker's peak window", () => {
  const run = (windowMs: number, samples: Array<[number, number]>) => {
    let now = 0;
    const w = new PeakWindow(windowMs, { now: () => now });
    return samples.map(([at, count]) => {
      now = at;
      return w.observe("ns/b", count);
    });
  };
  it.each([
    {
      name: "a steady set is its own peak",
      window: 1000,
      s: [
        [0, 5],
        [100, 5],
        [200, 5],
      ],
      want: [5, 5, 5],
    },
    {
      name: "a falling set remembers its peak",
      window: 1000,
      s: [
        [0, 10],
        [100, 9],
        [200, 8],
      ],
      want: [10, 10, 10],
    },
    {
      name: "the peak ages out after the window",
      window: 1000,
      s: [
        [0, 10],
        [500, 6],
        [1001, 6],
      ],
      want: [10, 10, 6],
    },
    {
      name: "a later, lower peak takes over as the first ages out",
      window: 1000,
      s: [
        [0, 10],
        [600, 8],
        [1200, 4],
        [1700, 4],
      ],
      want: [10, 10, 8, 4],
    },
    {
      name: "a rise replaces the peak at once",
      window: 1000,
      s: [
        [0, 3],
        [100, 7],
      ],
      want: [3, 7],
    },
    {
      name: "window 0 remembers nothing",
      window: 0,
      s: [
        [0, 10],
        [1, 2],
      ],
      want: [10, 2],
    },
  ] as Array<{ name: string; window: number; s: Array<[number, number]>; want: number[] }>)(
    "$name",
    ({ window, s, want }) => {
      expect(run(window, s)).toEqual(want);
    },
  );

  it("keeps keys apart and forgets a key", () => {
    let now = 0;
    const w = new PeakWindow(1000, { now: () => now });
    w.observe("a", 10);
    expect(w.observe("b", 2)).toBe(2);
    w.delete("a");
    now = 1;
    expect(w.observe("a", 3)).toBe(3);
    expect(w.size).toBe(2);
  });
});

describe("the peak without a sample", () => {
  it("reads the window's peak and lets old samples go", () => {
    let now = 0;
    const w = new PeakWindow(1000, { now: () => now });
    expect(w.peak("k")).toBe(0);
    w.observe("k", 7);
    now = 500;
    expect(w.peak("k")).toBe(7);
    now = 1001;
    expect(w.peak("k")).toBe(0);
  });

  it("says when the peak falls: as its last sample leaves the window", () => {
    let now = 0;
    const w = new PeakWindow(1000, { now: () => now });
    expect(w.fallsAt("k")).toBeUndefined();
    w.observe("k", 10);
    now = 300;
    w.observe("k", 5);
    expect(w.fallsAt("k")).toBe(1001);
    // Seen again at 10: the peak lasts a window from then.
    now = 400;
    w.observe("k", 10);
    expect(w.fallsAt("k")).toBe(1401);
    now = 1400;
    expect(w.peak("k")).toBe(10);
    // Past it nothing is left: the 10 seen at 400 replaced the 5 seen before it.
    now = 1401;
    expect(w.peak("k")).toBe(0);
    expect(w.fallsAt("k")).toBeUndefined();
    expect(new PeakWindow(0, { now: () => now }).fallsAt("k")).toBeUndefined();
  });

  it("keeps no key whose samples have all left the window", () => {
    let now = 0;
    const w = new PeakWindow(1000, { now: () => now });
    for (let i = 0; i < 50; i++) w.observe(`ns/gone-${i}`, 3);
    now = 1500;
    // Asked about again: dropped when empty.
    expect(w.peak("ns/gone-0")).toBe(0);
    expect(w.size).toBe(49);
    // Never asked about again: swept by the next observation a window later.
    w.observe("ns/live", 2);
    expect(w.size).toBe(1);
    expect(w.peak("ns/live")).toBe(2);
  });
});
