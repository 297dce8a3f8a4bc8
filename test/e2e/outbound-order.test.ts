/**
 * Outbound through the real serial path (serialport on a PTY ↔ simulated modem): priorities,
 * opt-out rules per priority, and a long Cyrillic text as linked parts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodePdu, type DecodedSubmit } from '../../src/sms/index.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { addClients, allJobs, job, mass, numbers, send } from './outbound-helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CLIENT = '+79001234567';

describe('outbound priorities', () => {
  it('sends a reply queued behind 200 mass jobs next, before the rest of the campaign', async () => {
    h = await startHarness({ sim: { sendDelayMs: 20 } });
    await addClients(h, [CLIENT]);
    const r = await mass(h, numbers(200), 'Weekly news: the office is closed on Monday.', 'weekly');
    expect(r.enqueued).toBe(200);
    // Let the campaign get going, then the client asks for its data.
    await waitFor(() => h!.sim.modem.sent.length >= 10, '10 mass texts out', 20_000);
    h.sim.modem.injectSms(CLIENT, 'CLIENT info');

    const sent = h.sim.modem.sent;
    await waitFor(() => sent.filter((s) => s.to === CLIENT).length >= 2, 'ack + info to the client', 20_000);
    const jobs = await allJobs(h);
    const replies = jobs.filter((j) => j.priority === 'reply').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    expect(replies).toHaveLength(2);
    const queuedAt = Date.parse(replies[0]!.createdAt);
    const ackIdx = sent.findIndex((s) => s.to === CLIENT);
    // Mass texts the modem accepted after the reply was queued and before the ack: at most the one in flight.
    const overtaken = sent.slice(0, ackIdx).filter((s) => Date.parse(s.at) > queuedAt);
    expect(overtaken.length).toBeLessThanOrEqual(1);
    // Both replies went back to back, and most of the campaign was still waiting.
    expect(sent[ackIdx + 1]!.to === CLIENT || sent[ackIdx + 2]!.to === CLIENT).toBe(true);
    expect(ackIdx).toBeLessThan(150);
    expect(sent[ackIdx]!.text).toBe('Your request has been received. Wait for notification of the request being processed.');
    // The campaign completes afterwards.
    await waitFor(async () => (await allJobs(h!)).filter((j) => j.priority === 'mass' && j.state === 'sent').length === 200, 'campaign done', 30_000);
  });
});

describe('opt-out', () => {
  it('is honoured for notifications and mass texts but never for replies', async () => {
    h = await startHarness();
    const others = numbers(2, 500);
    await addClients(h, [CLIENT, ...others]);
    // A notification already queued before the stop: the worker checks again at send time.
    h.sim.modem.injectSms(CLIENT, 'CLIENT sms stop');
    await waitFor(async () => {
      const ro = await h!.readStore();
      const c = await ro.getClient(CLIENT);
      await ro.close();
      return c?.optIn === false;
    }, 'client opted out');
    await waitFor(() => h!.sim.modem.sent.some((s) => s.to === CLIENT), 'stop acknowledged (a reply)');

    const s = await send(h, CLIENT, 'Your documents are ready.');
    expect(s.ids).toEqual([]);
    expect(s.rejected).toMatchObject([{ error: 'opted-out' }]);
    expect(s.rejected[0]!.message).toContain('+79001234567');

    const m = await mass(h, [CLIENT, ...others], 'Holiday hours.');
    expect(m).toMatchObject({ enqueued: 2, skippedOptOut: 1 });

    const before = h.sim.modem.sent.filter((x) => x.to === CLIENT).length;
    h.sim.modem.injectSms(CLIENT, 'CLIENT info');
    await waitFor(() => h!.sim.modem.sent.filter((x) => x.to === CLIENT).length >= before + 2, 'info answered to the opted-out client');
    await waitFor(() => others.every((o) => h!.sim.modem.sent.some((x) => x.to === o && x.text === 'Holiday hours.')), 'mass to the others');
    expect(h.sim.modem.sent.some((x) => x.to === CLIENT && (x.text === 'Holiday hours.' || x.text === 'Your documents are ready.'))).toBe(false);
  });

  it('fails a notification queued before the client opted out, at send time, with the reason', async () => {
    h = await startHarness({ startServer: false });
    // Queued while the server is down, due 3 s after it starts; the stop already waits on the SIM.
    const { LowdbStore } = await import('../../src/store/index.js');
    const { addClient } = await import('../../src/commands/index.js');
    const { enqueueNotification } = await import('../../src/queue/index.js');
    const { loadOrCreateKey } = await import('../../src/util/secret.js');
    const store = new LowdbStore(h.dataDir);
    await store.open();
    await addClient(store, { phone: CLIENT, code: '1', login: 'a', password: 'secret12' }, loadOrCreateKey({ dataDir: h.dataDir }), { country: 'RU' });
    const q = await enqueueNotification(store, { to: CLIENT, text: 'Queued earlier.' }, { country: 'RU' });
    await store.updateJob(q.ids[0]!, { nextAttemptAt: new Date(Date.now() + 3000).toISOString() });
    await store.close();
    h.sim.modem.injectSms(CLIENT, 'CLIENT sms stop');
    await h.startServer();
    await waitFor(async () => (await job(h!, q.ids[0]!))?.state === 'failed', 'notification failed at send time', 15_000);
    const j = (await job(h, q.ids[0]!))!;
    expect(j.reason).toBe('opted-out');
    expect(h.sim.modem.sent.some((x) => x.text === 'Queued earlier.')).toBe(false);
  });
});

describe('long texts', () => {
  it('sends a 400-character Cyrillic text as correctly linked UCS-2 parts, MR recorded per part', async () => {
    h = await startHarness();
    const base = 'Уважаемый клиент! Ваши документы готовы к выдаче в центре регистрации. ';
    const text = base.repeat(10).slice(0, 400);
    expect(text).toHaveLength(400);
    const s = await send(h, CLIENT, text);
    const id = s.ids[0]!;
    await waitFor(async () => (await job(h!, id))?.state === 'sent', 'long text sent');

    const parts = h.sim.modem.sent.filter((x) => x.to === CLIENT).map((x) => ({ rec: x, d: decodePdu(x.pdu) as DecodedSubmit }));
    const n = parts.length;
    expect(n).toBe(Math.ceil(400 / 67)); // UCS-2 with a concat header: 67 characters per part
    for (const p of parts) {
      expect(p.d.type).toBe('submit');
      expect(p.d.encoding).toBe('ucs2');
      expect(p.d.to).toBe(CLIENT);
    }
    const refs = new Set(parts.map((p) => p.d.concat?.ref));
    expect(refs.size).toBe(1);
    expect(parts.map((p) => p.d.concat?.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(parts.every((p) => p.d.concat?.total === n)).toBe(true);
    expect(parts.map((p) => p.d.text).join('')).toBe(text);

    const j = (await job(h, id))!;
    expect(j.parts!.map(({ seq, mr }) => ({ seq, mr }))).toEqual(parts.map((p, i) => ({ seq: i + 1, mr: p.rec.mr })));
    expect(new Set(j.parts!.map((p) => p.mr)).size).toBe(n);
  });
});
