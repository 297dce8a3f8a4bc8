/**
 * `forwards`: every webhook / e-mail forward with its attempts (time, HTTP status or SMTP reply,
 * error) and the next attempt — nothing is "stuck pending" out of sight; `forwards retry --id`
 * re-arms a failed one.
 */
import type { Command } from 'commander';
import { normalizeLogin } from '../accounts/index.js';
import { FORWARD_STATUSES, type Forward, type ForwardStatus } from '../store/index.js';
import { action, applyOp, cliConfig, intOption, openReadOnly, printJson, UsageError, type DataOpts } from './common.js';
import { renderTable } from './table.js';

/** The JSON shape of a forward (a contract for scripts). */
export function forwardJson(f: Forward): Record<string, unknown> {
  return {
    id: f.id,
    messageId: f.messageId,
    account: f.account,
    channel: f.channel,
    target: f.target,
    type: f.type,
    ref: f.ref,
    status: f.status,
    tries: f.tries,
    attempts: f.attempts,
    nextAttemptAt: f.nextAttemptAt ?? null,
    createdAt: f.createdAt,
    deliveredAt: f.deliveredAt ?? null,
    reason: f.reason ?? null,
    payload: f.payload,
  };
}

const short = (iso: string | undefined) => (iso ?? '').replace('T', ' ').slice(0, 19);

function lastAttempt(f: Forward): string {
  const a = f.attempts.at(-1);
  if (!a) return '';
  const what = [a.status !== undefined ? String(a.status) : '', a.error ?? ''].filter(Boolean).join(' ');
  return `${short(a.at)} ${what}`.trim();
}

export function registerForwards(program: Command): void {
  const forwards = program
    .command('forwards')
    .description('webhook and e-mail forwards with their attempts and next attempt, newest first; `forwards retry --id ID`')
    .option('--json', 'print JSON')
    .option('--account <login>', 'only this account')
    .option('--status <status>', `only this status (${FORWARD_STATUSES.join(', ')})`, (v: string) => {
      if (!FORWARD_STATUSES.includes(v as ForwardStatus)) throw new UsageError(`--status must be one of ${FORWARD_STATUSES.join(', ')}, got "${v}"`);
      return v as ForwardStatus;
    })
    .option('--limit <n>', 'at most N forwards', intOption('--limit', 1, 1_000_000), 50)
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: DataOpts & { json?: boolean; account?: string; status?: ForwardStatus; limit: number }) => {
        let account: string | undefined;
        if (o.account !== undefined) {
          try {
            account = normalizeLogin(o.account);
          } catch (e) {
            throw new UsageError(`--account: ${(e as Error).message}`);
          }
        }
        const store = await openReadOnly(cliConfig(o));
        try {
          const list = await store.listForwards({ account, status: o.status, limit: o.limit });
          if (o.json) return printJson(list.map(forwardJson));
          if (!list.length) return void process.stdout.write('no forwards\n');
          process.stdout.write(
            renderTable(list, [
              { header: 'ID', get: (f) => f.id },
              { header: 'ACCOUNT', get: (f) => f.account },
              { header: 'CHANNEL', get: (f) => f.channel },
              { header: 'EVENT', get: (f) => `${f.type} ${f.ref}` },
              { header: 'STATUS', get: (f) => f.status },
              { header: 'TRIES', get: (f) => String(f.tries) },
              { header: 'LAST ATTEMPT', get: lastAttempt, max: 50 },
              { header: 'NEXT / REASON', get: (f) => (f.status === 'pending' ? short(f.nextAttemptAt) : f.status === 'failed' ? `⚠ ${f.reason ?? ''}` : short(f.deliveredAt)), max: 50 },
            ]) + '\n',
          );
        } finally {
          await store.close();
        }
      }),
    );

  forwards
    .command('retry')
    .description('re-arm a failed forward: tried again at once, on the full schedule')
    .requiredOption('--id <id>', 'forward id (fwd-…)')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: DataOpts & { id: string; json?: boolean }) => {
        const { via, result } = await applyOp<{ id: string; status: string; nextAttemptAt?: string }>(cliConfig(o), 'forwards.retry', { id: o.id });
        if (o.json) return printJson({ ...result, via });
        process.stdout.write(`re-armed ${result.id}: ${via === 'server' ? 'delivering now' : 'delivered when the server starts'}\n`);
      }),
    );
}
