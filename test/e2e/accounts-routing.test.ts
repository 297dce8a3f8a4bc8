/**
 * Account routes through the real server on the simulated modem behind a PTY (issue 11): `login: `
 * prefix (GSM-7 and UCS2), an unknown prefix falling through, the last sender inside and after
 * 14 days on an injected clock, the dedicated number (the SIM's number from AT+CNUM), a call, and
 * the precedence when several apply. Each claimed message reaches its account's webhook, signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { OffsetClock } from '../helpers/offset-clock.js';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { addAccount, requestsFor, routed, verifyWebhook, type CreatedAccount } from './accounts-helpers.js';
import { cliOp } from './customer-helpers.js';

const SIM_NUMBER = '+79990000001';
const SUBSCRIBER = '+79001112233'; // billing texts this number
const STRANGER = '+79005550001';
const DAY = 86_400_000;

let h: Harness;
let rx: WebhookReceiver;
const clock = new OffsetClock();
const acc: Record<string, CreatedAccount> = {};
let stamp = Date.UTC(2026, 10, 21, 10, 0, 0);

/** Inject an SMS with a fresh SMSC timestamp (identical PDUs would be taken for a re-read). */
function sms(from: string, text: string, encoding?: 'gsm7' | 'ucs2'): void {
  stamp += 1000;
  h.sim.modem.injectSms(from, text, { timestamp: new Date(stamp), ...(encoding ? { encoding } : {}) });
}

beforeAll(async () => {
  rx = await startReceiver('/hook');
  h = await startHarness({ sim: { ownNumber: SIM_NUMBER }, clock });
  acc.acme = await addAccount(h, { login: 'acme', webhook: `${rx.url}?a=acme` });
  acc.billing = await addAccount(h, { login: 'billing', webhook: `${rx.url}?a=billing` });
  acc.desk = await addAccount(h, { login: 'desk', webhook: `${rx.url}?a=desk`, number: SIM_NUMBER });
});

afterAll(async () => {
  await h?.close();
  await rx?.close();
});

/** The webhook request for an entry, verified with the standardwebhooks package. */
async function webhookFor(entryId: string, login: string): Promise<Record<string, unknown>> {
  const r = await waitFor(() => requestsFor(rx.requests, entryId)[0], `webhook for ${entryId}`);
  expect(r.path).toBe(`/hook?a=${login}`);
  return verifyWebhook(acc[login]!.webhookSecret, r, clock);
}

describe('account routes on the running server', () => {
  it('prefix, GSM-7: claimed by the login, prefix removed, original kept, the SIM number recorded, signed webhook', async () => {
    sms(STRANGER, 'acme: Need an invoice for order 42');
    const e = await routed(h, (x) => x.originalText === 'acme: Need an invoice for order 42', 'prefix entry');
    expect(e).toMatchObject({ routedBy: 'prefix', account: 'acme', text: 'Need an invoice for order 42', to: SIM_NUMBER, status: 'processed', encoding: 'gsm7' });
    const body = await webhookFor(e.id, 'acme');
    expect(body).toEqual({
      type: 'sms.received',
      id: e.id,
      account: 'acme',
      from: STRANGER,
      to: SIM_NUMBER,
      text: 'Need an invoice for order 42',
      receivedAt: e.receivedAt,
      parts: 1,
      routedBy: 'prefix',
    });
  });

  it('prefix, UCS2, other case and a no-break space: claimed, Cyrillic and emoji intact', async () => {
    sms(STRANGER, 'ACME:\u00a0Счёт получен 👍', 'ucs2');
    const e = await routed(h, (x) => x.originalText === 'ACME:\u00a0Счёт получен 👍', 'UCS2 prefix entry');
    expect(e).toMatchObject({ routedBy: 'prefix', account: 'acme', text: 'Счёт получен 👍', encoding: 'ucs2' });
    expect((await webhookFor(e.id, 'acme')).text).toBe('Счёт получен 👍');
  });

  it('an unknown prefix falls through to the next route (here: the SIM dedicated to desk)', async () => {
    sms(STRANGER, 'nobody: hello there');
    const e = await routed(h, (x) => x.text === 'nobody: hello there', 'unknown-prefix entry');
    expect(e).toMatchObject({ routedBy: 'number', account: 'desk', to: SIM_NUMBER });
    expect(e.originalText).toBeUndefined();
    expect((await webhookFor(e.id, 'desk')).routedBy).toBe('number');
  });

  it('last sender within 14 days (SMS and a call), precedence prefix > last-sender > number and commands first; after 14 days the next route', async () => {
    // billing sends through the server (send --account billing) and the modem puts it on the air.
    const sent = await cliOp<{ ids: string[] }>(h, 'send', { to: '8 900 111-22-33', text: 'Your bill is ready', account: 'billing' });
    const jobId = sent.ids[0]!;
    await waitFor(async () => (await h.server!.store.getJob(jobId))?.state === 'sent', 'billing SMS sent');
    expect((await h.server!.store.getJob(jobId))!.account).toBe('billing');

    sms(SUBSCRIBER, 'Paid, thanks');
    const reply = await routed(h, (x) => x.text === 'Paid, thanks', 'reply to billing');
    expect(reply).toMatchObject({ routedBy: 'last-sender', account: 'billing', route: { job: jobId } });
    expect((await webhookFor(reply.id, 'billing')).routedBy).toBe('last-sender');

    // The same subscriber: a prefix wins over the last sender; a keyword command wins over both.
    sms(SUBSCRIBER, 'acme: wrong department');
    expect(await routed(h, (x) => x.originalText === 'acme: wrong department', 'prefix beats last-sender')).toMatchObject({ routedBy: 'prefix', account: 'acme' });
    sms(SUBSCRIBER, 'CLIENT sms stop');
    expect(await routed(h, (x) => x.text === 'CLIENT sms stop', 'command first')).toMatchObject({ routedBy: 'command', status: 'processed' });
    expect(rx.requests.some((r) => r.body.includes('CLIENT sms stop'))).toBe(false);

    // A call from that subscriber: last-sender too (calls take the last two routes).
    h.sim.modem.injectCall(SUBSCRIBER);
    const call = await routed(h, (x) => x.status === 'call' && x.from === SUBSCRIBER, 'call routed');
    expect(call).toMatchObject({ routedBy: 'last-sender', account: 'billing', text: '[CALL]', to: SIM_NUMBER });
    expect(await webhookFor(call.id, 'billing')).toMatchObject({ type: 'call.received', text: '[CALL]', from: SUBSCRIBER });

    // 14 days minus an hour later: still billing's.
    clock.advance(14 * DAY - 3_600_000);
    sms(SUBSCRIBER, 'One more question');
    expect(await routed(h, (x) => x.text === 'One more question', 'inside the window')).toMatchObject({ routedBy: 'last-sender', account: 'billing' });

    // Two hours later the window has closed: the dedicated number takes it.
    clock.advance(2 * 3_600_000);
    sms(SUBSCRIBER, 'Hello again');
    const late = await routed(h, (x) => x.text === 'Hello again', 'after the window');
    expect(late).toMatchObject({ routedBy: 'number', account: 'desk' });
    expect((await webhookFor(late.id, 'desk')).routedBy).toBe('number');
  });

  it('a call from a stranger on the dedicated SIM goes to its account', async () => {
    h.sim.modem.injectCall('+79007770000');
    const call = await routed(h, (x) => x.status === 'call' && x.from === '+79007770000', 'stranger call routed');
    expect(call).toMatchObject({ routedBy: 'number', account: 'desk' });
    expect((await webhookFor(call.id, 'desk')).type).toBe('call.received');
  });
});
