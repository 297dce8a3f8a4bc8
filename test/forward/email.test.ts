/**
 * E-mail forwarding through nodemailer to a real SMTP server in the test (smtp-server, AUTH
 * required), each mail parsed back with mailparser: Cyrillic and emoji intact, the subject and
 * Message-ID as documented; a 4xx is retried on the schedule, a 5xx fails at once, a refused
 * connection is retried.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCredentials } from '../../src/accounts/credentials.js';
import { ForwardDispatcher } from '../../src/forward/dispatcher.js';
import { EmailSender } from '../../src/forward/email-sender.js';
import { receivedEvent } from '../../src/forward/events.js';
import { MemoryAccountsAndForwards } from '../../src/store/memory-accounts.js';
import { waitFor } from '../helpers/harness.js';
import { OffsetClock } from '../helpers/offset-clock.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const key = randomBytes(32);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(port: number, sink?: SmtpSink) {
  const clock = new OffsetClock();
  const store = new MemoryAccountsAndForwards(clock);
  const sender = new EmailSender({ host: '127.0.0.1', port, secure: false, user: sink?.user ?? 'x', pass: sink?.pass ?? 'y', from: '"SMS server" <sms@example.test>' }, { timeoutMs: 5000 });
  const dispatcher = new ForwardDispatcher({ store, senders: { email: sender }, clock, random: () => 0.5 });
  cleanups.push(async () => {
    await dispatcher.stop(0);
    await sender.close();
  });
  const c = makeCredentials(key);
  await store.putAccount({ login: 'support', email: 'desk@example.test', tokenHash: c.tokenHash, webhookSecretEnc: c.webhookSecretEnc, createdAt: '', updatedAt: '' });
  await dispatcher.start();
  const send = (text: string, status = 'processed') =>
    dispatcher.emit('support', receivedEvent({ id: 'in-42', from: '+79001234567', to: '+79990000001', text, receivedAt: '2026-11-21T10:00:00.000Z', parts: 2, status }, 'support', 'last-sender'));
  return { clock, store, dispatcher, send };
}

const settled = async (store: MemoryAccountsAndForwards, id: string, tries: number) =>
  waitFor(async () => {
    const f = (await store.getForward(id))!;
    return f.tries >= tries ? f : undefined;
  }, `forward ${id} tried ${tries}×`, 15_000);

describe('e-mail forwarding', () => {
  it('one UTF-8 mail per SMS: Cyrillic and emoji intact, subject "SMS from …", stable Message-ID, metadata in the body', async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const t = await setup(sink.port, sink);
    const text = 'Здравствуйте! Заказ №42 готов 📦✅ — ёжик 👨‍👩‍👧';
    const [f] = await t.send(text);
    const done = await settled(t.store, f!.id, 1);
    expect(done.status).toBe('delivered');
    expect(done.attempts[0]!.status).toBe(250);
    expect(sink.mails).toHaveLength(1);
    const m = sink.mails[0]!;
    expect(m.subject).toBe('SMS from +79001234567');
    expect(m.text!.split('\n')[0]).toBe(text);
    expect(m.text).toContain('To: +79990000001');
    expect(m.text).toContain('Routed by: last-sender');
    expect(m.text).toContain('Parts: 2');
    expect(m.messageId).toBe(`<${f!.messageId}@sms-server>`);
    expect((m.to as { text: string }).text).toBe('desk@example.test');
    expect(m.from!.text).toContain('sms@example.test');

    const [call] = await t.send('[CALL]', 'call');
    await settled(t.store, call!.id, 1);
    expect(sink.mails[1]!.subject).toBe('Call from +79001234567');
  });

  it('SMTP 451 then success: retried after 5 s with the same Message-ID; 550 fails at once', async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const t = await setup(sink.port, sink);
    sink.rejectNext(451);
    const [f] = await t.send('first try is refused');
    const first = await settled(t.store, f!.id, 1);
    expect(first.status).toBe('pending');
    expect(first.attempts[0]!.status).toBe(451);
    expect(sink.mails).toHaveLength(0);
    t.clock.advance(5_000);
    const done = await settled(t.store, f!.id, 2);
    expect(done.status).toBe('delivered');
    expect(sink.mails).toHaveLength(1);
    expect(sink.mails[0]!.messageId).toBe(`<${f!.messageId}@sms-server>`);

    sink.rejectNext(550);
    const [g] = await t.send('never deliverable');
    const failed = await settled(t.store, g!.id, 1);
    expect(failed.status).toBe('failed');
    expect(failed.attempts[0]!.status).toBe(550);
    expect(failed.reason).toMatch(/550|Mailbox unavailable/);
  });

  it('a refused connection is retried (no SMTP server yet)', async () => {
    const sink = await startSmtpSink();
    const port = sink.port;
    await sink.close(); // nothing listens on this port now
    const t = await setup(port);
    const [f] = await t.send('server down');
    const first = await settled(t.store, f!.id, 1);
    expect(first.status).toBe('pending');
    expect(first.attempts[0]!.error).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
    expect(first.attempts[0]!.status).toBeUndefined();
  });
});
