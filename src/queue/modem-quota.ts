/**
 * What one modem sent today, and its SIM's daily limit (config `modems[].dailyCap`: operators cap
 * consumer SIMs at a few hundred SMS a day and block the SIM beyond it). Counted in SMS parts, as
 * operators count, from the parts each job records with `via`; in memory, seeded at start.
 * Reaching the cap stops notifications and mass texts through this modem until local midnight;
 * replies still go (a subscriber who writes always gets an answer).
 */
import type { Job } from '../store/types.js';
import { localDay } from './daily-cap.js';

export class ModemQuota {
  private day = '';
  private sent = 0;

  constructor(
    readonly modem: string,
    /** Parts per local day; undefined: no limit (only counted, for `status`). */
    readonly cap: number | undefined,
    private readonly offsetMinutes: number,
  ) {
    if (cap !== undefined && (!Number.isInteger(cap) || cap < 1)) throw new RangeError(`modem daily cap must be a whole number ≥ 1, got ${cap}`);
  }

  private roll(nowMs: number): void {
    const d = localDay(nowMs, this.offsetMinutes);
    if (d !== this.day) {
      this.day = d;
      this.sent = 0;
    }
  }

  /** Parts sent through this modem since local midnight. */
  sentToday(nowMs: number): number {
    this.roll(nowMs);
    return this.sent;
  }

  reached(nowMs: number): boolean {
    return this.cap !== undefined && this.sentToday(nowMs) >= this.cap;
  }

  /** Counts parts the modem accepted at `atMs`. */
  record(parts: number, atMs: number): void {
    this.roll(atMs);
    if (localDay(atMs, this.offsetMinutes) === this.day) this.sent += parts;
  }

  /** Seeds from sent jobs (see `sentToday` in daily-cap.ts): those this modem sent today. */
  seedFrom(sent: readonly Job[], nowMs: number): void {
    this.roll(nowMs);
    for (const j of sent) {
      if (j.via === this.modem && j.sentAt && localDay(Date.parse(j.sentAt), this.offsetMinutes) === this.day) this.sent += Math.max(1, j.parts?.length ?? 1);
    }
  }
}
