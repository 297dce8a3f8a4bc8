/**
 * What to do with an outbound job after a send error: pure and table-driven, so the whole policy
 * can be read (and tested) here without a modem.
 *
 * Errors are recognised by their `code` (every typed error of this project carries one), never by
 * class name. What a modem's CMS/CME code means is looked up in the one table, `at/error-codes.ts`.
 *
 * | category        | examples                                                      | action                              |
 * | --------------- | ------------------------------------------------------------- | ----------------------------------- |
 * | `network`       | CMS 27 38 41 42 47 330 331 332 500 512, CME 30 31 32          | retry with back-off                 |
 * | `modem`         | CMS 300–322 other than below, CME others, plain `ERROR`       | retry with back-off                 |
 * | `link`          | port closed / timeout while waiting for the `> ` prompt; a pool modem that is down (`MODEM_UNAVAILABLE`) | retry with back-off (PDU not sent); at once when the modem is down or another modem can take it (worker.ts) |
 * | `invalid-number`| `INVALID_NUMBER`, `INVALID_PHONE`, CMS 1 21 28 30 96          | `failed` at once                    |
 * | `barred`        | CMS 8 10 29 50 69                                             | `failed` at once                    |
 * | `pdu-format`    | CMS 304 305 (our encoder's bug: retrying cannot help)         | `failed` at once                    |
 * | `unencodable`   | `SMS_ENCODE` (text over 255 parts…)                           | `failed` at once                    |
 * | `unknown-outcome` | timeout or port closed after the PDU was written; `OK` without `+CMGS: <mr>`; a restart found the PDU mid-write | see below |
 * | `other`         | anything else (a bug, an unexpected error)                    | retry with back-off                 |
 *
 * Back-off: `baseDelayMs * 2^(attempts-1)` capped at `maxDelayMs` (30 s, 1 min, 2 min … 15 min).
 * A job that has used `maxAttempts` attempts is `failed` with reason `attempts-exhausted`.
 *
 * Unknown outcome (the SMS may have reached the network — practice 3: never blindly re-send):
 * - `onUnknown: 'resend-once'` (default): the job is re-queued at most `maxUnknownResends` times
 *   (default 1) and `duplicates` counts each re-send. The wait depends on the priority
 *   (`unknownResendDelayMs`): a reply (the acknowledgement and the command's result, promised
 *   within 2 minutes) goes again at once — the worker sends only to a modem that is ready, i.e. one
 *   that has answered the supervisor's probe after the fault; notifications and mass texts wait
 *   (default 60 s) so a late `+CMGS` or status report can land first. A second unknown outcome
 *   leaves the job `unknown`.
 * - `onUnknown: 'hold'`: the job goes to `unknown` at once for an operator to look at.
 */

import { cmeClass, cmsClass, type CodeClass } from '../at/error-codes.js';
import type { JobPriority } from '../store/types.js';

/** The modem's code classes (at/error-codes.ts), and what only a send can tell. */
export type ErrorCategory = CodeClass | 'link' | 'unencodable' | 'unknown-outcome' | 'other';

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
  /** Delay before the re-send of an unknown outcome, by priority. Default: replies 0, others 60 s. */
  unknownResendDelayMs: Readonly<Record<JobPriority, number>>;
  /** Re-sends allowed per job after unknown outcomes (each may duplicate the SMS). Default 1. */
  maxUnknownResends: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
  onUnknown: 'resend-once',
  unknownResendDelayMs: Object.freeze({ reply: 0, notification: 60_000, mass: 60_000 }),
  maxUnknownResends: 1,
});

/** Categories that end the job at once (no attempt can succeed), with the `reason` recorded. */
const PERMANENT: ReadonlySet<ErrorCategory> = new Set(['invalid-number', 'barred', 'pdu-format', 'unencodable']);

interface ErrorShape {
  code?: unknown;
  cms?: unknown;
  cme?: unknown;
  stage?: unknown;
}

/**
 * The category of a send error, by its `code`. For a timeout or a closed port, `stage` says whether
 * the PDU had been written ('final') or not ('prompt'); a closed port without a stage is taken as
 * "before": the usual case is a port already closed when `AT+CMGS` was issued.
 */
export function categorize(err: unknown): ErrorCategory {
  if (typeof err !== 'object' || err === null) return 'other';
  const e = err as ErrorShape;
  switch (e.code) {
    case 'INVALID_NUMBER': // the encoder's address field
    case 'INVALID_PHONE': // the number rules
      return 'invalid-number';
    case 'SMS_ENCODE':
      return 'unencodable';
    case 'SEND_INTERRUPTED': // a restart found the part mid-write
    case 'MODEM_PROTOCOL': // AT+CMGS ended without a usable `+CMGS: <mr>`, after the PDU went out
      return 'unknown-outcome';
    case 'AT_TIMEOUT':
    case 'PORT_CLOSED':
      return e.stage === 'final' ? 'unknown-outcome' : 'link';
    case 'SEND_ABORTED': // stopped while waiting for the modem: nothing written
    case 'MODEM_UNAVAILABLE': // a pool's sender refused at once: its modem is down, nothing written
      return 'link';
    case 'CMS_ERROR':
      return typeof e.cms === 'number' || typeof e.cms === 'string' ? cmsClass(e.cms) : 'modem';
    case 'CME_ERROR':
      return typeof e.cme === 'number' || typeof e.cme === 'string' ? cmeClass(e.cme) : 'modem';
    case 'COMMAND_ERROR':
      return 'modem';
    default:
      return 'other';
  }
}

/** What the worker must do with the job. */
export type RetryDecision =
  | { action: 'retry'; delayMs: number; category: ErrorCategory }
  | { action: 'fail'; reason: string; category: ErrorCategory }
  | { action: 'resend'; delayMs: number; category: 'unknown-outcome' }
  | { action: 'hold'; category: 'unknown-outcome' };

/** The per-priority re-send delays for `queue.unknownResendSeconds`: replies never wait (see the table above). */
export function unknownResendDelays(seconds: number): RetryPolicy['unknownResendDelayMs'] {
  return { reply: 0, notification: seconds * 1000, mass: seconds * 1000 };
}

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
      return { action: 'resend', delayMs: policy.unknownResendDelayMs[job.priority], category };
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
