/**
 * Spacing for mass texts: each submitted part books `60 000 / perMinute` ms of modem time, so a
 * campaign never sends faster than the configured rate (operators throttle bulk senders with
 * CMS 41/42; field notes: 6–10 SMS per minute per modem is what the network gives anyway).
 * Replies and notifications never consult it. Not persisted: after a restart the first mass part
 * may go at once, which stays within the rate over any minute that matters.
 */
export class MassRateLimiter {
  private readonly intervalMs: number;
  private nextAt = -Infinity;

  /** @param perMinute SMS parts per minute; `Infinity` or 0 disables the limit. */
  constructor(perMinute: number) {
    if (!(perMinute >= 0)) throw new RangeError(`mass rate must be a non-negative number of parts per minute, got ${perMinute}`);
    this.intervalMs = perMinute === 0 || perMinute === Infinity ? 0 : 60_000 / perMinute;
  }

  /** Milliseconds to wait before the next mass part may start (0 = now). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.nextAt - nowMs);
  }

  /** Books `parts` submissions starting at `startMs` (call once per part written). */
  book(startMs: number, parts = 1): void {
    this.nextAt = Math.max(this.nextAt, startMs) + parts * this.intervalMs;
  }
}
