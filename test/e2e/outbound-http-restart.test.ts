/**
 * The HTTP API through the real server (auth, then a message followed to `sent`), and a restart
 * in the middle of a queue: nothing lost, nothing sent twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { allJobs, numbers, send } from './outbound-helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TOKEN = 'e2e-token-9f3a1c';

describe('HTTP API on the running server', () => {
  it('refuses a missing or wrong token (401), queues with the right one (201), and GET follows the job to sent', async () => {
    h = await startHarness({ sim: { sendDelayMs: 800 }, config: { http: { enabled: true, token: TOKEN, port: 0, host: '127.0.0.1' } } });
    const port = h.server!.http!.port;
    expect(port).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${port}`;
    const body = JSON.stringify({ to: '+79001234567', text: 'Your appointment is at 10:00.' });
    const post = (headers: Record<string, string>) => fetch(`${url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const wrong = await post({ authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
    expect(await allJobs(h)).toHaveLength(0);

    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    expect(id).toBeTruthy();

    const seen: string[] = [];
    const auth = { authorization: `Bearer ${TOKEN}` };
    await waitFor(async () => {
      const r = await fetch(`${url}/messages/${id}`, { headers: auth });
      expect(r.status).toBe(200);
      const v = (await r.json()) as { state: string; sentAt?: string; parts?: unknown[] };
      if (seen[seen.length - 1] !== v.state) seen.push(v.state);
      return v.state === 'sent' ? v : undefined;
    }, 'job sent', 15_000, 100);
    // Seen before `sent` at least once (the modem takes 800 ms), and never anything but these.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[seen.length - 1]).toBe('sent');
    expect(seen.every((s) => ['queued', 'sending', 'sent'].includes(s))).toBe(true);
    expect(h.sim.modem.sent.map((s) => s.text)).toEqual(['Your appointment is at 10:00.']);

    expect((await fetch(`${url}/messages/${id}`)).status).toBe(401);
    expect((await fetch(`${url}/messages/nope`, { headers: auth })).status).toBe(404);
  });
});

describe('restart with queued jobs', () => {
  it('sends all 30 notifications exactly once across a stop in the middle of the queue', async () => {
    h = await startHarness({ sim: { sendDelayMs: 200 } });
    const to = numbers(30, 7000);
    const text = 'Service notice: maintenance tonight 01:00-03:00.';
    const r = await send(h, to, text);
    expect(r.ids).toHaveLength(30);
    await waitFor(() => h!.sim.modem.sent.length >= 4, 'a few sent', 15_000);
    await h.stopServer();
    const atStop = h.sim.modem.sent.length;
    expect(atStop).toBeLessThan(30);
    const mid = await allJobs(h);
    // Stopped cleanly: nothing is left half-way.
    expect(mid.filter((j) => j.state === 'sending')).toHaveLength(0);
    expect(mid.filter((j) => j.state === 'sent')).toHaveLength(atStop);

    await h.startServer();
    await waitFor(async () => (await allJobs(h!)).every((j) => j.state === 'sent'), 'all 30 sent', 30_000);
    const sent = h.sim.modem.sent;
    const keys = sent.map((s) => `${s.to}|${s.text}`);
    expect(new Set(keys).size).toBe(keys.length); // no duplicates
    expect([...new Set(sent.map((s) => s.to))].sort()).toEqual([...to].sort()); // none lost
    const jobs = await allJobs(h);
    expect(jobs).toHaveLength(30);
    expect(jobs.filter((j) => !(j.attempts === 1 && (j.duplicates ?? 0) === 0))).toEqual([]);
  });
});
