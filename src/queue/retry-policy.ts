/**
 * What to do with an outbound job after a send error: pure and table-driven, so the whole policy
 * can be read (and tested) here without a modem.
 *
 * Errors are recognised by shape (`name`, `cms`, `cme`, `stage`), not `instanceof`, so the queue
 * does not import the AT layer (it "knows nothing of AT commands") and a fake sender can raise them.
 *
 * The policy, by category (CMS codes from 3GPP TS 24.011 §8.2.5.4 / TS 27.005 §3.2.5, CME from 27.007 §9.2):
 *
 * | category        | examples                                                      | action                              |
 * | --------------- | ------------------------------------------------------------- | ----------------------------------- |
 * | `network`       | CMS 38 41 42 47 330 331 332 500 512, CME 30 31 32             | retry with back-off                 |
 * | `modem`         | CMS 300–322 other than below, CME others, plain `ERROR`       | retry with back-off                 |
 * | `link`          | `PortClosedError` / timeout while waiting for the `> ` prompt, `ModemUnavailableError` | retry with back-off (PDU not sent); at once when the modem is down or another modem can take it (worker.ts) |
 * | `invalid-number`| `InvalidNumberError`, CMS 1 21 28 30 96                       | `failed` at once                    |
 * | `barred`        | CMS 8 10 29 50                                                | `failed` at once                    |
 * | `pdu-format`    | CMS 304 305 (our encoder's bug: retrying cannot help)         | `failed` at once                    |
 * | `unencodable`   | `SmsEncodeError` (text over 255 parts…)                       | `failed` at once                    |
 * | `unknown-outcome` | timeout or port closed after the PDU was written; `OK` without `+CMGS: <mr>` | see `onUnknown` below |
 * | `other`         | anything else (a bug, an unexpected error)                    | retry with back-off                 |
 *
 * Back-off: `baseDelayMs * 2^(attempts-1)` capped at `maxDelayMs` (30 s, 1 min, 2 min … 15 min).
 * A job that has used `maxAttempts` attempts is `failed` with reason `attempts-exhausted`.
 *
 * Unknown outcome (the SMS may have reached the network — practice 3: never blindly re-send):
 * - `onUnknown: 'resend-once'` (default): the job is re-queued once after `unknownResendDelayMs`
 *   and `duplicates` counts it (at most `maxUnknownResends` per job, default 1; the same for
 *   replies, notifications and mass texts: a duplicate costs less than a lost message).
 *   A second unknown outcome leaves the job `unknown`.
 * - `onUnknown: 'hold'`: the job goes to `unknown` at once for an operator to look at.
 */

import type { JobPriority } from '../store/types.js';

export type ErrorCategory =
  | 'network'
  | 'modem'
  | 'link'
  | 'invalid-number'
  | 'barred'
  | 'pdu-format'
  | 'unencodable'
  | 'unknown-outcome'
  | 'other';

export type OnUnknown = 'resend-once' | 'hold';

export interface RetryPolicy {
  /** Attempts (each one counted before the PDU is written) before a job fails. Default 8. */
  maxAttempts: number;
  /** First back-off delay. Default 30 s. */
  baseDelayMs: number;
  /** Back-off cap. Default 15 min. */
  maxDelayMs: number;
  /** Default 'resend-once'. */
  onUnknown: OnUnknown;
  /** Delay before the single re-send of an unknown outcome. Default 60 s (let a late `+CMGS` / status report land first). */
  unknownResendDelayMs: number;
  /** Re-sends allowed per job after unknown outcomes (each may duplicate the SMS). Default 1. */
  maxUnknownResends: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
  onUnknown: 'resend-once',
  unknownResendDelayMs: 60_000,
  maxUnknownResends: 1,
});

/** CMS codes by category; codes not listed fall to `modem` (≥ 300) or `network` (< 300). */
export const CMS_CATEGORY: Readonly<Record<number, ErrorCategory>> = Object.freeze({
  1: 'invalid-number', // Unassigned (unallocated) number
  8: 'barred', // Operator determined barring
  10: 'barred', // Call barred
  21: 'invalid-number', // Short message transfer rejected (typically a number the SMSC refuses)
  28: 'invalid-number', // Unidentified subscriber
  29: 'barred', // Facility rejected
  30: 'invalid-number', // Unknown subscriber
  38: 'network', // Network out of order: transient
  41: 'network', // Temporary failure (also what operators answer when they throttle)
  42: 'network', // Congestion
  47: 'network', // Resources unavailable
  50: 'barred', // Requested facility not subscribed
  96: 'invalid-number', // Invalid mandatory information (a malformed destination address)
  304: 'pdu-format', // Invalid PDU mode parameter: wrong length or bad PDU — our bug
  305: 'pdu-format', // Invalid text mode parameter
  330: 'network', // SMSC address unknown (often before registration completes)
  331: 'network', // No network service
  332: 'network', // Network timeout
  500: 'network', // Unknown error: SIMCom/Huawei answer it when not registered
  512: 'network', // Manufacturer specific: SIMCom "SMS send failed" while the network is busy
});

