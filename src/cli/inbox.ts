import type { Command } from 'commander';
import { normalizeLogin } from '../accounts/index.js';
import { inboxJson } from '../api/views.js';
import type { InboxEntry, InboxFilter, InboxStatus } from '../store/index.js';
import { action, dataDirOf, intOption, openReadOnly, printJson, UsageError } from './common.js';
import { renderTable } from './table.js';

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

export function registerInbox(program: Command): void {
  program
    .command('inbox')
    .description('list received SMS and calls, newest first')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most N entries', intOption('--limit', 1, 1_000_000), 50)
    .option('--from <phone>', 'only from this sender')
    .option('--since <date>', 'only received at or after this date/time', parseSince)
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`, parseStatus)
    .option('--account <login>', 'only messages routed to this account', parseAccount)
    .option('--follow', 'keep printing new entries as they arrive')
    .option('--data <dir>', 'data folder (default ./data or SMS_SERVER_DATA)')
    .action(
      action(async (o: { json?: boolean; limit: number; from?: string; since?: string; status?: InboxStatus; account?: string; follow?: boolean; data?: string }) => {
        const dir = dataDirOf(o);
        const filter: InboxFilter = { limit: o.limit, from: o.from, since: o.since, status: o.status, account: o.account };
        const store = await openReadOnly(dir);
        const entries = await store.listInbound(filter);
        await store.close();
        if (!o.follow) {
          if (o.json) printJson(entries.map(inboxJson));
          else process.stdout.write(entries.length ? table(entries) + '\n' : 'inbox is empty\n');
          return;
        }
        // --follow: oldest first, then new entries as they land (JSON lines with --json).
        const seen = new Set(entries.map((e) => e.id));
        const show = (list: InboxEntry[]) => {
          for (const e of list.reverse()) {
            if (o.json) process.stdout.write(JSON.stringify(inboxJson(e)) + '\n');
            else process.stdout.write(`${e.receivedAt}  ${e.from}  [${e.status}]  ${e.text}\n`);
          }
        };
        show(entries);
        let stopped = false;
        const stop = () => (stopped = true);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        while (!stopped) {
          await new Promise((r) => setTimeout(r, 1000));
          const s = await openReadOnly(dir);
          const fresh = (await s.listInbound({ ...filter, limit: 200 })).filter((e) => !seen.has(e.id));
          await s.close();
          for (const e of fresh) seen.add(e.id);
          show(fresh);
        }
      }),
    );
}
