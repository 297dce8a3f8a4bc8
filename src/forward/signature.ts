/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the base64
 * bytes after `whsec_`. Several signatures are space-separated (a secret being rotated signs too),
 * so receivers accept either key. Tested against the `standardwebhooks` package's `verify`.
 */
import { createHmac } from 'node:crypto';
import { SECRET_PREFIX } from '../accounts/credentials.js';
import { ForwardError } from './errors.js';

function secretBytes(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(b64, 'base64');
  if (key.length < 16) throw new ForwardError('FORWARD_SECRET', 'a webhook secret must be whsec_ followed by base64 of at least 16 bytes');
  return key;
}

/** `v1,<base64>` for one secret. */
export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSec}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers for one attempt (one signature per secret). */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSec: number, body: string): Record<string, string> {
  if (secrets.length === 0) throw new ForwardError('FORWARD_SECRET', 'no webhook secret to sign with');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': secrets.map((s) => signWebhook(s, id, timestampSec, body)).join(' '),
  };
}
