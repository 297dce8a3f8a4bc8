/**
 * Several hosts on one PostgreSQL database (issue 17), in this process: real servers, each driving
 * its own simulated modem over a pseudo-terminal (modem ids `a`, `b`: unique across hosts), sharing
 * a real PostgreSQL server started on a private port. The three-process kill -9 run is
 * postgres-kill.test.ts.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addClient } from '../../src/commands/index.js';
import { loadOrCreateKey } from '../../src/util/secret.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { startPoolHarness, waitFor, type HarnessConfig, type PoolHarness } from '../helpers/harness.js';
import { pgSkipReason, startTestPg, type TestPg } from '../helpers/postgres.js';
import { makeCredentials } from '../../src/accounts/credentials.js';
import { applyOp } from '../../src/cli/common.js';

const KEY = 'a'.repeat(64); // hosts sharing a database share the key that seals passwords

let server: TestPg | undefined;
let harnesses: PoolHarness[] = [];
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

/** One host per name, each with one modem named after it (`hostA` drives modem `a`). */
async function hosts(names: string[], config: HarnessConfig = {}): Promise<{ url: string; hs: PoolHarness[] }> {
  const url = await server!.freshDatabase();
  for (const host of names) {
    const id = host.slice(-1).toLowerCase();
    harnesses.push(
      await startPoolHarness({
        modems: [{ id, number: `+7999000000${harnesses.length + 1}`, sim: { ownNumber: `+7999000000${harnesses.length + 1}` } }],
        config: { ...config, store: { kind: 'postgres', url, host, heartbeatSeconds: 1, ...config.store }, secretKey: KEY },
      }),
    );
  }
  outside = new PostgresStore({ url, host: 'test' });
  await outside.open();
  return { url, hs: harnesses };
}

