/** Spreads periodic work: 90-110% of the interval. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.9 + random() * 0.2));
}
