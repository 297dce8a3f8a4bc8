/** `sms-server store migrate --from DIR --to postgres://…` (issue 17), the real CLI against a real PostgreSQL server. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { pgSkipReason, startTestPg, type TestPg } from '../helpers/postgres.js';
import { account, forwardIn } from '../store/accounts-contract.js';
import { client, inbound, jobIn } from '../store/contract.js';

let server: TestPg | undefined;
let cli: BuiltCli | undefined;
beforeAll(async () => {
  if (pgSkipReason) return;
  server = await startTestPg();
  cli = buildCli();
}, 180_000);
afterAll(async () => {
  cli?.remove();
  await server?.stop();
});

describe.skipIf(pgSkipReason)(`store migrate${pgSkipReason ? ` (skipped: ${pgSkipReason})` : ''}`, () => {
  it('copies a lowdb data folder into PostgreSQL with the same ids and counts; a second run into the same database is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sms-migrate-'));
    const src = new LowdbStore(dir);
    await src.open();
    for (let i = 0; i < 25; i++) await src.addInbound(inbound(i));
    const jobs = await src.enqueue(Array.from({ length: 40 }, (_, i) => jobIn({ to: `+7900111${String(i).padStart(4, '0')}`, campaignId: 'c1' })));
    await src.updateJob(jobs[3]!.id, { state: 'sent', sentAt: '2026-01-05T10:00:00.000Z', account: 'crm' });
    await src.upsertClient(client('+79001111111'));
    await src.putCampaign({ id: 'c1', name: 'C', text: 'Sale', createdAt: '2026-01-01T00:00:00.000Z', total: 40, skippedOptOut: 0, skippedInvalid: 0, duplicatesRemoved: 0 });
    await src.setOptOut('+79009999999', true);
    await src.putAccount(account('crm'));
    await src.addForwards([forwardIn({ account: 'crm', ref: 'in-3' })]);
    const before = { inbox: await src.listInbound(), jobs: await src.listJobs(), forwards: await src.listForwards() };
    await src.close();

    const url = await server!.freshDatabase();
    const r = await cli!.run(['store', 'migrate', '--from', dir, '--to', url, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ inbox: 25, jobs: 40, forwards: 1, clients: 1, campaigns: 1, optOuts: 1, partials: 0, accounts: 1 });

    const pg = new PostgresStore({ url });
    await pg.open();
    try {
      expect(await pg.listInbound()).toEqual(before.inbox);
      expect(await pg.listJobs()).toEqual(before.jobs);
      expect(await pg.listForwards()).toEqual(before.forwards);
      expect(await pg.lastSentTo(jobs[3]!.to, '2026-01-01T00:00:00.000Z')).toMatchObject({ jobId: jobs[3]!.id, account: 'crm' });
      expect(await pg.campaignProgress('c1')).toMatchObject({ queued: 39, sent: 1 });
      // New records continue after the copied ids.
      const [next] = await pg.enqueue([jobIn()]);
      expect(before.jobs.map((j) => j.id)).not.toContain(next!.id);
      expect((await pg.addInbound(inbound(99))).entry.id).not.toBe(before.inbox[0]!.id);
    } finally {
      await pg.close();
    }
    const again = await cli!.run(['store', 'migrate', '--from', dir, '--to', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds messages/);
  });
});
