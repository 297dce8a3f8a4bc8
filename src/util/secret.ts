/**
 * Secrets at rest: client portal passwords are stored AES-256-GCM encrypted (`v1:iv:tag:data`,
 * base64 parts) so a copied data folder does not leak them without the key. The key comes from the
 * config, else SMS_SERVER_KEY, else `<dataDir>/secret.key` (created 0600 on first use so
 * `clients add` works on a fresh data folder). No message here ever contains a key or a plaintext.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isNotFound } from './fs-errors.js';

export type SecretErrorCode = 'SECRET_KEY' | 'SECRET_FORMAT' | 'SECRET_DECRYPT';

export class SecretError extends Error {
  constructor(
    readonly code: SecretErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM standard nonce size
const VERSION = 'v1';
/** File name of the generated key inside the data folder. */
export const KEY_FILE = 'secret.key';

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new SecretError('SECRET_KEY', `the secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/** Encrypt a UTF-8 string: `v1:<iv b64>:<tag b64>:<data b64>`. A fresh random IV each call. */
export function encryptSecret(plain: string, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64'), tag.toString('base64'), data.toString('base64')].join(':');
}

/** Decrypt `encryptSecret` output. SecretError SECRET_FORMAT when malformed, SECRET_DECRYPT on a wrong key or tampering. */
export function decryptSecret(enc: string, key: Buffer): string {
  checkKey(key);
  const parts = enc.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new SecretError('SECRET_FORMAT', `an encrypted value must look like ${VERSION}:<iv>:<tag>:<data> (got ${parts.length} parts, version "${parts[0]}")`);
  }
  const iv = Buffer.from(parts[1], 'base64');
  const tag = Buffer.from(parts[2], 'base64');
  const data = Buffer.from(parts[3], 'base64');
  if (iv.length !== IV_BYTES || tag.length !== 16) {
    throw new SecretError('SECRET_FORMAT', `an encrypted value has a ${IV_BYTES}-byte IV and 16-byte tag (got ${iv.length} and ${tag.length})`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretError(
      'SECRET_DECRYPT',
      'cannot decrypt a stored secret: the key differs from the one it was encrypted with (check "secretKey", SMS_SERVER_KEY or the data folder\'s secret.key), or the value was altered',
    );
  }
}

/** Parse a key written as 64 hex digits or base64 (standard or URL-safe) of 32 bytes. `source` names it in errors. */
export function parseKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const key = Buffer.from(t, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  // Only the length is reported: the text may be a real key with a typo.
  throw new SecretError(
    'SECRET_KEY',
    `${source} is not a ${KEY_BYTES}-byte key: expected 64 hex digits or 44 base64 characters (got ${t.length} characters)`,
  );
}

/** A new random key in the base64 form `parseKey` reads. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export interface KeyOptions {
  dataDir: string;
  /** The environment's key text; defaults to process.env.SMS_SERVER_KEY when the property is absent. */
  env?: string;
  /** The config file's `secretKey`. Wins over the environment. */
  configKey?: string;
}

/**
 * The key for secrets at rest: config, else environment, else `<dataDir>/secret.key`; the file is
 * created (mode 0600, folder 0700 when missing) on first use. Synchronous: called once at start-up.
 */
export function loadOrCreateKey(opts: KeyOptions): Buffer {
  const existing = loadKey(opts);
  if (existing) return existing;
  const file = join(opts.dataDir, KEY_FILE);

  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  // Write a temp file then hard-link it into place: the key appears complete or not at all, and
  // when two processes race on a fresh folder the loser reads the winner's key instead of clobbering it.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, generateKey() + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  const key = readKeyFile(file);
  if (!key) throw new SecretError('SECRET_KEY', `the key file ${file} vanished right after it was created`);
  return key;
}

/** The key as loadOrCreateKey finds it, or undefined when there is none yet (nothing is created). */
export function loadKey(opts: KeyOptions): Buffer | undefined {
  if (opts.configKey) return parseKey(opts.configKey, 'the config key "secretKey"');
  const env = 'env' in opts ? opts.env : process.env.SMS_SERVER_KEY;
  if (env) return parseKey(env, 'SMS_SERVER_KEY');
  return readKeyFile(join(opts.dataDir, KEY_FILE));
}

function readKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw new SecretError('SECRET_KEY', `cannot read the key file ${file}: ${(e as Error).message}`);
  }
  return parseKey(text, `the key file ${file}`);
}

/** Hash an API token for storage/comparison (SHA-256, hex). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Constant-time string equality. Both sides are hashed first so the time depends on neither the
 * contents nor the lengths (timingSafeEqual alone throws on, and so leaks, a length mismatch).
 */
export function timingSafeEqualStr(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
