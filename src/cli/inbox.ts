import type { Command } from 'commander';
import { normalizeLogin } from '../accounts/index.js';
import { inboxJson } from '../api/views.js';
import type { InboxEntry, InboxFilter, InboxStatus, Store } from '../store/index.js';
import { nationalForm, normalizeSender } from '../util/phone.js';
import { loadConfig } from '../config/config.js';
import { action, dataDirOf, intOption, noteMore, openReadOnly, printJson, UsageError } from './common.js';
import { renderTable } from './table.js';
import { terminalSafe } from './terminal-safe.js';

const STATUSES: InboxStatus[] = ['new', 'processed', 'ignored', 'rejected', 'error', 'call'];

function parseSince(v: string): string {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--since must be a date like 2026-11-21 or 2026-11-21T10:00:00Z, got "${v}"`);
  return new Date(t).toISOString();
}

function parseAccount(v: string): string {
  try {
    return normalizeLogin(v);
  } catch (e) {
    throw new UsageError(`--account: ${(e as Error).message}`);
  }
}

function parseStatus(v: string): InboxStatus {
  if (!STATUSES.includes(v as InboxStatus)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, got "${v}"`);
  return v as InboxStatus;
}

/** The JSON shape of an inbox entry: shared with the HTTP API (`GET /inbox`). */
export { inboxJson };

function table(entries: InboxEntry[]): string {
  return renderTable(entries, [
    { header: 'ID', get: (e) => e.id },
    { header: 'RECEIVED', get: (e) => e.receivedAt.replace('T', ' ').slice(0, 19) },
    { header: 'FROM', get: (e) => e.from, max: 20 },
    { header: 'STATUS', get: (e) => e.status },
    { header: 'ACCOUNT', get: (e) => e.account ?? '' },
    { header: 'PARTS', get: (e) => (e.incomplete ? `${e.parts - e.incomplete.missing.length}/${e.parts}` : String(e.parts)) },
    { header: 'TEXT', get: (e) => (e.status === 'error' ? `⚠ ${e.error ?? ''}` : e.text), max: 60 },
  ]);
}

/** --follow reads the newest this many entries each second (a burst bigger than this between two polls is cut). */
const FOLLOW_WINDOW = 200;

/**
 * The forms a sender may be stored in: as the network gave it (`+79001234567` or national
 * `89001234567`). The filter is normalised like every number the CLI takes, then matched against
 * both forms.
 */
function senderForms(from: string, country: string): string[] {
  const normal = normalizeSender(from, { country });
  const national = normal.startsWith('+') ? nationalForm(normal, { country }) : undefined;
  return [...new Set([normal, from.trim(), ...(national ? [national] : [])])];
}

/** Newest first, at most `limit`, from any of `senders` (undefined: any sender). */
async function listFromAny(store: Store, filter: InboxFilter, senders: (string | undefined)[], limit: number): Promise<InboxEntry[]> {
  const lists = await Promise.all(senders.map((from) => store.listInbound({ ...filter, from, limit })));
  if (lists.length === 1) return lists[0]!;
  const byId = new Map(lists.flat().map((e) => [e.id, e]));
  return [...byId.values()].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id, 'en', { numeric: true })).slice(0, limit);
}

export function registerInbox(program: Command): void {
  program
    .command('inbox')
    .description('list received SMS and calls, newest first')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most N entries', intOption('--limit', 1, 1_000_000), 50)
    .option('--from <phone>', 'only from this sender (any form of the number: +79001234567, 89001234567, 8 900 123-45-67)')
    .option('--since <date>', 'only received at or after this date/time', parseSince)
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`, parseStatus)
    .option('--account <login>', 'only messages routed to this account', parseAccount)
    .option('--follow', 'keep printing new entries as they arrive')
    .option('--data <dir>', 'data folder (default ./data or SMS_SERVER_DATA)')
    .option('--config <file>', 'config file (for "country": how national numbers read)')
    .action(
      action(async (o: { json?: boolean; limit: number; from?: string; since?: string; status?: InboxStatus; account?: string; follow?: boolean; data?: string; config?: string }) => {
        const dir = dataDirOf(o);
        const filter: InboxFilter = { since: o.since, status: o.status, account: o.account };
        const senders = o.from === undefined ? [undefined] : senderForms(o.from, loadConfig({ dataDir: o.data, configFile: o.config }).country);
        const list = async (limit: number) => {
          const store = await openReadOnly(dir);
          try {
            return await listFromAny(store, filter, senders, limit);
          } finally {
            await store.close();
          }
        };
        // --follow: the poll window below; the listing shows the newest --limit of it.
        const window = o.follow ? Math.max(o.limit, FOLLOW_WINDOW) : o.limit + 1;
        const all = await list(window);
        const entries = all.slice(0, o.limit);
        if (all.length > o.limit && !o.follow) noteMore('inbox entries', o.limit);
        if (!o.follow) {
          if (o.json) printJson(entries.map(inboxJson));
          else process.stdout.write(entries.length ? table(entries) + '\n' : 'inbox is empty\n');
          return;
        }
        // --follow: oldest first, then new entries as they land (JSON lines with --json). Entries
        // beyond --limit are marked seen, not printed: only new ones follow.
        const seen = new Set(all.map((e) => e.id));
        const show = (list: InboxEntry[]) => {
          for (const e of list.reverse()) {
            if (o.json) process.stdout.write(JSON.stringify(inboxJson(e)) + '\n');
            else process.stdout.write(`${e.receivedAt}  ${terminalSafe(e.from)}  [${e.status}]  ${terminalSafe(e.text)}\n`);
          }
        };
        show(entries);
        let stopped = false;
        const stop = () => (stopped = true);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        while (!stopped) {
          await new Promise((r) => setTimeout(r, 1000));
          const fresh = (await list(FOLLOW_WINDOW)).filter((e) => !seen.has(e.id));
          for (const e of fresh) seen.add(e.id);
          show(fresh);
        }
      }),
    );
}
