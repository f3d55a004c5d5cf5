import { describe, expect, it } from "vitest";
import { OncePerWindow } from "../../../src/runtime/once-per-window.ts";

describe("the event recorder's once-per-window filter", () => {
  const run = (windowMs: number, offers: Array<[number, string]>) => {
    let now = 0;
    const f = new OncePerWindow(windowMs, { now: () => now });
    const admitted = offers.map(([at, key]) => {
      now = at;
      return f.admit(key);
    });
    return { admitted, remembered: f.size };
  };
  it.each([
    { name: "the first offer goes through", w: 100, offers: [[0, "a"]], want: [true], remembered: 1 },
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
      // The turn at 198 keeps a's generation (a went through at 99) as the previous one; dropping it there would let
      // a through again at 198.
      name: "a key stays remembered until a window after its admission, across a turn",
      w: 100,
      offers: [
        [0, "x"],
        [99, "a"],
        [198, "a"],
        [199, "a"],
      ],
      want: [true, true, false, true],
      remembered: 3,
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
      remembered: 1,
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
  ] as Array<{
    name: string;
    w: number;
    offers: Array<[number, string]>;
    want: boolean[];
    remembered?: number;
  }>)("$name", ({ w, offers, want, remembered }) => {
    const got = run(w, offers);
    expect(got.admitted).toEqual(want);
    if (remembered !== undefined) expect(got.remembered).toBe(remembered);
  });

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
