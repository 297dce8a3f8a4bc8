/**
 * An independent SMPP client: Debian's Kannel. bearerbox binds an `smsc = smpp` group (transceiver)
 * to our listener on loopback; smsbox gives it an HTTP sendsms interface and hands inbound SMS and
 * delivery reports to a small HTTP server in this test. Kannel does its own GSM/UCS2 coding,
 * splitting into UDH parts and receipt parsing, so this checks our wire format against code we did
 * not write. Skipped with a reason when Kannel is not installed (`apt-get install kannel`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmsc, until, type TestSmsc } from './helpers.js';
import { haveKannel, moText, startKannel, type Kannel } from './kannel.js';

describe.skipIf(!haveKannel)('Kannel bearerbox + smsbox as the SMPP client (skipped when Debian kannel is not installed)', () => {
  let smsc: TestSmsc;
  let kannel: Kannel;

  beforeAll(async () => {
    smsc = await startSmsc({ passwords: { kannel: 'k4nnel' } });
    kannel = await startKannel({ smscPort: smsc.port, username: 'kannel', password: 'k4nnel', until });
    await until(() => smsc.server.sessions('kannel').length > 0, 'Kannel to bind', 20_000);
  }, 60_000);

  afterAll(async () => {
    await kannel?.stop();
    await smsc?.stop();
  }, 30_000);

  const sendsms = (params: Record<string, string>) => kannel.sendsms(params);
  const hits = () => kannel.hits;

  it('submits GSM-7, UCS2 and a 3-part concatenated message that arrive as three jobs with the right text', async () => {
    const dlrUrl = kannel.dlrUrl;
    expect(await sendsms({ to: '79001234567', text: 'Hello @ {Kannel} €5', 'dlr-mask': '3', 'dlr-url': dlrUrl('gsm') })).toMatch(/^202/);
    await until(() => smsc.submitter.submitted.length === 1, 'the GSM-7 job', 15_000);
    expect(await sendsms({ to: '+79001234568', text: 'Привет из Kannel 👋', charset: 'UTF-8', coding: '2' })).toMatch(/^202/);
    await until(() => smsc.submitter.submitted.length === 2, 'the UCS2 job', 15_000);
    const long = Array.from({ length: 55 }, (_, i) => `part${i}`).join(' ') + ' the end.'; // 384 GSM-7 characters: 3 parts of ≤ 153
    expect(await sendsms({ to: '79001234569', text: long })).toMatch(/^202/);
    await until(() => smsc.submitter.submitted.length === 3, 'the concatenated job', 15_000);
    const got = smsc.submitter.submitted.map((s) => ({ to: s.message.to, text: s.message.text, parts: s.message.parts, rd: s.message.registeredDelivery }));
    // No `+`: Kannel sends TON 0 (unknown) and we keep the number as given; with `+` it sends TON 1.
    expect(got[0]).toMatchObject({ to: '79001234567', text: 'Hello @ {Kannel} €5', parts: 1, rd: 1 });
    expect(got[1]).toMatchObject({ to: '+79001234568', text: 'Привет из Kannel 👋', parts: 1 });
    expect(got[2]).toMatchObject({ to: '79001234569', text: long, parts: 3 });
  });

  it('delivers an inbound SMS (GSM-7 and UCS2) that smsbox hands to its sms-service', async () => {
    await smsc.queue.enqueue('kannel', { kind: 'sms', from: '+79005550001', to: '+79160000000', text: 'Inbound @ test', receivedAt: new Date().toISOString() });
    await smsc.queue.enqueue('kannel', { kind: 'sms', from: '+79005550002', to: '+79160000000', text: 'Входящее ✓', receivedAt: new Date().toISOString() });
    smsc.server.notify('kannel');
    const mo = await until(() => (hits().filter((h) => h.path === '/mo').length >= 2 ? hits().filter((h) => h.path === '/mo') : undefined), 'two MO requests', 15_000);
    const byFrom = new Map(mo.map((h) => [h.q.get('from'), h]));
    expect(moText(byFrom.get('+79005550001')!)).toBe('Inbound @ test');
    expect(byFrom.get('+79005550002')!.q.get('coding')).toBe('2');
    expect(moText(byFrom.get('+79005550002')!)).toBe('Входящее ✓');
    await until(() => smsc.queue.pending('kannel').length === 0, 'both acknowledged by Kannel');
  });

  it('hands our delivery receipt to the dlr-url of the message it belongs to', async () => {
    const job = smsc.submitter.submitted[0]!;
    await smsc.queue.enqueue('kannel', {
      kind: 'receipt',
      jobId: job.id,
      recipient: job.message.to,
      originator: job.message.from,
      state: 'delivered',
      submittedAt: new Date().toISOString(),
      doneAt: new Date().toISOString(),
      parts: 1,
      delivered: 1,
      error: 0,
      text: job.message.text,
    });
    smsc.server.notify('kannel');
    const dlr = await until(() => hits().find((h) => h.path === '/dlr' && h.q.get('n') === 'gsm' && h.q.get('type') === '1'), 'the delivered DLR callback', 15_000);
    expect(dlr.q.get('reply')).toMatch(new RegExp(`id:${job.id} .*stat:DELIVRD`));
  });
});
