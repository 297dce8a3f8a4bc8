/**
 * E-mail forwarding through the real server on the simulated modem behind a PTY (issue 11): a UCS2
 * SMS with Cyrillic and emoji arrives at a real SMTP server in the test (smtp-server, AUTH
 * required) and is parsed back with mailparser; an SMTP 451 is retried after 5 s (injected clock).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { OffsetClock } from '../helpers/offset-clock.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { addAccount, forwardsOf, routed } from './accounts-helpers.js';

let h: Harness | undefined;
let sink: SmtpSink | undefined;
afterEach(async () => {
  await h?.close();
  await sink?.close();
  h = sink = undefined;
});

describe('e-mail forwarding on the running server', () => {
  it('Cyrillic and emoji intact in a UTF-8 mail; SMTP 451 then success with the same Message-ID', async () => {
    sink = await startSmtpSink();
    const clock = new OffsetClock();
    h = await startHarness({
      clock,
      sim: { ownNumber: '+79990000001' },
      config: { smtp: { host: '127.0.0.1', port: sink.port, secure: false, user: sink.user, pass: sink.pass, from: 'sms@example.test' } },
    });
    await addAccount(h, { login: 'support', email: 'desk@example.test' });
    const text = 'Здравствуйте! Заказ №42 не пришёл 😢📦';
    h.sim.modem.injectSms('+79001234567', `support: ${text}`, { encoding: 'ucs2', timestamp: new Date(Date.UTC(2026, 10, 21, 10, 0, 0)) });
    const e = await routed(h, (x) => x.routedBy === 'prefix', 'routed');
    const [f] = await forwardsOf(h, e.id, 1, (x) => x.status === 'delivered', 'mail delivered');
    expect(f!.channel).toBe('email');
    expect(sink.mails).toHaveLength(1);
    const m = sink.mails[0]!;
    expect(m.subject).toBe('SMS from +79001234567');
    expect(m.text!.split('\n')[0]).toBe(text);
    expect(m.text).toContain('To: +79990000001');
    expect(m.messageId).toBe(`<${f!.messageId}@sms-server>`);

    sink.rejectNext(451);
    h.sim.modem.injectSms('+79001234567', 'support: второе сообщение ✅', { encoding: 'ucs2', timestamp: new Date(Date.UTC(2026, 10, 21, 10, 1, 0)) });
    const e2 = await routed(h, (x) => x.text === 'второе сообщение ✅', 'second routed');
    const [g] = await forwardsOf(h, e2.id, 1, (x) => x.tries === 1, 'first try refused');
    expect(g).toMatchObject({ status: 'pending' });
    expect(g!.attempts[0]!.status).toBe(451);
    clock.advance(5_000 * 1.1);
    const [g2] = await forwardsOf(h, e2.id, 1, (x) => x.status === 'delivered', 'delivered on the retry');
    expect(g2!.attempts.map((a) => a.status)).toEqual([451, 250]);
    await waitFor(() => sink!.mails.length === 2, 'second mail');
    expect(sink.mails[1]!.messageId).toBe(`<${g!.messageId}@sms-server>`);
    expect(sink.mails[1]!.text!.split('\n')[0]).toBe('второе сообщение ✅');
    expect(sink.rcptAttempts).toBe(3);
  });
});
