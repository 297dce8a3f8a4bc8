/**
 * One writer per data folder, under contention: several CLI processes change the data at the
 * same moment — while the server is busy with inbound `CLIENT sms stop` messages (they go
 * through the spool and the server applies them), and with the server down (each CLI takes the
 * lock in turn). Afterwards every change must be there: none lost, none applied twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type BuiltCli, type CliResult } from '../helpers/cli.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { acquireDataLock, DataLockedError, openForCli } from '../../src/store/index.js';
import { addClients, allJobs, numbers } from './outbound-helpers.js';

let h: Harness | undefined;
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
}, 120_000);
afterAll(() => cli?.remove());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** 4 clients add + 3 send + 1 mass, all started at once; resolves when all have exited. */
function concurrentCli(dataDir: string, tag: string): { run: Promise<CliResult[]>; newClients: string[]; sendTo: string[]; massTo: string[] } {
  const base = tag === 'up' ? 100 : 200;
  const newClients = numbers(4, base);
  const sendTo = numbers(3, base + 10);
  const massTo = numbers(20, base + 20);
  const file = join(dataDir, `mass-${tag}.txt`);
  writeFileSync(file, massTo.join('\n'));
  const d = ['--data', dataDir, '--json'];
  const calls = [
    ...newClients.map((p, i) => ['clients', 'add', '--phone', p, '--code', `C${i}`, '--login', `new${i}`, '--password', `pass-${i}-x`, ...d]),
    ...sendTo.map((p, i) => ['send', '--to', p, '--text', `notice ${tag} ${i}`, ...d]),
    ['mass', '--file', file, '--text', `mass ${tag}`, '--name', `m-${tag}`, ...d],
  ];
  return { run: Promise.all(calls.map((a) => cli.run(a, { timeoutMs: 90_000 }))), newClients, sendTo, massTo };
}

async function expectAllPresent(hh: Harness, c: ReturnType<typeof concurrentCli>, tag: string, results: CliResult[]): Promise<void> {
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  const ro = await hh.readStore();
  try {
    for (const p of c.newClients) expect(await ro.getClient(p), `client ${p}`).toBeDefined();
    const jobs = await ro.listJobs({ limit: 100_000 });
    for (const [i, p] of c.sendTo.entries()) {
      expect(jobs.filter((j) => j.to === p && j.text === `notice ${tag} ${i}` && j.priority === 'notification'), `send to ${p}`).toHaveLength(1);
    }
    const campaigns = (await ro.listCampaigns()).filter((x) => x.name === `m-${tag}`);
    expect(campaigns).toHaveLength(1);
    const massJobs = jobs.filter((j) => j.campaignId === campaigns[0]!.id);
    expect(massJobs.map((j) => j.to).sort()).toEqual([...c.massTo].sort());
  } finally {
    await ro.close();
  }
}

describe('one writer under concurrent CLI processes', () => {
  it('server up: CLI changes and inbound opt-outs processed at the same time all land', async () => {
    h = await startHarness({ sim: { sendDelayMs: 20 } });
    const stoppers = numbers(10, 900);
    await addClients(h, stoppers);
    const c = concurrentCli(h.dataDir, 'up');
    for (const p of stoppers) h.sim.modem.injectSms(p, 'CLIENT sms stop');
    const results = await c.run;
    expect(results.map((r) => JSON.parse(r.stdout).via)).toEqual(Array(8).fill('server'));

    await waitFor(async () => {
      const ro = await h!.readStore();
      const all = await Promise.all(stoppers.map((p) => ro.getClient(p)));
      await ro.close();
      return all.every((x) => x?.optIn === false);
    }, 'all 10 opted out', 30_000);
    await expectAllPresent(h, c, 'up', results);
    // Every stop was answered (acknowledgement + confirmation).
    await waitFor(async () => (await allJobs(h!)).filter((j) => j.priority === 'reply').length === 20, 'ack + result for each stop', 20_000);
    const ro = await h.readStore();
    const stops = (await ro.listInbound({ limit: 100 })).filter((e) => e.command === 'sms stop');
    expect(stops.map((e) => [e.status, e.replies?.length])).toEqual(Array(10).fill(['processed', 2]));
    await ro.close();
  });

  it('server down: concurrent CLIs wait for the lock in turn instead of failing, and all changes land', async () => {
    h = await startHarness({ startServer: false });
    const c = concurrentCli(h.dataDir, 'down');
    const results = await c.run;
    await expectAllPresent(h, c, 'down', results);
    // They were applied directly, not left in the spool for a server that is not there.
    expect(results.map((r) => JSON.parse(r.stdout).via)).toEqual(Array(8).fill('direct'));

    // A server started afterwards finds nothing pending in the spool and sends what was queued.
    await h.startServer();
    await waitFor(() => h!.sim.modem.sent.length === 23, '3 notices + 20 mass texts sent', 30_000);
    const keys = h.sim.modem.sent.map((s) => `${s.to}|${s.text}`);
    expect(new Set(keys).size).toBe(23);
  });

  it('a CLI waits for another CLI holding the lock, and gives up after a bounded time with DATA_LOCKED', async () => {
    h = await startHarness({ startServer: false });
    const held = await acquireDataLock(h.dataDir, { role: 'cli' });
    const started = Date.now();
    const pending = cli.run(['send', '--to', '+79005550001', '--text', 'after the lock', '--json', '--data', h.dataDir]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await allJobs(h)).toHaveLength(0); // still waiting, not spooled to a server that is not there
    await held.release();
    const r = await pending;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).via).toBe('direct');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect((await allJobs(h)).map((j) => j.text)).toEqual(['after the lock']);

    const again = await acquireDataLock(h.dataDir, { role: 'cli' });
    await expect(openForCli(h.dataDir, {}, { lockWaitMs: 300 })).rejects.toBeInstanceOf(DataLockedError);
    await again.release();
  });
});
