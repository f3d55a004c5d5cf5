// Time as the controllers read it: the process's clock, or a fake one in tests.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Never steps back with the wall clock: for windows that must not stretch when the system time is set. */
export const monotonicClock: Clock = { now: () => performance.now() };
