/**
 * Notifications: texts to one or more numbers from an application (HTTP API, `send` CLI), queued
 * with priority 'notification'. Every recipient gets its own result: an invalid number or an
 * opted-out client is rejected by itself while the others are queued. Opt-out is checked here and
 * again by the worker at send time (the client may send `sms stop` in between).
 */
import type { Job, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { normalizePhone, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { pinFields, type PinForAccount } from './account-pin.js';
import { InvalidRequestError } from './errors.js';
import { isOptedOut } from '../store/optout.js';

export interface NotificationRequest {
  /** One number or a list, in any accepted form (`+7 900 123-45-67`, `89001234567`). */
  to: string | string[];
  text: string;
  /** The account sending it (HTTP API with its token, `send --account`, SMPP): attributed on the job, replies route back to it. */
  account?: string;
  /** Other job fields fixed by the submitting channel (e.g. an SMPP receipt request). */
  extra?: Pick<Job, 'smppReceipt'>;
  /** Ask for status reports (TP-SRR) for these jobs; unset: the server's `queue.deliveryReports`. */
  report?: boolean;
}

/** Why one recipient was not queued. */
export type RejectReason = 'invalid-number' | 'opted-out' | 'duplicate';

export interface EnqueueResult {
  /** Ids of the queued jobs, in request order. */
  ids: string[];
  jobs: Job[];
  rejected: { to: string; error: RejectReason; message: string }[];
}

export interface NotificationLimits {
  /** Recipients per request (default 1000: bigger lists are a campaign). */
  maxRecipients?: number;
  /** Characters per text (default 1600 ≈ 10 GSM-7 parts / 24 UCS-2 parts). */
  maxTextLength?: number;
  clock?: Clock;
  /** The modem of the account's dedicated number, or of the subscriber's SMS it answers: its jobs are pinned to it (see account-pin.ts). */
  pinFor?: PinForAccount;
}

/** Checks the shape of a request: text and recipients present, within limits. Throws InvalidRequestError. */
export function validateNotification(req: NotificationRequest, limits: NotificationLimits = {}): string[] {
  const maxRecipients = limits.maxRecipients ?? 1000;
  const maxText = limits.maxTextLength ?? 1600;
  if (typeof req.text !== 'string' || req.text.trim() === '') throw new InvalidRequestError('"text" must be a non-empty string');
  if (req.text.length > maxText) {
    throw new InvalidRequestError(`"text" is ${req.text.length} characters; at most ${maxText} are allowed`);
  }
  const list = Array.isArray(req.to) ? req.to : [req.to];
  if (req.report !== undefined && typeof req.report !== 'boolean') {
    throw new InvalidRequestError(`"report" must be true or false, got ${JSON.stringify(req.report)}`);
  }
  if (list.length === 0) throw new InvalidRequestError('"to" must name at least one phone number');
  if (list.length > maxRecipients) {
    throw new InvalidRequestError(`"to" has ${list.length} numbers; at most ${maxRecipients} per request (use a mass campaign)`);
  }
  list.forEach((t, i) => {
    if (typeof t !== 'string') throw new InvalidRequestError(`"to"${Array.isArray(req.to) ? `[${i}]` : ''} must be a string, got ${JSON.stringify(t)}`);
  });
  return list;
}

/**
 * Queues a notification to each valid, opted-in recipient (one job per number).
 * @param rule the national numbering rule for numbers written without a country code.
 */
export async function enqueueNotification(
  store: Store,
  req: NotificationRequest,
  rule: PhoneOptions | PhoneRule = {},
  limits: NotificationLimits = {},
): Promise<EnqueueResult> {
  const list = validateNotification(req, limits);
  const now = new Date((limits.clock ?? realClock).now()).toISOString();
  const rejected: EnqueueResult['rejected'] = [];
  const seen = new Set<string>();
  const accepted: string[] = [];
  for (const raw of list) {
    let phone: string;
    try {
      phone = normalizePhone(raw, rule);
    } catch (e) {
      rejected.push({ to: raw, error: 'invalid-number', message: (e as Error).message });
      continue;
    }
    if (seen.has(phone)) {
      rejected.push({ to: raw, error: 'duplicate', message: `${phone} is already in this request` });
      continue;
    }
    seen.add(phone);
    if (await isOptedOut(store, phone)) {
      rejected.push({ to: raw, error: 'opted-out', message: `${phone} has opted out of notifications (sms stop)` });
      continue;
    }
    accepted.push(phone);
  }
  // Per recipient: an account's text to a subscriber who texted it leaves through that modem.
  const pins = await Promise.all(accepted.map((to) => pinFields(req.account, limits.pinFor, to)));
  const jobs =
    accepted.length === 0
      ? []
      : await store.enqueue(
          accepted.map((to, i) => ({
            to,
            text: req.text,
            priority: 'notification' as const,
            state: 'queued' as const,
            attempts: 0,
            nextAttemptAt: now,
            ...(req.account ? { account: req.account } : {}),
            ...pins[i],
            ...req.extra,
            ...(req.report !== undefined ? { report: req.report } : {}),
          })),
        );
  return { ids: jobs.map((j) => j.id), jobs, rejected };
}
