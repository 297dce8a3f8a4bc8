import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { loadMigrations, migrate } from '../../src/store/postgres/migrate.js';
import { pgSkipReason, startTestPg, type TestPg } from '../helpers/postgres.js';
import { accountsContract } from './accounts-contract.js';
import { jobIn, storeContract } from './contract.js';

let server: TestPg | undefined;
beforeAll(async () => {
  if (!pgSkipReason) server = await startTestPg();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function fresh(): Promise<{ url: string; schema: string }> {
  return { url: server!.url, schema: await server!.freshSchema() };
}

describe.skipIf(pgSkipReason)(`PostgresStore${pgSkipReason ? ` (skipped: ${pgSkipReason})` : ''}`, () => {
  storeContract('PostgresStore', async () => ({ store: new PostgresStore(await fresh()), cleanup: async () => {} }));
  accountsContract('PostgresStore', async () => ({ store: new PostgresStore(await fresh()), cleanup: async () => {} }));

  describe('migrations', () => {
    it('two hosts starting at once: one applies the schema, the other waits and finds it applied', async () => {
      const { url, schema } = await fresh();
      const clients = [0, 1].map(() => new pg.Client({ connectionString: url, options: `-c search_path=${schema}` }));
      await Promise.all(clients.map((c) => c.connect()));
      try {
        const applied = await Promise.all(clients.map((c) => migrate(c)));
        const all = loadMigrations().map((m) => m.version);
        expect(applied.map((a) => a.length).sort()).toEqual([0, all.length]);
        expect(applied.flat()).toEqual(all);
        const { rows } = await clients[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
        expect(rows.map((r) => r.version)).toEqual(all);
        expect(await migrate(clients[1]!)).toEqual([]);
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    });

    it('refuses a database whose schema is newer than this program', async () => {
      const { url, schema } = await fresh();
      const s = new PostgresStore({ url, schema });
      await s.open();
      await s.close();
      const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await c.connect();
      await c.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`);
      await c.end();
      await expect(new PostgresStore({ url, schema }).open()).rejects.toMatchObject({ code: 'STORE_MIGRATION', message: /version 999/ });
    });
  });

  describe('LISTEN/NOTIFY', () => {
    it('enqueue on one host wakes a watcher on another; a killed LISTEN connection is opened again and wakes it once', async () => {
      const { url, schema } = await fresh();
      const a = new PostgresStore({ url, schema, host: 'a' });
      const b = new PostgresStore({ url, schema, host: 'b' });
      await a.open();
      await b.open();
      let woken = 0;
      const unwatch = await b.watchWork(() => woken++);
      try {
        await a.enqueue([jobIn()]);
        await expect.poll(() => woken, { timeout: 10_000 }).toBe(1);
        // The database drops the LISTEN session (a restart, an admin): the watcher comes back by itself.
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN sms_work' AND pid <> pg_backend_pid()`);
        await admin.end();
        expect(killed.rowCount).toBe(1);
        await expect.poll(() => woken, { timeout: 15_000 }).toBe(2); // the wake-up after reconnecting
        await a.enqueue([jobIn()]);
        await expect.poll(() => woken, { timeout: 10_000 }).toBe(3);
      } finally {
        await unwatch();
        await a.close();
        await b.close();
      }
    });
  });

  describe('several hosts', () => {
    it('three stores (three hosts) claiming one queue never get the same job, and a dead host\'s jobs are taken over', async () => {
      const { url, schema } = await fresh();
      const hosts = [0, 1, 2].map(() => new PostgresStore({ url, schema }));
      for (const h of hosts) await h.open();
      try {
        const now = new Date('2026-01-02T00:00:00.000Z');
        const jobs = await hosts[0]!.enqueue(Array.from({ length: 150 }, (_, i) => jobIn({ to: `+7900${String(i).padStart(7, '0')}` })));
        const got = await Promise.all(
          hosts.map(async (h, i) => {
            const ids: string[] = [];
            const o = { owner: `host${i}`, leaseMs: i === 0 ? 1000 : 60_000, now };
            for (let j = await h.claimNext(o); j; j = await h.claimNext(o)) ids.push(j.id);
            return ids;
          }),
        );
        expect(got.flat().sort()).toEqual(jobs.map((j) => j.id).sort());
        // host0 dies: after its leases expire host1 takes over exactly host0's jobs.
        expect(got.every((ids) => ids.length > 0)).toBe(true);
        const later = new Date(now.getTime() + 1000);
        const taken = await hosts[1]!.claimStranded({ owner: 'host1', leaseMs: 60_000, now: later });
        expect(taken.map((j) => j.id).sort()).toEqual([...got[0]!, ...got[1]!].sort());
        expect(await hosts[2]!.claimStranded({ owner: 'host0-restarted', leaseMs: 60_000, now: later })).toEqual([]);
      } finally {
        for (const h of hosts) await h.close();
      }
    });
  });
});