async function listenSessions(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'LISTEN sms_work' AND datname = current_database()`);
  } finally {
    await c.end();
  }
}

const sentTo = (h: PoolHarness, id: string, to: string) => h.sim(id).modem.sent.filter((s) => s.to === to).map((s) => s.text);

describe.skipIf(pgSkipReason)(`servers on several hosts sharing PostgreSQL${pgSkipReason ? ` (skipped: ${pgSkipReason})` : ''}`, () => {
  it('work enqueued elsewhere wakes both hosts (NOTIFY) and every text leaves exactly once, through one of the modems', async () => {
    const { url, hs } = await hosts(['hostA', 'hostB']);
    const to = Array.from({ length: 40 }, (_, i) => `+7900555${String(i).padStart(4, '0')}`);
    // As another host's API would: straight into the shared queue. The workers' idle poll is 60 s,
    // so sending within the wait below needs the notification.
    await outside!.enqueue(to.map((t) => ({ to: t, text: 'shared queue', priority: 'mass' as const, state: 'queued' as const, attempts: 0, nextAttemptAt: new Date().toISOString() })));
    const sentBy = () => [hs[0]!.sim('a').modem.sent.map((s) => s.to), hs[1]!.sim('b').modem.sent.map((s) => s.to)];
    await waitFor(() => sentBy().flat().length >= to.length, 'all 40 texts sent', 30_000);
    await waitFor(async () => (await outside!.queueCounts()).byState.sent === to.length, 'all 40 jobs recorded sent', 15_000);
    const [a, b] = sentBy();
    expect([...a!, ...b!].sort()).toEqual(to);
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    // Each job claimed once: no second attempt, no duplicate count; `via` names the modem that sent it.
    const jobs = await outside!.listJobs({ state: 'sent' });
    expect(new Set(jobs.map((j) => `${j.attempts}/${j.duplicates ?? 0}`))).toEqual(new Set(['1/0']));
    expect(jobs.filter((j) => j.via === 'a').length).toBe(a!.length);
    // A stopped server leaves no LISTEN session behind (it would keep a process alive).
    const listening = async () => Number((await listenSessions(url)).rows[0]!.n);
    expect(await listening()).toBe(2);
    await hs[1]!.stopServer();
    await expect.poll(listening, { timeout: 5_000 }).toBe(1);
  });

  it('an SMS received by host B is answered through host B\'s modem only, host A sees it in the shared inbox, and status lists both hosts with their modems', async () => {
    const { hs } = await hosts(['hostA', 'hostB']);
    const key = loadOrCreateKey({ dataDir: hs[0]!.dataDir, configKey: KEY });
    await addClient(outside!, { phone: '+79001234567', code: '1234', login: 'ivanov', password: '1a2b3c4d' }, key, { country: 'RU' });
    hs[1]!.sim('b').modem.injectSms('+79001234567', 'CLIENT info');
    const entry = await waitFor(async () => (await hs[0]!.server!.store.listInbound({ status: 'processed' }))[0], "the processed inbound in host A's view", 20_000);
    expect(entry).toMatchObject({ from: '+79001234567', text: 'CLIENT info', command: 'info', modem: 'b' });
    await waitFor(() => sentTo(hs[1]!, 'b', '+79001234567').length >= 2, 'ack and credentials sent through modem b', 20_000);
    // The replies are pinned to modem b: host A, idle all along, never claimed them.
    expect(sentTo(hs[1]!, 'b', '+79001234567').find((t) => t.includes('login'))).toContain('password: 1a2b3c4d');
    expect(sentTo(hs[0]!, 'a', '+79001234567')).toEqual([]);
    const listed = await outside!.listHosts();
    expect(listed.map((h) => [h.host, h.status.modems?.map((m) => m.id)])).toEqual([
      ['hostA', ['a']],
      ['hostB', ['b']],
    ]);
    expect(listed.every((h) => h.ageSeconds < 3)).toBe(true);
  });

  it('a host cannot start with a modem id another live host drives', async () => {
    const { url } = await hosts(['hostA']);
    const clash = startPoolHarness({ modems: [{ id: 'a' }], config: { store: { kind: 'postgres', url, host: 'hostC', heartbeatSeconds: 1 } as HarnessConfig['store'], secretKey: KEY } });
    await expect(clash).rejects.toMatchObject({ message: /host "hostA" .*drives modem "a": modem ids must be unique/ });
  });

  it("jobs pinned to another host's live modem stay pinned; once that host is down past pool.pinnedWaitMinutes, 'any' unpins them", async () => {
    const { hs } = await hosts(['hostA', 'hostB'], { pool: { pinnedWaitMinutes: 0.02, pinnedFallback: 'any' } });
    // Due in an hour: nobody sends it, so only the fallback can touch it.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const [job] = await outside!.enqueue([{ to: '+79007770001', text: 'pinned to b', priority: 'notification', state: 'queued', attempts: 0, nextAttemptAt: later, modem: 'b' }]);
    // Host A checks its fallback every 300 ms with a 1.2 s wait: modem b is not A's, but it is up on host B.
    await new Promise((r) => setTimeout(r, 4000));
    expect(await outside!.getJob(job!.id)).toMatchObject({ modem: 'b' });
    expect((await outside!.getJob(job!.id))!.repin).toBeUndefined();
    // Host B stops (as if powered off: its status row stays, its heartbeat ages past three beats).
    await hs[1]!.stopServer();
    const released = await waitFor(async () => {
      const j = await outside!.getJob(job!.id);
      return j?.modem === undefined && j;
    }, "host A unpins the job once host B's modem counts as down", 30_000);
    expect(released).toMatchObject({ state: 'queued', repin: { from: 'b', reason: 'modem-down' } });
  });

  it('the per-recipient daily cap holds across hosts: a text host A sent counts on host B', async () => {
    await hosts(['hostA', 'hostB'], { queue: { dailyCap: 1 } });
    const now = new Date().toISOString();
    const job = (modem: string, text: string) => ({ to: '+79007770002', text, priority: 'notification' as const, state: 'queued' as const, attempts: 0, nextAttemptAt: now, modem });
    const [first] = await outside!.enqueue([job('a', 'first of the day')]);
    await waitFor(async () => (await outside!.getJob(first!.id))?.state === 'sent', 'the first text sent by host A', 20_000);
    const [second] = await outside!.enqueue([job('b', 'second of the day')]);
    const done = await waitFor(async () => {
      const j = await outside!.getJob(second!.id);
      return j && j.state !== 'queued' && j.state !== 'sending' && j;
    }, 'host B judged the second text', 20_000);
    expect(done).toMatchObject({ state: 'failed', reason: 'daily-cap' });
    expect(sentTo(harnesses[1]!, 'b', '+79007770002')).toEqual([]);
  });

  it("host A's API pins an account's texts to host B's modem: its dedicated number there, or the modem its subscriber texted (reply affinity from the shared inbox)", async () => {
    const TOKEN = 'operator-token-for-the-api-0123456789';
    const { hs } = await hosts(['hostA', 'hostB'], { http: { enabled: true, token: TOKEN, port: 0, host: '127.0.0.1' } });
    const [a, b] = hs as [PoolHarness, PoolHarness];
    // `accounts add` on host A, as the CLI does it with a PostgreSQL config: straight into the database.
    const addAccount = async (login: string, number?: string) => {
      const creds = makeCredentials(loadOrCreateKey({ dataDir: a.dataDir, configKey: KEY }));
      const r = await applyOp(a.cfg, 'accounts.add', { login, ...(number ? { number } : {}), tokenHash: creds.tokenHash, webhookSecretEnc: creds.webhookSecretEnc });
      expect(r.via).toBe('direct');
      return { token: creds.token };
    };
    const shop = await addAccount('shop', '+79990000002'); // host B's SIM
    const crm = await addAccount('crm');
    b.sim('b').modem.injectSms('+79005550077', 'crm: where is my order?');
    await waitFor(async () => (await outside!.listInbound({ from: '+79005550077' }))[0]?.account === 'crm', 'the SMS on host B routed to crm', 20_000);
    const post = async (token: string, to: string, text: string) => {
      const r = await fetch(`http://127.0.0.1:${a.server!.http!.port}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to, text }),
      });
      expect(r.status).toBe(201);
      return ((await r.json()) as { id: string }).id;
    };
    const fromShop = await post(shop.token, '+79005550078', 'Your shop order');
    const reply = await post(crm.token, '+79005550077', 'It ships today');
    const other = await post(crm.token, '+79005550079', 'Never texted us');
    expect((await outside!.getJob(reply))!.modem).toBe('b');
    expect((await outside!.getJob(fromShop))!.modem).toBe('b');
    expect((await outside!.getJob(other))!.modem).toBeUndefined();
    await waitFor(() => sentTo(b, 'b', '+79005550077').includes('It ships today') && sentTo(b, 'b', '+79005550078').includes('Your shop order'), "both left through host B's modem", 20_000);
  });
});
