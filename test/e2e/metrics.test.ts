/**
 * `GET /metrics` and `GET /health` on the loopback API of the real server driving two simulated
 * modems on pseudo-terminals: after a known workload (an SMS to each modem, one of them a command
 * answered twice whose first reply attempt fails with +CMS ERROR: 500, three notifications) the
 * parsed exposition equals what the modems' radio logs and the store say was sent and received.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPoolHarness, waitFor, type PoolHarness } from '../helpers/harness.js';
import { scrape } from '../helpers/prometheus.js';
import { addClients, allJobs, numbers } from './outbound-helpers.js';

const TOKEN = 'metrics-test-token-0123456789';
const CLIENT = '+79001234567';
const STRANGER = '+79007654321';

let h: PoolHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(): Promise<{ h: PoolHarness; base: string }> {
  h = await startPoolHarness({
    modems: [
      { id: 'm1', profile: 'generic', number: '+79990000001', sim: { sendDelayMs: 50, noise: 0 } },
      { id: 'm2', profile: 'sim800', number: '+79990000002', sim: { sendDelayMs: 50, noise: 0 } },
    ],
    config: { http: { enabled: true, port: 0, token: TOKEN }, queue: { retryBaseSeconds: 1 } },
  });
  return { h, base: `http://127.0.0.1:${h.server!.http!.port}` };
}

describe('GET /metrics after real traffic', { timeout: 120_000 }, () => {
  it('counts what the modems sent and received, by modem, priority, route and failure category', async () => {
    const { h, base } = await start();
    const before = (await scrape(base, TOKEN)).scrape;
    expect(before.value('sms_sent_total')).toBe(0);
    expect(before.value('sms_received_total')).toBe(0);
    // Every modem × priority is exposed at 0 from the start (alerts on rate() need the series).
    expect(before.series('sms_sent_total', { modem: 'm1' }).map((x) => [x.labels.priority, x.value])).toEqual([
      ['reply', 0],
      ['notification', 0],
      ['mass', 0],
    ]);

    // A command to m2: two replies pinned to m2, the first attempt refused by the network.
    await addClients(h, [CLIENT]);
    h.sim('m2').modem.faults.cmsOnNextSend(500);
    h.sim('m2').modem.injectSms(CLIENT, 'CLIENT info');
    // A text no route claims, to m1.
    h.sim('m1').modem.injectSms(STRANGER, 'hello, is this the shop?');
    const to = numbers(3);
    for (const [i, n] of to.entries()) {
      const r = await fetch(`${base}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: n, text: `Your order ${i} has shipped` }),
      });
      expect(r.status).toBe(201);
    }
    await waitFor(async () => {
      const jobs = await allJobs(h);
      return jobs.length === 5 && jobs.every((j) => j.state === 'sent');
    }, 'two replies and three notifications sent', 60_000);
    await waitFor(async () => {
      const ro = await h.readStore();
      const entries = await ro.listInbound({});
      await ro.close();
      return entries.length === 2 && entries.every((e) => e.routedBy !== undefined);
    }, 'both inbound SMS routed');

    const { scrape: s, contentType } = await scrape(base, TOKEN);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const jobs = await allJobs(h);

    // Received: one per modem, labelled with the route that claimed it.
    expect(s.value('sms_received_total', { modem: 'm2', route: 'command' })).toBe(1);
    expect(s.value('sms_received_total', { modem: 'm1', route: 'none' })).toBe(1);
    expect(s.value('sms_received_total')).toBe(2);

    // Sent: equal to the store's sent jobs by modem and priority.
    expect(s.value('sms_sent_total', { modem: 'm2', priority: 'reply' })).toBe(2);
    for (const modem of ['m1', 'm2']) {
      const notifications = jobs.filter((j) => j.via === modem && j.priority === 'notification').length;
      expect(s.value('sms_sent_total', { modem, priority: 'notification' })).toBe(notifications);
      // One histogram observation per PDU the simulated modem accepted (its radio log).
      expect(s.count('sms_send_duration_seconds', { modem })).toBe(h.sim(modem).modem.sent.length);
    }
    expect(s.value('sms_sent_total', { priority: 'notification' })).toBe(3);
    expect(s.types.get('sms_send_duration_seconds')).toBe('histogram');
    expect(s.types.get('sms_sent_total')).toBe('counter');

    // The refused attempt: one failure in category network on m2, and the job was tried twice.
    expect(s.value('sms_send_failures_total', { modem: 'm2', category: 'network' })).toBe(1);
    expect(s.value('sms_send_failures_total')).toBe(jobs.reduce((n, j) => n + j.attempts - 1, 0));
    expect(s.value('sms_failed_total')).toBe(0);

    // Both replies measured from the stored SMS to the modem's +CMGS.
    expect(s.count('sms_reply_latency_seconds', { modem: 'm2' })).toBe(2);

    // Gauges at scrape time.
    expect(s.value('sms_queue_depth')).toBe(0);
    expect(s.series('sms_queue_depth').map((m) => m.labels.priority).sort()).toEqual(['mass', 'notification', 'reply']);
    expect(s.value('sms_modem_up', { modem: 'm1' })).toBe(1);
    expect(s.value('sms_modem_state', { modem: 'm2', state: 'ready' })).toBe(1);
    expect(s.value('sms_modem_state', { modem: 'm2' })).toBe(1);
    expect(s.value('sms_modem_sent_today')).toBe(h.sim('m1').modem.sent.length + h.sim('m2').modem.sent.length);
    expect(s.value('sms_forwards', { state: 'pending' })).toBe(0);
    expect(s.value('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(s.series('process_cpu_seconds_total')).toHaveLength(1);
  });

  it('polls each modem\'s signal into sms_modem_signal_rssi', async () => {
    const { h, base } = await start();
    // The status publisher polls AT+CSQ once a modem is ready.
    const s = await waitFor(async () => {
      const { scrape: x } = await scrape(base, TOKEN);
      return x.series('sms_modem_signal_rssi').length === 2 ? x : undefined;
    }, 'both modems\' signal');
    for (const modem of ['m1', 'm2']) {
      const rssi = s.value('sms_modem_signal_rssi', { modem });
      expect(rssi).toBeGreaterThanOrEqual(0);
      expect(rssi).toBeLessThanOrEqual(31);
    }
    expect(h.server!.metrics).toBeDefined();
  });

  it('needs the operator token', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
  });
});

describe('GET /health', { timeout: 120_000 }, () => {
  it('answers ready, degraded with a modem unplugged (200), down with none (503)', async () => {
    const { h, base } = await start();
    const get = async () => {
      const r = await fetch(`${base}/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return { status: r.status, body: (await r.json()) as { ok: boolean; status: string; modems: { id: string; state: string }[] } };
    };
    expect(await get()).toMatchObject({ status: 200, body: { ok: true, status: 'ready', modems: [{ id: 'm1', state: 'ready' }, { id: 'm2', state: 'ready' }] } });

    const until = (status: string) =>
      waitFor(async () => {
        const x = await get();
        return x.body.status === status ? x : undefined;
      }, `/health ${status}`);

    await h.sim('m1').unplug();
    const degraded = await until('degraded');
    expect(degraded.status).toBe(200);
    expect(degraded.body.modems.find((m) => m.id === 'm1')!.state).not.toBe('ready');

    await h.sim('m2').unplug();
    const down = await until('down');
    expect(down.status).toBe(503);
    expect(down.body.ok).toBe(false);
    const { scrape: s } = await scrape(base, TOKEN);
    expect(s.value('sms_modem_up')).toBe(0);
  });
});
