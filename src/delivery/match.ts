/**
 * Which sent part a status report is about. Pure: the caller passes the report's key and the
 * parts it knows; nothing here does I/O or reads a clock.
 *
 * The key is (modem, TP-MR, recipient in E.164). What the field gets wrong, and how this avoids it:
 * - TP-MR is 8 bits and wraps after 255 sends on one modem: the recipient and the modem narrow
 *   it down, and only parts sent within the window (`queue.deliveryReportHours`, default 72 h)
 *   count; among those the most recent part still open (pending) wins.
 * - SMSCs write the recipient as `+79001234567`, `79001234567` (type unknown) or national
 *   `89001234567`: both sides are normalised to E.164 under the configured country.
 * - The SMSC's own number and its time zone say nothing about which part it means (gammu's
 *   600-second window measured on SMSC time is where reports went missing): the window is
 *   measured on our clock, from when the modem accepted the part to when the report arrived.
 * - A report that fits no open part is never forced onto one: it stays unmatched (the caller
 *   keeps, logs and counts it), including a report for a part that is already final.
 *
 * Limit: two open parts with the same (modem, MR, recipient) inside the window need 256 sends
 * from one modem to one number while the older one still waits for its report; the daily cap
 * (50 notifications/mass texts per recipient) makes that rare. The result says `ambiguous` then.
 */
import type { DeliveryPartRef } from '../store/types.js';
import { normalizeSender, type PhoneOptions, type PhoneRule } from '../util/phone.js';

/**
 * A part the modem accepted with TP-SRR, as the matcher needs to see it: job, seq, TP-MR, modem id,
 * recipient as the job has it, `sentAt` (when `+CMGS` answered) and its delivery state (only
 * `pending` parts take a report).
 */
export type SentPartRef = Pick<DeliveryPartRef, 'jobId' | 'seq' | 'mr' | 'modem' | 'to' | 'sentAt' | 'state'>;

/** What a report says about which part it concerns. */
export interface ReportKey {
  modem: string;
  mr: number;
  /** TP-RA as decoded: `+79001234567`, `79001234567`, `89001234567`, `9001234567`. */
  recipient: string;
}

export interface MatchOptions {
  /** When the report arrived (ms since epoch, our clock). */
  now: number;
  /** Parts sent longer ago than this do not take reports. */
  windowMs: number;
  /** National numbering rule for recipients without a country code. */
  phone: PhoneOptions | PhoneRule;
}

export type UnmatchedReason =
  /** No part with this modem, reference and recipient. */
  | 'no-part'
  /** Such parts exist, but were sent before the window. */
  | 'outside-window'
  /** Such parts exist in the window, but each already has its final state. */
  | 'already-final';

export type MatchResult =
  | { kind: 'matched'; part: SentPartRef; /** Other open parts that had the same key (see the module note). */ ambiguous: number }
  | { kind: 'unmatched'; reason: UnmatchedReason; detail: string };

/** The comparable form of a number: E.164 when it parses as a phone number, else the trimmed text. */
export function recipientKey(number: string, phone: PhoneOptions | PhoneRule): string {
  return normalizeSender(number, phone).toLowerCase();
}

/**
 * Match one report to one of `parts` (any order, any number: the caller may pass every part it
 * has for this modem and reference).
 */
export function matchReport(report: ReportKey, parts: Iterable<SentPartRef>, o: MatchOptions): MatchResult {
  const want = recipientKey(report.recipient, o.phone);
  const since = o.now - o.windowMs;
  let sameKey = 0;
  let inWindow = 0;
  const open: SentPartRef[] = [];
  for (const p of parts) {
    if (p.modem !== report.modem || p.mr !== report.mr || recipientKey(p.to, o.phone) !== want) continue;
    sameKey++;
    if (Date.parse(p.sentAt) < since) continue;
    inWindow++;
    if (p.state === 'pending') open.push(p);
  }
  const what = `modem ${report.modem}, MR ${report.mr}, recipient ${want}`;
  if (open.length > 0) {
    open.sort(newestFirst);
    return { kind: 'matched', part: open[0]!, ambiguous: open.length - 1 };
  }
  if (inWindow > 0) return { kind: 'unmatched', reason: 'already-final', detail: `${inWindow} part(s) with ${what} already have a final state` };
  if (sameKey > 0) return { kind: 'unmatched', reason: 'outside-window', detail: `${sameKey} part(s) with ${what} were sent before ${new Date(since).toISOString()}` };
  return { kind: 'unmatched', reason: 'no-part', detail: `no sent part with ${what}` };
}

/** Most recently sent first; for one instant, the later job and part first. */
function newestFirst(a: SentPartRef, b: SentPartRef): number {
  return Date.parse(b.sentAt) - Date.parse(a.sentAt) || b.jobId.localeCompare(a.jobId, 'en', { numeric: true }) || b.seq - a.seq;
}
