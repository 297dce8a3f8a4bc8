/**
 * The delivery engine against real HTTP receivers (node:http on 127.0.0.1) on a clock that can
 * jump: the retry schedule, the same webhook-id on every attempt, 410, timeouts that hold only
 * their own account's lane, redirects not followed, stop → re-delivery by the next start.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCredentials } from '../../src/accounts/credentials.js';
import { ForwardDispatcher } from '../../src/forward/dispatcher.js';
import { receivedEvent } from '../../src/forward/events.js';
import { RETRY_SCHEDULE_MS } from '../../src/forward/schedule.js';
import { WebhookSender } from '../../src/forward/webhook-sender.js';
import type { Account } from '../../src/store/account-types.js';
import { MemoryAccountsAndForwards } from '../../src/store/memory-accounts.js';
import { decryptSecret } from '../../src/util/secret.js';
import { waitFor } from '../helpers/harness.js';
import { OffsetClock } from '../helpers/offset-clock.js';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const key = randomBytes(32);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(fallback: number | 'hang' = 200): Promise<WebhookReceiver> {
  const r = await startReceiver('/hook', fallback);
  cleanups.push(() => r.close());
  return r;
}

function setup(o: { timeoutMs?: number; concurrency?: number } = {}) {
  const clock = new OffsetClock();
  const store = new MemoryAccountsAndForwards(clock);
  const secrets = new Map<string, string>();
  const make = () =>
    new ForwardDispatcher({
      store,
      senders: { webhook: new WebhookSender({ secretsOf: (a) => [decryptSecret(a.webhookSecretEnc, key)], clock, timeoutMs: o.timeoutMs }) },
      clock,
      random: () => 0.5, // no jitter: delays are exactly the schedule
      concurrency: o.concurrency,
    });
  const dispatcher = make();
  cleanups.push(() => dispatcher.stop(0));
  const account = async (login: string, webhook: string, extra: Partial<Account> = {}) => {
    const c = makeCredentials(key);
    secrets.set(login, c.webhookSecret);
    const a: Account = { login, webhook, tokenHash: c.tokenHash, webhookSecretEnc: c.webhookSecretEnc, createdAt: '', updatedAt: '', ...extra };
    await store.putAccount(a);
    return a;
  };
  let n = 0;
  const sms = (login: string, text = 'hello') =>
    dispatcher.emit(login, receivedEvent({ id: `in-${n++}`, from: '+79001234567', to: '+79990000001', text, receivedAt: new Date(clock.now()).toISOString(), parts: 1, status: 'processed' }, login, 'prefix'));
  return { clock, store, dispatcher, make, account, sms, secrets };
}

describe('ForwardDispatcher', () => {
  it('fails twice, then 200: retried at once, after 5 s and after 5 min, same webhook-id, every signature verifies', async () => {
    const rx = await receiver();
    rx.script([500, 503], 200);
    const t = setup();
    await t.account('acme', rx.url);
    await t.dispatcher.start();
    const [f] = await t.sms('acme', 'Привет 👋');
    const wh = new Webhook(t.secrets.get('acme')!);
    // A receiver verifies on arrival, its clock agreeing with the server's (which jumps ahead here).
    const verifyLatest = () => t.clock.withDateNow(() => wh.verify(rx.requests.at(-1)!.body, rx.requests.at(-1)!.headers));
    await waitFor(() => rx.requests.length === 1, 'first attempt');
    expect(verifyLatest()).toMatchObject({ type: 'sms.received', text: 'Привет 👋', account: 'acme', routedBy: 'prefix' });
    await waitFor(async () => (await t.store.getForward(f!.id))!.tries === 1, 'first attempt recorded');
    const afterFirst = (await t.store.getForward(f!.id))!;
    expect(afterFirst.status).toBe('pending');
    expect(Date.parse(afterFirst.nextAttemptAt!) - Date.parse(afterFirst.attempts[0]!.at)).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[1]!);

    t.clock.advance(4_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.requests).toHaveLength(1); // not before its time
    t.clock.advance(1_000);
    await waitFor(() => rx.requests.length === 2, 'second attempt after 5 s');
    expect(verifyLatest()).toMatchObject({ id: 'in-0' });
    await waitFor(async () => (await t.store.getForward(f!.id))!.tries === 2, 'second attempt recorded');
    t.clock.advance(5 * 60_000);
    await waitFor(() => rx.requests.length === 3, 'third attempt after 5 min');
    expect(verifyLatest()).toMatchObject({ id: 'in-0' });
    const done = await waitFor(async () => {
      const x = (await t.store.getForward(f!.id))!;
      return x.status === 'delivered' ? x : undefined;
    }, 'delivered');

    expect(done.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
    expect(done.attempts[0]!.error).toBe('HTTP 500');
    const ids = rx.requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set([f!.messageId]));
    expect(new Set(rx.requests.map((r) => r.body)).size).toBe(1); // the same bytes each time
    const last = rx.requests[2]!;
    expect(() => t.clock.withDateNow(() => wh.verify(last.body.replace('Привет', 'Пока'), last.headers))).toThrow(/signature/i);
  });

  it('410 Gone: that forward fails, the webhook is disabled and the account\'s other waiting webhooks fail; another account is untouched', async () => {
    const gone = await receiver(410);
    const fine = await receiver(200);
    const t = setup({ concurrency: 1 });
    await t.account('acme', gone.url);
    await t.account('beta', fine.url);
    await t.dispatcher.start();
    const [a1] = await t.sms('acme');
    const [a2] = await t.sms('acme');
    const [b1] = await t.sms('beta');
    await waitFor(async () => (await t.store.getForward(a1!.id))!.status === 'failed', 'first forward failed');
    await waitFor(async () => (await t.store.getForward(a2!.id))!.status === 'failed', 'second forward failed');
    await waitFor(async () => (await t.store.getForward(b1!.id))!.status === 'delivered', 'other account delivered');
    expect(gone.requests).toHaveLength(1); // the second one was never sent
    expect((await t.store.getForward(a1!.id))!.attempts[0]!.status).toBe(410);
    expect((await t.store.getForward(a2!.id))!.reason).toMatch(/webhook disabled/);
    const acme = (await t.store.getAccount('acme'))!;
    expect(acme.webhookDisabled?.reason).toMatch(/410/);
    // New events make no webhook forward for a disabled webhook.
    expect(await t.sms('acme')).toEqual([]);
  });

  it('a receiver that never answers times out and holds only its own lane: another account is delivered meanwhile', async () => {
    const dead = await receiver('hang');
    const fine = await receiver(200);
    const t = setup({ timeoutMs: 1500, concurrency: 2 });
    await t.account('slow', dead.url);
    await t.account('fast', fine.url);
    await t.dispatcher.start();
    for (let i = 0; i < 5; i++) await t.sms('slow');
    await waitFor(() => dead.requests.length === 2, 'two attempts in flight');
    const started = Date.now();
    const [fast] = await t.sms('fast');
    await waitFor(async () => (await t.store.getForward(fast!.id))!.status === 'delivered', 'other account delivered');
    expect(Date.now() - started).toBeLessThan(1000); // not behind the 1.5 s timeouts
    expect(dead.requests).toHaveLength(2); // bounded: the lane has 2 slots
    const slow = await waitFor(async () => {
      const list = await t.store.listForwards({ account: 'slow' });
      return list.filter((f) => f.tries > 0).length >= 2 ? list : undefined;
    }, 'timeouts recorded', 10_000);
    const timedOut = slow.filter((f) => f.tries > 0);
    expect(timedOut[0]!.attempts[0]!.error).toBe('no answer within 1.5 s');
    expect(timedOut.every((f) => f.status === 'pending')).toBe(true);
    // Freed slots go to the next waiting forwards of that lane.
    await waitFor(() => dead.requests.length >= 4, 'next two attempts started');
  });

  it('gives up after the 10 attempts of the schedule', async () => {
    const rx = await receiver(500);
    const t = setup();
    await t.account('acme', rx.url);
    await t.dispatcher.start();
    const [f] = await t.sms('acme');
    for (let i = 1; i <= RETRY_SCHEDULE_MS.length; i++) {
      await waitFor(async () => (await t.store.getForward(f!.id))!.tries === i, `attempt ${i} recorded`);
      t.clock.advance(RETRY_SCHEDULE_MS[i] ?? 0);
    }
    const x = (await t.store.getForward(f!.id))!;
    expect(x.status).toBe('failed');
    expect(x.reason).toMatch(/^gave up after 10 attempts; last: HTTP 500/);
    expect(rx.requests).toHaveLength(10);
    const gaps = x.attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(x.attempts[i]!.at));
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[i + 1]!));

    // forwards retry: armed again, the schedule starts over, the history is kept.
    rx.script([], 200);
    await t.dispatcher.retry(f!.id);
    const again = await waitFor(async () => {
      const y = (await t.store.getForward(f!.id))!;
      return y.status === 'delivered' ? y : undefined;
    }, 'delivered after retry');
    expect(again.attempts).toHaveLength(11);
    await expect(t.dispatcher.retry(f!.id)).rejects.toMatchObject({ code: 'FORWARD_STATE' });
    await expect(t.dispatcher.retry('fwd-999')).rejects.toMatchObject({ code: 'FORWARD_NOT_FOUND' });
  });

  it('does not follow a redirect (the signed body goes only where configured)', async () => {
    const elsewhere = await receiver(200);
    const { createServer } = await import('node:http');
    const redirector = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: elsewhere.url }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => redirector.close(() => r())));
    const t = setup();
    await t.account('acme', `http://127.0.0.1:${(redirector.address() as { port: number }).port}/hook`);
    await t.dispatcher.start();
    const [f] = await t.sms('acme');
    const x = await waitFor(async () => {
      const y = (await t.store.getForward(f!.id))!;
      return y.tries === 1 ? y : undefined;
    }, 'attempt recorded');
    expect(x.status).toBe('pending');
    expect(x.attempts[0]).toMatchObject({ status: 307, error: `redirect to ${elsewhere.url} not followed` });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('stop() in the middle of an attempt records nothing; the next start delivers it with the same webhook-id', async () => {
    const rx = await receiver('hang');
    const t = setup({ timeoutMs: 60_000 });
    await t.account('acme', rx.url);
    await t.dispatcher.start();
    const [f] = await t.sms('acme');
    await waitFor(() => rx.requests.length === 1, 'attempt in flight');
    await t.dispatcher.stop(100);
    const left = (await t.store.getForward(f!.id))!;
    expect(left).toMatchObject({ status: 'pending', tries: 0, attempts: [] });

    rx.script([], 200);
    const next = t.make();
    cleanups.push(() => next.stop(0));
    await next.start();
    await waitFor(async () => (await t.store.getForward(f!.id))!.status === 'delivered', 'delivered after restart');
    expect(rx.requests.map((r) => r.headers['webhook-id'])).toEqual([f!.messageId, f!.messageId]);
  });

  it('an e-mail forward without an SMTP configuration fails at once with a reason that says what to do; a removed account fails its forwards', async () => {
    const rx = await receiver(200);
    const t = setup();
    await t.account('desk', rx.url, { email: 'desk@example.com' });
    await t.dispatcher.start();
    const made = await t.sms('desk');
    expect(made.map((f) => f.channel)).toEqual(['webhook', 'email']);
    const mail = await waitFor(async () => {
      const f = (await t.store.getForward(made[1]!.id))!;
      return f.status === 'failed' ? f : undefined;
    }, 'e-mail forward failed');
    expect(mail.reason).toMatch(/e-mail forwarding is not configured: set "smtp"/);
    await waitFor(async () => (await t.store.getForward(made[0]!.id))!.status === 'delivered', 'webhook delivered');

    await t.store.removeAccount('desk');
    await t.store.updateForward(made[1]!.id, { status: 'pending', tries: 0, nextAttemptAt: new Date(t.clock.now()).toISOString() });
    t.dispatcher.track([(await t.store.getForward(made[1]!.id))!]);
    const gone = await waitFor(async () => {
      const f = (await t.store.getForward(made[1]!.id))!;
      return f.status === 'failed' && f.attempts.length === 2 ? f : undefined;
    }, 'failed for a removed account');
    expect(gone.reason).toBe('account "desk" no longer exists');
  });

  it('leaves smpp forwards to the SMPP listener: stored with the deliver_sm payload, handed to `pulled`, never pushed; a call makes none', async () => {
    const rx = await receiver(200);
    const clock = new OffsetClock();
    const store = new MemoryAccountsAndForwards(clock);
    const pulled: string[][] = [];
    const d = new ForwardDispatcher({ store, senders: { webhook: new WebhookSender({ secretsOf: () => ['whsec_' + randomBytes(24).toString('base64')], clock }) }, clock, pulled: (f) => pulled.push(f.map((x) => x.id)) });
    cleanups.push(() => d.stop(0));
    await d.start();
    const c = makeCredentials(key);
    await store.putAccount({ login: 'acme', webhook: `${rx.url}`, smppPasswordHash: 'scrypt$1$1$1$AA==$AA==', tokenHash: c.tokenHash, webhookSecretEnc: c.webhookSecretEnc, createdAt: '', updatedAt: '' });
    const at = new Date(clock.now()).toISOString();
    const stored = await d.emit('acme', receivedEvent({ id: 'in-1', from: '+79001234567', to: null, text: 'hi', receivedAt: at, parts: 1, status: 'processed' }, 'acme', 'prefix'));
    expect(stored.map((f) => f.channel)).toEqual(['webhook', 'smpp']);
    const smpp = stored.find((f) => f.channel === 'smpp')!;
    expect(smpp.payload).toEqual({ kind: 'sms', from: '+79001234567', text: 'hi', receivedAt: at });
    expect(pulled).toEqual([[smpp.id]]);
    await waitFor(() => rx.requests.length === 1, 'the webhook');
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.requests).toHaveLength(1);
    expect((await store.getForward(smpp.id))!.status).toBe('pending'); // not the dispatcher's to deliver
    const call = await d.emit('acme', receivedEvent({ id: 'in-2', from: '+79001234567', to: null, text: '[CALL]', receivedAt: at, parts: 1, status: 'call' }, 'acme', 'prefix'));
    expect(call.map((f) => f.channel)).toEqual(['webhook']);
  });
});
