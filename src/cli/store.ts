/** `store migrate`: copy a data folder's lowdb store into PostgreSQL (several hosts, issue 17). */
import type { Command } from 'commander';
import { LowdbStore, readDataLock } from '../store/index.js';
import { action, printJson, UsageError } from './common.js';

export function registerStore(program: Command): void {
  const store = program.command('store').description('the store backend');
  store
    .command('migrate')
    .description('copy a data folder (inbox, jobs, clients, accounts, forwards, campaigns, opt-outs) into an empty PostgreSQL database and verify the counts')
    .requiredOption('--from <dir>', 'data folder to copy (the server on it must be stopped)')
    .requiredOption('--to <url>', 'postgres://user@host:port/database')
    .option('--json', 'print the counts as JSON')
    .action(
      action(async (o: { from: string; to: string; json?: boolean }) => {
        if (!/^postgres(ql)?:\/\//.test(o.to)) throw new UsageError('--to must be a postgres:// URL');
        const lock = await readDataLock(o.from);
        if (lock.held && !lock.stale) throw new Error(`${o.from} is in use (pid ${lock.info?.pid}): stop the server before migrating`);
        const from = new LowdbStore(o.from, { readOnly: true });
        await from.open();
        const { PostgresStore, copyToPostgres } = await import('../store/postgres/index.js');
        const to = new PostgresStore({ url: o.to });
        try {
          await to.open();
          const counts = await copyToPostgres(from, to);
          if (o.json) return printJson(counts);
          process.stdout.write(
            Object.entries(counts).map(([k, n]) => `${k}: ${n}`).join(', ') +
              '\ncopied and verified. Self-service records are not copied (the Store cannot list them yet).\n',
          );
        } finally {
          await to.close();
          await from.close();
        }
      }),
    );
}
