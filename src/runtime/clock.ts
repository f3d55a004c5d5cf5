// Time as the controllers read it: the process's clock, or a fake one in tests.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
