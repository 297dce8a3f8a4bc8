/**
 * Access codes are never stored in the clear (seed 003: "stored and transmitted protected").
 * A 6-digit code has only 10^6 values, so a plain hash falls to an offline search in milliseconds;
 * we store HMAC-SHA256 under a key derived (HKDF) from the server's secret key — the pepper lives in
 * the config, SMS_SERVER_KEY or `secret.key`, never in the store's documents. The phone number is
 * part of the MAC input, so a stored hash cannot be replayed against another number.
 * Comparison is constant-time.
 */
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

/** Versioned so a later scheme (e.g. a rotated key) can coexist: `h1:<base64url mac>`. */
const SCHEME = 'h1';

export class CodeHasher {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    // A key of its own: the MAC key is not the AES key used for passwords at rest.
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'sms-server self-service code v1', 32));
  }

  hash(phone: string, code: string): string {
    return `${SCHEME}:${this.mac(phone, code).toString('base64url')}`;
  }

  /** Constant-time check of `code` against a stored `hash(phone, code)`. False for a malformed hash. */
  verify(phone: string, code: string, stored: string): boolean {
    const [scheme, b64] = stored.split(':');
    if (scheme !== SCHEME || !b64) return false;
    const want = Buffer.from(b64, 'base64url');
    const got = this.mac(phone, code);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  private mac(phone: string, code: string): Buffer {
    return createHmac('sha256', this.key).update(`${phone}\0${code}`).digest();
  }
}

/** A uniformly random code of `length` decimal digits from the CSPRNG (leading zeros kept). */
export function newCode(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String(randomInt(10));
  return s;
}
