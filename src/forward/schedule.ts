/**
 * When a forward is tried again: the Standard Webhooks schedule — at once, then 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the previous attempt (≈ 3 days in all), each delay
 * spread by ±10 % so a receiver coming back is not hit by every queued message at the same instant.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];

export const JITTER = 0.1;

/**
 * Delay before the next attempt after `tries` attempts, or undefined when the schedule is used up
 * (the forward has failed). `random` returns [0, 1).
 */
export function retryDelay(tries: number, random: () => number = Math.random, schedule: readonly number[] = RETRY_SCHEDULE_MS): number | undefined {
  if (tries >= schedule.length) return undefined;
  const base = schedule[tries]!;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
