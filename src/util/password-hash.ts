/**
 * Passwords we must check but never read back (an account's SMPP password): scrypt with a random
 * salt, stored as `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`. SMPP passwords are at most 8
 * characters (SMPP 3.4 §5.2.2), so the slow hash is what stands between a copied data folder
 * and the plain passwords.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, o: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, o, (e, key) => (e ? reject(e) : resolve(key))));

/** N = 2^14, r = 8, p = 1: ~16 MiB and a few tens of ms per check. */
const N = 16_384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_BYTES, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored` (a `hashPassword` result); false for any other form. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (want.length !== KEY_BYTES) return false;
  const got = await scrypt(password, salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  return timingSafeEqual(got, want);
}

/** Printable ASCII, 1..8 characters: what an SMPP bind's password field can carry. */
export function checkSmppPassword(password: string): string | undefined {
  if (password.length < 1 || password.length > 8) return `an SMPP password is 1 to 8 characters (SMPP 3.4 limit), got ${password.length}`;
  if (!/^[\x21-\x7e]+$/.test(password)) return 'an SMPP password is printable ASCII without spaces';
  return undefined;
}
