/**
 * Issue #3, seeds 000/001: customers text CLIENT info / CLIENT sms stop / CLIENT sms start (any
 * letter case) to the federal number; each accepted request is acknowledged, then answered with its
 * result; anything else gets no reply and stays in the inbox as 'ignored'. Everything runs through
 * the simulated modem on a real pseudo-terminal and the real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { groupSent } from '../../src/sim/index.js';
import { splitText } from '../../src/sms/index.js';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/harness.js';
import {
  ACK,
  barrier,
  cliOp,
  inbox,
  IVANOV,
  IVANOV_INFO,
  settledEntry,
  sentCount,
  simEmpty,
  SMS_START,
  SMS_STOP,
  startWithClients,
} from './customer-helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Inject one text and wait for its ack + result; returns the two sent records and the entry. */
async function ask(text: string, o: { from?: string; encoding?: 'ucs2' } = {}) {
  const before = h!.sim.modem.sent.length;
  h!.sim.modem.injectSms(o.from ?? IVANOV.phone, text, o.encoding ? { encoding: o.encoding } : {});
  const sent = await sentCount(h!, before + 2, `ack + result for ${JSON.stringify(text)}`);
  const entry = await settledEntry(h!, (e) => e.text === text, `inbox entry for ${JSON.stringify(text)}`);
  return { ack: sent[before]!, result: sent[before + 1]!, entry };
}

const lots = { config: { inbound: { sweepSeconds: 60, multipartTimeoutHours: 24, perSenderPerHour: 1000 } } };

describe('seed 001 "CLIENT info": registration data to the registered number', () => {
  it('answers every spelling (case, spaces, tabs, UCS2) with the ack, then the credentials verbatim', async () => {
    h = await startWithClients([IVANOV], lots);
    const spellings: { text: string; encoding?: 'ucs2' }[] = [
      { text: 'CLIENT info' },
      { text: 'client INFO' },
      { text: 'Client Info' },
      { text: '  CLIENT \t  info \t' },
      { text: 'cLiEnT iNfO', encoding: 'ucs2' },
      // Typed on a Russian layout: Cyrillic С, Е, Т that look like Latin letters (arrives as UCS2).
      { text: '\u0421LI\u0415N\u0422 info' },
    ];
    for (const s of spellings) {
      const { ack, result, entry } = await ask(s.text, s);
      expect(ack).toMatchObject({ to: IVANOV.phone, text: ACK });
      expect(result).toMatchObject({ to: IVANOV.phone, text: IVANOV_INFO });
      expect(entry).toMatchObject({ from: IVANOV.phone, status: 'processed', command: 'info', parts: 1 });
      // A tab is outside the GSM-7 alphabet, so that spelling arrives as UCS2 too.
      expect(entry.encoding).toBe(s.encoding ?? splitText(s.text).encoding);
      expect(entry.replies).toHaveLength(2);
    }
    expect(h.sim.modem.sent).toHaveLength(2 * spellings.length);
    // The credentials are sealed at rest: the job file never holds the password in clear.
    const jobs = await h.server!.store.listJobs({ priority: 'reply' });
    const results = jobs.filter((j) => j.sealed);
    expect(results).toHaveLength(spellings.length);
    for (const j of results) expect(j.text).not.toContain(IVANOV.password);
    await simEmpty(h);
  });

  it('answers a national-format sender (8 900…) at the client\'s stored +7 number', async () => {
    h = await startWithClients([IVANOV], lots);
    const { ack, result, entry } = await ask('CLIENT info', { from: '89001234567' });
    expect(entry.from).toBe('89001234567'); // kept as received
    expect(ack.to).toBe(IVANOV.phone);
    expect(result).toMatchObject({ to: IVANOV.phone, text: IVANOV_INFO });
  });

  it('gives an unregistered sender no reply at all and leaks nobody\'s credentials', async () => {
    h = await startWithClients([IVANOV], lots);
    const stranger = '+79009999999';
    h.sim.modem.injectSms(stranger, 'CLIENT info');
    const entry = await settledEntry(h, (e) => e.from === stranger, 'stranger entry');
    expect(entry).toMatchObject({ status: 'rejected', command: 'info', error: 'sender is not a registered client' });
    expect(entry.replies ?? []).toEqual([]);
    const sent = await barrier(h, 'client info');
    expect(sent).toHaveLength(2); // the barrier's ack + result, nothing else
    expect(sent.every((s) => s.to === IVANOV.phone)).toBe(true);
    const jobs = await h.server!.store.listJobs();
    expect(jobs.filter((j) => j.to === stranger)).toEqual([]);
  });

  it('does not process other texts: no reply, status ignored', async () => {
    h = await startWithClients([IVANOV], lots);
    const texts = ['hello', 'CLIENT', 'CLIENT info please', 'CLIENTinfo', 'CLIENT sms', 'INFO CLIENT'];
    for (const t of texts) h.sim.modem.injectSms(IVANOV.phone, t);
    for (const t of texts) {
      const e = await settledEntry(h, (x) => x.text === t, `entry "${t}"`);
      expect(e.status, t).toBe('ignored');
      expect(e.command, t).toBeUndefined();
    }
    const sent = await barrier(h, 'CLIENT INFO');
    expect(sent.map((s) => s.text)).toEqual([ACK, IVANOV_INFO]);
    expect((await inbox(h)).filter((e) => e.status === 'ignored')).toHaveLength(texts.length);
  });
});

