import { describe, expect, it } from "vitest";
import { OncePerWindow } from "../../../src/runtime/once-per-window.ts";

describe("the event recorder's once-per-window filter", () => {
  const run = (windowMs: number, offers: Array<[number, string]>) => {
    let now = 0;
    const f = new OncePerWindow(windowMs, { now: () => now });
    return offers.map(([at, key]) => {
      now = at;
      return f.admit(key);
    });
  };
  it.each([
    { name: "the first offer goes through", w: 100, offers: [[0, "a"]], want: [true] },
    {
      name: "a repeat within the window is held",
      w: 100,
      offers: [
        [0, "a"],
        [50, "a"],
        [99, "a"],
      ],
      want: [true, false, false],
    },
    {
      name: "a repeat a window later goes through",
      w: 100,
      offers: [
        [0, "a"],
        [100, "a"],
      ],
      want: [true, true],
    },
    {
      name: "keys are judged apart",
      w: 100,
      offers: [
        [0, "a"],
        [1, "b"],
        [2, "a"],
      ],
      want: [true, true, false],
    },
    {
      // Admitted late in one generation, offered again early in the next: found in the previous one.
      name: "a key held across a generation turn",
      w: 100,
      offers: [
        [90, "a"],
        [100, "b"],
        [150, "a"],
        [189, "a"],
        [190, "a"],
      ],
      want: [true, true, false, false, true],
    },
    {
      name: "a long quiet drops both generations",
      w: 100,
      offers: [
        [0, "a"],
        [99, "b"],
        [250, "b"],
      ],
      want: [true, true, true],
    },
    {
      name: "a window of 0 holds nothing back",
      w: 0,
      offers: [
        [0, "a"],
        [0, "a"],
      ],
      want: [true, true],
    },
  ] as Array<{ name: string; w: number; offers: Array<[number, string]>; want: boolean[] }>)(
    "$name",
    ({ w, offers, want }) => expect(run(w, offers)).toEqual(want),
  );

  it("remembers at most two windows of keys under endless churn", () => {
    let now = 0;
    const f = new OncePerWindow(1000, { now: () => now });
    let most = 0;
    // One new key every millisecond for 60 windows: the old filter grew to its 10,000-entry cap before it pruned.
    for (; now < 60_000; now++) {
      expect(f.admit(`k${now}`)).toBe(true);
      most = Math.max(most, f.size);
    }
    expect(most).toBeLessThanOrEqual(2000);
    expect(f.size).toBeGreaterThanOrEqual(1000);
  });
});
