/**
 * Per-recipient daily cap on notifications and mass texts (replies are never capped: a customer who
 * writes to us always gets an answer). Counts live in memory for the current day only and are
 * seeded once at start from the store's sent jobs, so nothing is written per send.
 */
import type { Job, Store } from '../store/types.js';

export class DailyCap {
  private day = '';
  private counts = new Map<string, number>();

  /**
   * @param cap messages per recipient per day (notification + mass).
   * @param offsetMinutes the operator's UTC offset: the day starts at local midnight there.
   */
  constructor(
    readonly cap: number,
    private readonly offsetMinutes: number,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`daily cap must be a whole number ≥ 1, got ${cap}`);
  }

  /** The local calendar day (YYYY-MM-DD) of an instant. */
  dayOf(ms: number): string {
    return new Date(ms + this.offsetMinutes * 60_000).toISOString().slice(0, 10);
  }

  private roll(nowMs: number): void {
    const d = this.dayOf(nowMs);
    if (d !== this.day) {
      this.day = d;
      this.counts = new Map();
    }
  }

  /** True when the recipient already had `cap` capped messages today. */
  reached(to: string, nowMs: number): boolean {
    this.roll(nowMs);
    return (this.counts.get(to) ?? 0) >= this.cap;
  }

  /** Counts one capped message sent to `to` at `atMs`. */
  record(to: string, atMs: number): void {
    this.roll(atMs);
    if (this.dayOf(atMs) !== this.day) return;
    this.counts.set(to, (this.counts.get(to) ?? 0) + 1);
  }

  /** Seeds today's counts from sent notification and mass jobs (one scan at start). */
  async seed(store: Store, nowMs: number): Promise<void> {
    this.roll(nowMs);
    for (const priority of ['notification', 'mass'] as const) {
      const sent: Job[] = await store.listJobs({ state: 'sent', priority });
      for (const j of sent) {
        if (j.sentAt && this.dayOf(Date.parse(j.sentAt)) === this.day) this.record(j.to, Date.parse(j.sentAt));
      }
    }
  }
}
