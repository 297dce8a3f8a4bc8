/**
 * Several hosts on one PostgreSQL database (issue 17): real servers, each on its own simulated modem
 * over a pseudo-terminal, sharing a real PostgreSQL server started on a private port.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addClient } from '../../src/commands/index.js';
import { loadOrCreateKey } from '../../src/util/secret.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { pgSkipReason, startTestPg, type TestPg } from '../helpers/postgres.js';

const KEY = 'a'.repeat(64); // hosts sharing a database share the key that seals passwords

let server: TestPg | undefined;
let harnesses: Harness[] = [];
let outside: PostgresStore | undefined;
beforeAll(async () => {
  if (!pgSkipReason) server = await startTestPg();
}, 120_000);
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
  await outside?.close();
  outside = undefined;
});
afterAll(async () => {
  await server?.stop();
});

async function hosts(names: string[]): Promise<{ url: string; hs: Harness[] }> {
  const url = await server!.freshDatabase();
  for (const host of names) harnesses.push(await startHarness({ config: { store: { kind: 'postgres', url, host }, secretKey: KEY } }));
  return { url, hs: harnesses };
}

describe.skipIf(pgSkipReason)(`servers on several hosts sharing PostgreSQL${pgSkipReason ? ` (skipped: ${pgSkipReason})` : ''}`, () => {
  it('work enqueued elsewhere wakes both hosts (NOTIFY) and every text leaves exactly once, through one of the modems', async () => {
    const { url, hs } = await hosts(['hostA', 'hostB']);
    outside = new PostgresStore({ url });
    await outside.open();
    const to = Array.from({ length: 40 }, (_, i) => `+7900555${String(i).padStart(4, '0')}`);
    // As another host's API would: straight into the shared queue. The workers' idle poll is 60 s,
    // so sending within the wait below needs the notification.
    await outside.enqueue(to.map((t) => ({ to: t, text: 'shared queue', priority: 'mass' as const, state: 'queued' as const, attempts: 0, nextAttemptAt: new Date().toISOString() })));
    const sentBy = () => hs.map((h) => h.sim.modem.sent.map((s) => s.to));
    await waitFor(() => sentBy().flat().length >= to.length, 'all 40 texts sent', 30_000);
    await waitFor(async () => (await outside!.queueCounts()).byState.sent === to.length, 'all 40 jobs recorded sent', 15_000);
    const [a, b] = sentBy();
    expect([...a!, ...b!].sort()).toEqual(to);
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    // Each job claimed once: no second attempt, no duplicate count.
    expect(new Set((await outside.listJobs({ state: 'sent' })).map((j) => `${j.attempts}/${j.duplicates ?? 0}`))).toEqual(new Set(['1/0']));
  });

  it('an SMS received by host B lands in the shared inbox, host A sees it, and the credentials go out sealed with the shared key', async () => {
    const { url, hs } = await hosts(['hostA', 'hostB']);
    outside = new PostgresStore({ url });
    await outside.open();
    const key = loadOrCreateKey({ dataDir: hs[0]!.dataDir, configKey: KEY });
    await addClient(outside, { phone: '+79001234567', code: '1234', login: 'ivanov', password: '1a2b3c4d' }, key, { country: 'RU' });
    hs[1]!.sim.modem.injectSms('+79001234567', 'CLIENT info');
    const entry = await waitFor(async () => (await hs[0]!.server!.store.listInbound({ status: 'processed' }))[0], 'the processed inbound in host A\'s view', 20_000);
    expect(entry).toMatchObject({ from: '+79001234567', text: 'CLIENT info', command: 'info' });
    const texts = () => hs.flatMap((h) => h.sim.modem.sent.filter((s) => s.to === '+79001234567').map((s) => s.text));
    await waitFor(() => texts().length >= 2, 'ack and credentials sent', 20_000);
    expect(texts().find((t) => t.includes('login'))).toContain('password: 1a2b3c4d');
  });
});
