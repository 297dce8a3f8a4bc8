/**
 * Mass texts (campaigns): one text to every number of a recipients file, queued with priority
 * 'mass' so replies and notifications always go first, and paced by the worker's mass rate.
 */
import { randomBytes } from 'node:crypto';
import type { Campaign, JobState, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { parseRecipientsFile, type CsvLineError } from '../util/csv.js';
import type { PhoneOptions, PhoneRule } from '../util/phone.js';
import { pinFields, type PinForAccount } from './account-pin.js';
import { CampaignFileError, CampaignNotFoundError, InvalidRequestError } from './errors.js';
import { optedOutNumbers } from '../store/optout.js';

export interface CampaignRequest {
  text: string;
  /** Shown in listings; default: the file's first line count and date. */
  name?: string;
  /** The recipients file: CSV with a phone column, or one number per line. */
  fileText: string;
  /** Reject the whole file (queue nothing) when any line is bad. */
  strict?: boolean;
  /** The account sending it (`mass --account`): its jobs are attributed, replies route back to it. */
  account?: string;
}

export interface CampaignResult {
  campaignId: string;
  enqueued: number;
  skippedOptOut: number;
  invalid: CsvLineError[];
  duplicates: number;
}

export interface CampaignOptions {
  /** Jobs per store.enqueue call (default 5000): bounds memory and each write. */
  batchSize?: number;
  /** Characters per text (default 1600). */
  maxTextLength?: number;
  /**
   * A stable id for this request (the spool request id): when a campaign with it exists already —
   * the same request applied again after a crash — only the jobs not yet queued are added.
   */
  campaignId?: string;
  clock?: Clock;
  /** The modem of the account's dedicated number: its jobs are pinned to it (see account-pin.ts). */
  pinFor?: PinForAccount;
}

function newCampaignId(nowMs: number): string {
  return `cmp-${nowMs.toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Parses the recipients file, drops bad lines (reported with line numbers), duplicates and
 * opted-out clients, records the campaign, and queues one 'mass' job per recipient in batches.
 * Throws CampaignFileError in strict mode when a line is bad, or when nobody is left to send to.
 */
export async function createCampaign(
  store: Store,
  req: CampaignRequest,
  rule: PhoneOptions | PhoneRule = {},
  o: CampaignOptions = {},
): Promise<CampaignResult> {
  const maxText = o.maxTextLength ?? 1600;
  const batchSize = o.batchSize ?? 5000;
  if (typeof req.text !== 'string' || req.text.trim() === '') throw new InvalidRequestError('campaign text must be a non-empty string');
  if (req.text.length > maxText) throw new InvalidRequestError(`campaign text is ${req.text.length} characters; at most ${maxText} are allowed`);

  const parsed = parseRecipientsFile(req.fileText, rule);
  if (req.strict && parsed.errors.length > 0) {
    const first = parsed.errors[0]!;
    throw new CampaignFileError(
      `recipients file rejected (strict): ${parsed.errors.length} bad line(s), first at line ${first.line}: ${first.message}`,
      parsed.errors,
    );
  }

  // One pass over the clients instead of a lookup per recipient (100k recipients).
  const optedOut = await optedOutNumbers(store);
  const recipients = parsed.phones.filter((p) => !optedOut.has(p.phone));
  const skippedOptOut = parsed.phones.length - recipients.length;
  if (recipients.length === 0) {
    throw new CampaignFileError(
      `no recipients to send to: ${parsed.phones.length} valid number(s), ${skippedOptOut} opted out, ${parsed.errors.length} bad line(s)`,
      parsed.errors,
    );
  }

  const nowMs = (o.clock ?? realClock).now();
  const now = new Date(nowMs).toISOString();
  const existing = o.campaignId ? await store.getCampaign(o.campaignId) : undefined;
  // Jobs are queued in file order, so the ones already there are a prefix of `recipients`.
  const already = existing ? Object.values(await store.campaignProgress(existing.id)).reduce((a, b) => a + b, 0) : 0;
  const campaign: Campaign = existing ?? {
    id: o.campaignId ?? newCampaignId(nowMs),
    name: req.name?.trim() || `campaign ${now.slice(0, 16).replace('T', ' ')} (${recipients.length} recipients)`,
    text: req.text,
    createdAt: now,
    total: recipients.length,
    skippedOptOut,
    skippedInvalid: parsed.errors.length,
    duplicatesRemoved: parsed.duplicates,
  };
  // The campaign first: a crash mid-way leaves a campaign with fewer jobs than `total`, visible in
  // its status, and completed when the same request (same campaignId) is applied again.
  if (!existing) await store.putCampaign(campaign);
  const pin = await pinFields(req.account, o.pinFor);
  let enqueued = already;
  for (let i = already; i < recipients.length; i += batchSize) {
    const batch = recipients.slice(i, i + batchSize).map((r) => ({
      to: r.phone,
      text: req.text,
      priority: 'mass' as const,
      state: 'queued' as const,
      attempts: 0,
      nextAttemptAt: now,
      campaignId: campaign.id,
      ...(req.account ? { account: req.account } : {}),
      ...pin,
    }));
    enqueued += (await store.enqueue(batch)).length;
  }
  return { campaignId: campaign.id, enqueued, skippedOptOut, invalid: parsed.errors, duplicates: parsed.duplicates };
}

export interface CampaignStatus {
  campaign: Campaign;
  counts: Record<JobState, number>;
  /** Jobs queued for the campaign (sum of counts). */
  total: number;
  /** sent + failed + unknown. */
  done: number;
  /** queued + sending. */
  pending: number;
  /** Observed over the most recent sent jobs, else the configured mass rate; undefined if neither. */
  ratePerMinute?: number;
  /** When the pending jobs should be done at that rate (ISO), if known. */
  eta?: string;
}

/** Counts by state, rate and ETA of a campaign; undefined when the id is unknown. */
export async function campaignStatus(
  store: Store,
  id: string,
  o: {
    massPerMinute?: number;
    clock?: Clock;
    sample?: number;
    /**
     * Look for the rate sample only among jobs created since the campaign (its jobs are): the read
     * stops at the first older segment instead of walking the whole history while the campaign has
     * sent fewer than `sample` (the console refreshes every few seconds).
     */
    sinceCreated?: boolean;
  } = {},
): Promise<CampaignStatus | undefined> {
  const campaign = await store.getCampaign(id);
  if (!campaign) return undefined;
  const counts = await store.campaignProgress(id);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const done = counts.sent + counts.failed + counts.unknown;
  const pending = counts.queued + counts.sending;

  // Recent sends only (bounded read): the rate that matters for the ETA is the current one.
  const recent = await store.listJobs({ campaignId: id, state: 'sent', limit: o.sample ?? 100, ...(o.sinceCreated ? { since: campaign.createdAt } : {}) });
  const times = recent.map((j) => Date.parse(j.sentAt ?? '')).filter((t) => !Number.isNaN(t));
  let ratePerMinute: number | undefined;
  if (times.length >= 2) {
    const span = Math.max(...times) - Math.min(...times);
    if (span > 0) ratePerMinute = ((times.length - 1) * 60_000) / span;
  }
  ratePerMinute ??= o.massPerMinute;
  const nowMs = (o.clock ?? realClock).now();
  const eta = ratePerMinute && pending > 0 ? new Date(nowMs + (pending / ratePerMinute) * 60_000).toISOString() : pending === 0 ? new Date(nowMs).toISOString() : undefined;
  return { campaign, counts, total, done, pending, ratePerMinute, eta };
}

/** Why a cancelled campaign's jobs failed (`job.reason`). */
export const CANCELLED_REASON = 'cancelled';

export interface CancelResult {
  campaignId: string;
  /** Jobs that were still queued: now `failed` with reason `cancelled`. */
  cancelled: number;
  /** Jobs a modem was sending at that moment: they finish (a PDU on the air cannot be recalled). */
  sending: number;
}

/**
 * Cancels what is left of a campaign: every job still `queued` becomes `failed` (reason
 * `cancelled`), so no worker claims it. Each job is re-read just before its write: one a worker
 * claimed meanwhile is left to finish. Run by the one writer (`mass.cancel` op: the server, or the
 * CLI when no server runs). Cancelling twice cancels nothing more.
 */
export async function cancelCampaign(store: Store, id: string, o: { clock?: Clock } = {}): Promise<CancelResult> {
  if (!(await store.getCampaign(id))) throw new CampaignNotFoundError(id);
  const queued = await store.listJobs({ campaignId: id, state: 'queued', limit: 1_000_000 });
  const at = new Date((o.clock ?? realClock).now()).toISOString();
  let cancelled = 0;
  for (const j of queued) {
    const now = await store.getJob(j.id);
    if (now?.state !== 'queued') continue;
    await store.updateJob(j.id, { state: 'failed', reason: CANCELLED_REASON, lastError: `campaign cancelled at ${at}` });
    cancelled++;
  }
  const sending = (await store.listJobs({ campaignId: id, state: 'sending', limit: 1_000_000 })).length;
  return { campaignId: id, cancelled, sending };
}
