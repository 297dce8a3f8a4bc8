/**
 * Our Standard Webhooks signer against an implementation we did not write: the `standardwebhooks`
 * package's verify() accepts our headers, and rejects a tampered body, another secret, a changed id.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../src/accounts/credentials.js';
import { signWebhook, webhookHeaders } from '../../src/forward/signature.js';

const body = JSON.stringify({ type: 'sms.received', id: 'in-7', account: 'acme', from: '+79001234567', to: null, text: 'Привет 👋 {ok}', receivedAt: '2026-11-21T10:00:00.000Z', parts: 1, routedBy: 'prefix' });

describe('Standard Webhooks signature', () => {
  it('verifies with the standardwebhooks package; a tampered body, other secret or other id is rejected', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const ts = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([secret], 'msg_abc', ts, body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const wh = new Webhook(secret);
    expect(wh.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => wh.verify(body.replace('acme', 'evil'), headers)).toThrow(/signature/i);
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(/signature/i);
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(/signature/i);
  });

  it('is the documented HMAC: v1,base64(HMAC-SHA256(key, "id.ts.body")) — a fixed vector', () => {
    // Key bytes 0x00..0x1f; the expected value was computed with the standardwebhooks package's sign().
    const secret = 'whsec_' + Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
    const expected = new Webhook(secret).sign('msg_1', new Date(1_700_000_000_000), '{"a":1}');
    expect(signWebhook(secret, 'msg_1', 1_700_000_000, '{"a":1}')).toBe(expected);
  });

  it('during a rotation both secrets sign: a receiver with either one accepts', () => {
    const oldSecret = newWebhookSecret();
    const newSecret = newWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([newSecret, oldSecret], 'msg_rot', ts, body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, headers)).toBeTruthy();
    expect(new Webhook(newSecret).verify(body, headers)).toBeTruthy();
  });
});
