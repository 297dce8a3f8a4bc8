/**
 * Per-recipient daily cap on notifications and mass texts (replies are never capped: a customer who
 * writes to us always gets an answer). Counts live in memory for the current day only and are
 * seeded once at start from the store's sent jobs, so nothing is written per send. With several
 * modems one cap is shared by their workers (two sending to one recipient at the same moment may
 * overshoot it by one each).
 */
import type { Job, Store } from '../store/types.js';

/** The local calendar day (YYYY-MM-DD) of an instant, for an operator `offsetMinutes` from UTC. */
export function localDay(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** Local midnight at the start of the day of `ms`, as epoch ms. */
export function localMidnight(ms: number, offsetMinutes: number): number {
  return Date.parse(`${localDay(ms, offsetMinutes)}T00:00:00.000Z`) - offsetMinutes * 60_000;
}

/** Jobs sent since local midnight (one scan that seeds every per-day counter: the cap and each modem's quota). */
export async function sentToday(store: Store, nowMs: number, offsetMinutes: number): Promise<Job[]> {
  const since = new Date(localMidnight(nowMs, offsetMinutes)).toISOString();
  return store.listJobs({ state: 'sent', since, timeField: 'sentAt' });
}

/** Capped texts sent to `to` since `since` (ISO) by every host sharing the store. */
export type SentCounter = (to: string, since: string) => Promise<number>;

/** A SentCounter over the store's jobs (an indexed query by recipient on PostgreSQL). */
export function storeSentCounter(store: Store): SentCounter {
  return async (to, since) => (await store.listJobs({ to, state: 'sent', since, timeField: 'sentAt' })).filter((j) => j.priority !== 'reply').length;
}

export class DailyCap {
  private day = '';
  private counts = new Map<string, number>();

  /**
   * @param cap messages per recipient per day (notification + mass).
   * @param offsetMinutes the operator's UTC offset: the day starts at local midnight there.
   */
  constructor(
    readonly cap: number,
    readonly offsetMinutes: number,
    /** Several hosts on one store: today's count is read from it before each check (their sends too). */
    private readonly shared?: SentCounter,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`daily cap must be a whole number ≥ 1, got ${cap}`);
  }

  /** The local calendar day (YYYY-MM-DD) of an instant. */
  dayOf(ms: number): string {
    return localDay(ms, this.offsetMinutes);
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

  /** `reached`, after taking in what other hosts sent to `to` today when the store is shared. */
  async check(to: string, nowMs: number): Promise<boolean> {
    if (this.shared) {
      const n = await this.shared(to, new Date(localMidnight(nowMs, this.offsetMinutes)).toISOString());
      this.roll(nowMs);
      if (n > (this.counts.get(to) ?? 0)) this.counts.set(to, n);
    }
    return this.reached(to, nowMs);
  }

  /** Counts one capped message sent to `to` at `atMs`. */
  record(to: string, atMs: number): void {
    this.roll(atMs);
    if (this.dayOf(atMs) !== this.day) return;
    this.counts.set(to, (this.counts.get(to) ?? 0) + 1);
  }

  /** Seeds today's counts from sent notification and mass jobs (one scan at start). */
  async seed(store: Store, nowMs: number): Promise<void> {
    this.seedFrom(await sentToday(store, nowMs, this.offsetMinutes), nowMs);
  }

  /** Seeds from sent jobs already listed (see `sentToday`); replies and other days are skipped. */
  seedFrom(sent: readonly Job[], nowMs: number): void {
    this.roll(nowMs);
    for (const j of sent) {
      if (j.priority !== 'reply' && j.sentAt && this.dayOf(Date.parse(j.sentAt)) === this.day) this.record(j.to, Date.parse(j.sentAt));
    }
  }
}