/** CME codes by category (27.007 §9.2); others fall to `modem`. */
export const CME_CATEGORY: Readonly<Record<number, ErrorCategory>> = Object.freeze({
  30: 'network', // No network service
  31: 'network', // Network timeout
  32: 'network', // Network not allowed - emergency calls only
});

/** Categories that end the job at once (no attempt can succeed), with the `reason` recorded. */
const PERMANENT: ReadonlySet<ErrorCategory> = new Set(['invalid-number', 'barred', 'pdu-format', 'unencodable']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  cms?: unknown;
  cme?: unknown;
  stage?: unknown;
  pduWritten?: unknown;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/**
 * The category of a send error.
 * `stage` ('prompt' = before the PDU was written, 'final' = after) or a boolean `pduWritten`
 * decides timeouts and closed ports; a `PortClosedError` carrying neither is taken as "before"
 * because the usual case is a port already closed when `AT+CMGS` was issued.
 */
export function categorize(err: unknown): ErrorCategory {
  if (typeof err !== 'object' || err === null) return 'other';
  const e = err as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'InvalidNumberError' || name === 'InvalidPhoneError' || e.code === 'INVALID_NUMBER') {
    return 'invalid-number';
  }
  if (name === 'SmsEncodeError' || e.code === 'SMS_ENCODE') return 'unencodable';
  // A pool's sender refused at once: the worker's modem is down, nothing was written.
  if (e.code === 'MODEM_UNAVAILABLE') return 'link';
  // Any error that says the PDU was written (e.g. the worker's InterruptedSendError after a crash).
  if (e.pduWritten === true) return 'unknown-outcome';
  const written = e.stage === 'final';
  if (name === 'AtTimeoutError' || e.code === 'AT_TIMEOUT' || name === 'PortClosedError' || e.code === 'PORT_CLOSED') {
    return written ? 'unknown-outcome' : 'link';
  }
  // The driver's ModemProtocolError: the modem ended AT+CMGS without a usable `+CMGS: <mr>` line,
  // i.e. after the PDU went out — it may well have been sent.
  if (name === 'ModemProtocolError' || e.code === 'MODEM_PROTOCOL') return 'unknown-outcome';
  if (e.cms !== undefined) {
    const cms = asNumber(e.cms);
    if (cms === undefined) return 'modem'; // verbose text form (+CMS ERROR: <text>): no code to judge by
    return CMS_CATEGORY[cms] ?? (cms >= 300 ? 'modem' : 'network');
  }
  if (e.cme !== undefined) {
    const cme = asNumber(e.cme);
    return (cme !== undefined && CME_CATEGORY[cme]) || 'modem';
  }
  if (name === 'CommandError') return 'modem';
  return 'other';
}

/** What the worker must do with the job. */
export type RetryDecision =
  | { action: 'retry'; delayMs: number; category: ErrorCategory }
  | { action: 'fail'; reason: string; category: ErrorCategory }
  | { action: 'resend'; delayMs: number; category: 'unknown-outcome' }
  | { action: 'hold'; category: 'unknown-outcome' };

/** Back-off before attempt `attempts + 1`, given `attempts` already made (≥ 1). */
export function backoffMs(attempts: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const n = Math.max(1, attempts);
  // 2^30 already exceeds any sane cap; avoid Infinity for absurd attempt counts.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n - 1, 30));
}

/**
 * Decide after a failed send.
 * @param job attempts already made (including the one that failed) and duplicates so far.
 */
export function decide(
  err: unknown,
  job: { attempts: number; duplicates?: number; priority: JobPriority },
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): RetryDecision {
  const category = categorize(err);
  if (category === 'unknown-outcome') {
    if (policy.onUnknown === 'resend-once' && (job.duplicates ?? 0) < policy.maxUnknownResends) {
      return { action: 'resend', delayMs: policy.unknownResendDelayMs, category };
    }
    return { action: 'hold', category };
  }
  if (PERMANENT.has(category)) return { action: 'fail', reason: category, category };
  if (job.attempts >= policy.maxAttempts) return { action: 'fail', reason: 'attempts-exhausted', category };
  return { action: 'retry', delayMs: backoffMs(job.attempts, policy), category };
}

/** A one-line description of an error for `Job.lastError` (never includes PDUs or secrets). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & ErrorShape;
    const tag = e.cms !== undefined ? ` (CMS ${String(e.cms)})` : e.cme !== undefined ? ` (CME ${String(e.cme)})` : '';
    return `${err.name}: ${err.message}${tag && !err.message.includes(String(e.cms ?? e.cme)) ? tag : ''}`;
  }
  return String(err);
}