describe('seed 000 (Spanish): the same service answering in Spanish', () => {
  it('acknowledges and answers CLIENT info with the manual\'s Spanish texts, line breaks kept, as concatenated UCS2', async () => {
    h = await startWithClients([IVANOV], { config: { language: 'es' } });
    h.sim.modem.injectSms(IVANOV.phone, 'client info');
    const ack = 'Su pedido fue recibido. Espere la notificación sobre la tramitación de la solicitud.';
    const info = 'Centro del registro.\nCódigo personal: 1234.\nPortal del cliente:\nlogin: ivanov\ncontraseña: 1a2b3c4d.\nNo le diga a nadie sus datos del registro.';
    const messages = await waitFor(() => {
      const m = groupSent(h!.sim.modem.sent);
      return m.length >= 2 && m.every((x) => x.complete) ? m : undefined;
    }, 'Spanish ack + result, all parts');
    expect(messages.map((m) => [m.to, m.text])).toEqual([
      [IVANOV.phone, ack],
      [IVANOV.phone, info],
    ]);
    // ó/á are not GSM-7: UCS2, 67 units per concatenated part (84 → 2 parts, 138 → 3).
    expect(messages.map((m) => m.total)).toEqual([2, 3]);
    expect(h.sim.modem.sent.every((p) => p.encoding === 'ucs2')).toBe(true);
  });
});

describe('seed 000/001 "CLIENT sms stop" / "CLIENT sms start": opt-out and back in', () => {
  it('stop turns notifications off (a send is refused as opted-out), start turns them on again', async () => {
    h = await startWithClients([IVANOV], lots);
    const store = h.server!.store;
    const stops: { text: string; encoding?: 'ucs2' }[] = [{ text: 'CLIENT sms stop' }, { text: 'client SMS STOP' }, { text: ' Client\tSms  Stop ', encoding: 'ucs2' }];
    const starts: { text: string; encoding?: 'ucs2' }[] = [{ text: 'CLIENT sms start' }, { text: 'CLIENT SMS START', encoding: 'ucs2' }, { text: 'client\tsms\tstart' }];
    for (let i = 0; i < stops.length; i++) {
      const stop = await ask(stops[i]!.text, stops[i]);
      expect(stop.ack).toMatchObject({ to: IVANOV.phone, text: ACK });
      expect(stop.result).toMatchObject({ to: IVANOV.phone, text: SMS_STOP });
      expect(stop.entry).toMatchObject({ status: 'processed', command: 'sms stop' });
      expect((await store.getClient(IVANOV.phone))?.optIn).toBe(false);

      const refused = await cliOp<{ ids: string[]; rejected: { to: string; error: string }[] }>(h, 'send', { to: IVANOV.phone, text: `notice ${i}` });
      expect(refused.ids).toEqual([]);
      expect(refused.rejected).toEqual([expect.objectContaining({ to: IVANOV.phone, error: 'opted-out' })]);

      const start = await ask(starts[i]!.text, starts[i]);
      expect(start.result).toMatchObject({ to: IVANOV.phone, text: SMS_START });
      expect(start.entry).toMatchObject({ status: 'processed', command: 'sms start' });
      expect((await store.getClient(IVANOV.phone))?.optIn).toBe(true);

      const before = h.sim.modem.sent.length;
      const ok = await cliOp<{ ids: string[] }>(h, 'send', { to: IVANOV.phone, text: `notice ${i}` });
      expect(ok.ids).toHaveLength(1);
      const [n] = (await sentCount(h, before + 1, 'notification')).slice(before);
      expect(n).toMatchObject({ to: IVANOV.phone, text: `notice ${i}` });
    }
    // No refused notification ever reached the modem.
    expect(h.sim.modem.sent.filter((s) => s.text.startsWith('notice'))).toHaveLength(stops.length);
  });
});

