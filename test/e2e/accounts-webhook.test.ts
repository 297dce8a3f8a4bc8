/**
 * Webhook delivery through the real server on the simulated modem behind a PTY (issue 11): a
 * receiver failing twice then answering 200 (retried at once, after 5 s and 5 min on an injected
 * clock; the same webhook-id each time; signatures checked with the standardwebhooks package; a
 * tampered body rejected), a 410 (webhook disabled), and a receiver that never answers (timeout;
 * another account and the modem's replies unaffected).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountView } from '../../src/accounts/service.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { OffsetClock } from '../helpers/offset-clock.js';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { addAccount, forwardsOf, requestsFor, routed, verifyWebhook } from './accounts-helpers.js';
import { ACK } from './customer-helpers.js';

let h: Harness | undefined;
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(fallback: number | 'hang' = 200): Promise<WebhookReceiver> {
  const r = await startReceiver('/hook', fallback);
  receivers.push(r);
  return r;
}

let stamp = Date.UTC(2026, 10, 21, 12, 0, 0);
function sms(from: string, text: string): void {
  stamp += 1000;
  h!.sim.modem.injectSms(from, text, { timestamp: new Date(stamp) });
}

describe('webhook forwarding on the running server', () => {
  it('fails twice, then 200: the same webhook-id at once, after 5 s and after 5 min; every signature verifies; a tampered body does not', async () => {
    const rx = await receiver();
    rx.script([500, 502], 200);
    const clock = new OffsetClock();
    h = await startHarness({ clock });
    const acme = await addAccount(h, { login: 'acme', webhook: rx.url });
    sms('+79001234567', 'acme: please call me back');
    const e = await routed(h, (x) => x.routedBy === 'prefix', 'routed entry');
    const verifyLatest = () => verifyWebhook(acme.webhookSecret, rx.requests.at(-1)!, clock);

    await waitFor(() => rx.requests.length === 1, 'first attempt (at once)');
    expect(verifyLatest()).toMatchObject({ id: e.id, text: 'please call me back' });
    await forwardsOf(h, e.id, 1, (f) => f.tries === 1, 'first attempt recorded');
    clock.advance(5_000 * 1.1); // the 5 s delay plus its jitter
    await waitFor(() => rx.requests.length === 2, 'second attempt (5 s)');
    expect(verifyLatest()).toMatchObject({ id: e.id });
    await forwardsOf(h, e.id, 1, (f) => f.tries === 2, 'second attempt recorded');
    clock.advance(5 * 60_000 * 1.1);
    await waitFor(() => rx.requests.length === 3, 'third attempt (5 min)');
    expect(verifyLatest()).toMatchObject({ id: e.id });
    const [f] = await forwardsOf(h, e.id, 1, (x) => x.status === 'delivered', 'delivered');

    expect(new Set(rx.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([f!.messageId]));
    expect(f!.attempts.map((a) => a.status)).toEqual([500, 502, 200]);
    const last = rx.requests.at(-1)!;
    expect(() => verifyWebhook(acme.webhookSecret, { ...last, body: last.body.replace('call me back', 'wire me money') }, clock)).toThrow(/signature/i);
  });

  it('410 Gone: the forward fails, the webhook is disabled (shown by accounts list), later messages make no webhook forward', async () => {
    const gone = await receiver(410);
    h = await startHarness();
    await addAccount(h, { login: 'acme', webhook: gone.url });
    sms('+79001234567', 'acme: first');
    const e1 = await routed(h, (x) => x.text === 'first', 'first routed');
    const [f] = await forwardsOf(h, e1.id, 1, (x) => x.status === 'failed', 'first forward failed');
    expect(f!.attempts).toHaveLength(1);
    expect(f!.attempts[0]!.status).toBe(410);
    const view = accountView((await h.server!.store.getAccount('acme'))!);
    expect(view.webhookStatus).toBe('disabled');
    expect(view.webhookDisabled!.reason).toMatch(/410/);

    sms('+79001234567', 'acme: second');
    const e2 = await routed(h, (x) => x.text === 'second', 'second routed');
    expect(e2.account).toBe('acme'); // still the account's message, visible in its inbox
    expect(await h.server!.store.listForwards({ ref: e2.id })).toEqual([]);
    expect(gone.requests).toHaveLength(1);
  });

  it('a receiver that never answers times out; another account is delivered and the modem answers a command meanwhile', async () => {
    const dead = await receiver('hang');
    const fine = await receiver(200);
    h = await startHarness({ config: { forward: { timeoutSeconds: 3, concurrency: 2 } } });
    await addAccount(h, { login: 'slow', webhook: dead.url });
    await addAccount(h, { login: 'fast', webhook: fine.url });
    for (let i = 0; i < 4; i++) sms(`+7900100000${i}`, `slow: message ${i}`);
    await waitFor(() => dead.requests.length === 2, 'two attempts hanging (the lane holds 2)');

    const t0 = Date.now();
    sms('+79002000000', 'fast: are you there?');
    sms('+79003000000', 'CLIENT sms stop');
    const e = await routed(h, (x) => x.text === 'are you there?', 'fast routed');
    await forwardsOf(h, e.id, 1, (f) => f.status === 'delivered', 'fast delivered while slow hangs');
    await waitFor(() => h!.sim.modem.sent.some((s) => s.to === '+79003000000' && s.text === ACK), 'command acknowledged by SMS');
    expect(Date.now() - t0).toBeLessThan(3000); // neither waited for the 3 s timeouts
    expect(dead.requests).toHaveLength(2);

    const timedOut = await waitFor(async () => {
      const list = (await h!.server!.store.listForwards({ account: 'slow' })).filter((f) => f.tries > 0);
      return list.length >= 2 ? list : undefined;
    }, 'timeouts recorded', 10_000);
    expect(timedOut.every((f) => f.status === 'pending' && f.attempts[0]!.error === 'no answer within 3 s')).toBe(true);
    await waitFor(() => dead.requests.length >= 4, 'the lane moves on to the next two');
    expect(requestsFor(fine.requests, e.id)).toHaveLength(1);
  });

  it('the README\'s receiver example, run as pasted, verifies what the server sends and refuses a forged request', async () => {
    // The heredoc of the README block that writes receiver.mjs, byte for byte.
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const code = /cat > receiver\.mjs <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(readme)?.[1];
    expect(code, 'README has the receiver.mjs block').toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'sms-readme-rx-'));
    writeFileSync(join(dir, 'receiver.mjs'), code! + '\n');
    const port = await new Promise<number>((r) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => r(p));
      });
    });
    h = await startHarness();
    const crm = await addAccount(h, { login: 'crm', webhook: `http://127.0.0.1:${port}/sms` });
    let out = '';
    const child: ChildProcess = spawn(process.execPath, ['receiver.mjs'], { cwd: dir, env: { ...process.env, WEBHOOK_SECRET: crm.webhookSecret, PORT: String(port) } });
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/sms`, { method: 'POST', body: '{}' }).catch(() => undefined))?.status === 401, 'receiver listening (and refusing an unsigned request)');
      sms('+79001234567', 'crm: Привет из README 👋');
      const e = await routed(h, (x) => x.routedBy === 'prefix', 'routed');
      const [f] = await forwardsOf(h, e.id, 1, (x) => x.status === 'delivered', 'delivered to the README receiver');
      expect(f!.attempts[0]!.status).toBe(204);
      await waitFor(() => out.includes('sms.received for crm from +79001234567: Привет из README 👋'), `receiver output (${out})`);
      const forged = await fetch(`http://127.0.0.1:${port}/sms`, {
        method: 'POST',
        headers: { 'webhook-id': f!.messageId, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') },
        body: JSON.stringify({ type: 'sms.received', text: 'forged' }),
      });
      expect(forged.status).toBe(401);
      expect(out).not.toContain('forged');
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
