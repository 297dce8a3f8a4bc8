/**
 * What the console shows, read from the store: the status snapshot the server publishes (modems),
 * queue counts, campaigns with progress and ETA, the inbox with filters and paging, the outbox,
 * accounts and their forwards. Read-only: actions go through the server's ops (routes.ts).
 */
import { createHash } from 'node:crypto';
import { campaignStatus, type CampaignStatus } from '../../queue/mass.js';
import type { Account, Forward } from '../../store/account-types.js';
import type { InboxEntry, InboxStatus, Job, JobPriority, JobState, PoolModemStatus, Store } from '../../store/types.js';

export const PRIORITIES: readonly JobPriority[] = ['reply', 'notification', 'mass'];
export const JOB_STATES: readonly JobState[] = ['queued', 'sending', 'sent', 'failed', 'unknown'];

export interface ModemRow extends PoolModemStatus {
  /** 0–5 bars from AT+CSQ (rssi 0–31; 99 or unknown: 0). */
  bars: number;
  /** Queued jobs pinned to this modem, by priority. */
  queue: Record<JobPriority, number>;
}

export interface Dashboard {
  updatedAt?: string;
  modems: ModemRow[];
  /** Waiting or being sent and not pinned to one modem, by priority (any ready modem takes them). */
  unpinned: Record<JobPriority, number>;
  campaigns: CampaignStatus[];
  forwards: { pending: number; failed: number };
  /** The newest inbound SMS and calls. */
  inbox: InboxEntry[];
}

export interface InboxQuery {
  status?: InboxStatus;
  account?: string;
  /** The route that claimed it (`command`, `chat`, `prefix`, …; `none`). */
  route?: string;
  /** Part of the sender. */
  sender?: string;
  /** Part of the text (case-insensitive). */
  q?: string;
  page: number;
}

export interface InboxPage {
  entries: InboxEntry[];
  page: number;
  /** Another page follows. */
  more: boolean;
  /** The scan reached its bound: older entries were not searched. */
  truncated: boolean;
}

export const INBOX_PAGE_SIZE = 50;
/** The most entries one filtered inbox page reads (newest first); older ones are not searched. */
export const INBOX_SCAN_LIMIT = 20_000;
const CAMPAIGNS_SHOWN = 10;

/** Signal bars as phones show them: ≤ -107 dBm none … ≥ -73 dBm five (rssi = (dBm + 113) / 2). */
export function signalBars(rssi: number | undefined): number {
  if (rssi === undefined || rssi === 99 || rssi <= 2) return 0;
  if (rssi >= 20) return 5;
  if (rssi >= 15) return 4;
  if (rssi >= 10) return 3;
  if (rssi >= 6) return 2;
  return 1;
}

const zero = (): Record<JobPriority, number> => ({ reply: 0, notification: 0, mass: 0 });

export class AdminData {
  constructor(private readonly store: Store) {}

  async dashboard(): Promise<Dashboard> {
    const status = await this.store.getStatus();
    const counts = await this.store.queueCounts();
    const unpinned = { ...zero(), ...counts.byPriority };
    // Pinned counts come from the store's queue index; the priorities of a modem's pinned jobs need
    // a read of the open job segments, so only for a modem that has some.
    const pinned = (await this.store.queuedByModem()).pinned;
    const modems: ModemRow[] = [];
    for (const m of status?.modems ?? []) {
      const queue = zero();
      if (pinned[m.id]) for (const j of await this.store.listJobs({ state: 'queued', modem: m.id, limit: 1_000_000 })) queue[j.priority]++;
      for (const p of PRIORITIES) unpinned[p] = Math.max(0, unpinned[p] - queue[p]);
      modems.push({ ...m, bars: signalBars(m.signal?.rssi), queue });
    }
    const campaigns = await this.campaigns();
    const forwards = { pending: (await this.store.pendingForwards()).length, failed: (await this.store.listForwards({ status: 'failed' })).length };
    const inbox = await this.store.listInbound({ limit: 5 });
    return { updatedAt: status?.updatedAt, modems, unpinned, campaigns, forwards, inbox };
  }

  /** The newest campaigns with progress, rate and ETA. */
  async campaigns(): Promise<CampaignStatus[]> {
    const out: CampaignStatus[] = [];
    for (const c of (await this.store.listCampaigns()).slice(-CAMPAIGNS_SHOWN).reverse()) {
      const s = await campaignStatus(this.store, c.id, { sinceCreated: true });
      if (s) out.push(s);
    }
    return out;
  }

  /** Newest first, filtered, one page. The store filters status/account; route, sender and text here. */
  async inbox(q: InboxQuery): Promise<InboxPage> {
    const scanned = await this.store.listInbound({ status: q.status, account: q.account, limit: INBOX_SCAN_LIMIT });
    const sender = q.sender?.trim();
    const text = q.q?.trim().toLowerCase();
    const matching = scanned.filter(
      (e) =>
        (!q.route || (e.routedBy ?? '') === q.route) &&
        (!sender || e.from.includes(sender)) &&
        (!text || e.text.toLowerCase().includes(text) || (e.originalText ?? '').toLowerCase().includes(text)),
    );
    const start = q.page * INBOX_PAGE_SIZE;
    return { entries: matching.slice(start, start + INBOX_PAGE_SIZE), page: q.page, more: matching.length > start + INBOX_PAGE_SIZE, truncated: scanned.length >= INBOX_SCAN_LIMIT };
  }

  /** The newest jobs, optionally of one state. */
  outbox(state?: JobState, limit = 100): Promise<Job[]> {
    return this.store.listJobs({ ...(state ? { state } : {}), limit });
  }

  /** Every account with its forwards still pending and those that failed (newest first, bounded). */
  async accounts(): Promise<{ account: Account; pending: Forward[]; failed: Forward[] }[]> {
    const out = [];
    for (const account of await this.store.listAccounts()) {
      out.push({
        account,
        pending: await this.store.listForwards({ account: account.login, status: 'pending', limit: 50 }),
        failed: await this.store.listForwards({ account: account.login, status: 'failed', limit: 50 }),
      });
    }
    return out;
  }

  /**
   * A short fingerprint of what one page shows (`dashboard`, `inbox`, `outbox`, `accounts`): the
   * live stream tells a browser to refresh when it changes. Cheap reads only (indexes and the newest
   * records), so the inbox's search is not re-run for a change it cannot show.
   */
  async fingerprint(section = 'dashboard'): Promise<string> {
    return createHash('sha256').update(JSON.stringify(await this.fingerprintParts(section))).digest('base64url').slice(0, 16);
  }

  private async fingerprintParts(section: string): Promise<unknown[]> {
    const newestInbound = async () => {
      const [e] = await this.store.listInbound({ limit: 1 });
      return [e?.id, e?.status];
    };
    const forwards = async () => {
      const [f] = await this.store.listForwards({ limit: 1 });
      return [f?.id, f?.status, (await this.store.pendingForwards()).length, (await this.store.listForwards({ status: 'failed' })).length];
    };
    switch (section) {
      case 'inbox':
        return newestInbound();
      case 'outbox':
        return [await this.store.queueCounts(), (await this.store.listCampaigns()).length];
      case 'accounts':
        return forwards();
      default: {
        const status = await this.store.getStatus();
        const modems = status?.modems?.map((m) => [m.state, m.signal?.rssi, m.operator, m.registration, m.sentToday, m.lastFault?.at]);
        return [modems, await this.store.queueCounts(), (await this.store.listCampaigns()).length, await newestInbound(), await forwards()];
      }
    }
  }
}