describe('abuse and load', () => {
  it('rejects the third command within the hour from one sender, with no reply (perSenderPerHour = 2)', async () => {
    h = await startWithClients([IVANOV], { config: { inbound: { sweepSeconds: 60, multipartTimeoutHours: 24, perSenderPerHour: 2 } } });
    await ask('CLIENT info');
    await ask('client info');
    h.sim.modem.injectSms(IVANOV.phone, 'Client Info');
    const third = await settledEntry(h, (e) => e.text === 'Client Info', 'third request');
    expect(third).toMatchObject({ status: 'rejected', command: 'info', error: 'rate limited' });
    // A different sender is not limited by Ivanov's count, and works as the barrier here.
    const other = { phone: '+79005550000', code: '77', login: 'petrov', password: 'pw' };
    await cliOp(h, 'clients.add', other);
    h.sim.modem.injectSms(other.phone, 'CLIENT info');
    const sent = await sentCount(h, 6, 'replies to the other client');
    expect(sent.slice(4).map((s) => s.to)).toEqual([other.phone, other.phone]);
    expect(sent.filter((s) => s.to === IVANOV.phone)).toHaveLength(4);
  });

  it('sends the acknowledgement ahead of a running mass text (it jumps the queue)', async () => {
    h = await startWithClients([IVANOV], { sim: { sendDelayMs: 500 } });
    const recipients = Array.from({ length: 50 }, (_, i) => `+7900777${String(i).padStart(4, '0')}`);
    const campaign = await cliOp<{ enqueued: number }>(h, 'mass', { text: 'Mass text: our office is closed on Monday.', fileText: recipients.join('\n') });
    expect(campaign.enqueued).toBe(50);
    await sentCount(h, 3, 'mass text under way');
    const massBefore = h.sim.modem.sent.length;
    const t0 = Date.now();
    h.sim.modem.injectSms(IVANOV.phone, 'CLIENT info');
    const sent = await waitFor(() => {
      const i = h!.sim.modem.sent.findIndex((s) => s.to === IVANOV.phone);
      return i >= 0 && h!.sim.modem.sent.length > i + 1 ? h!.sim.modem.sent.slice() : undefined;
    }, 'ack and result during the mass text', 30_000);
    const ackAt = sent.findIndex((s) => s.text === ACK);
    console.log(`[customer e2e] ack on the wire ${Date.now() - t0} ms after inject, behind ${ackAt - massBefore} mass part(s) that were in flight (send delay 500 ms)`);
    // At most the mass part in flight when the SMS arrived, and the one the worker starts while
    // AT+CMGR waits for it, go before the ack. (500 ms per send keeps the disk writes in between
    // well inside one send slot on a slow CI disk.)
    expect(ackAt - massBefore).toBeLessThanOrEqual(2);
    expect(sent[ackAt + 1]).toMatchObject({ to: IVANOV.phone, text: IVANOV_INFO });
    const mass = await h.server!.store.listJobs({ priority: 'mass', state: 'queued' });
    expect(mass.length).toBeGreaterThan(40); // the rest of the campaign still waits behind it
  });
});
