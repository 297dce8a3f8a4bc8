import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  SecretError,
  decryptSecret,
  encryptSecret,
  generateKey,
  hashToken,
  loadOrCreateKey,
  parseKey,
  timingSafeEqualStr,
} from '../../src/util/secret.js';

const key = randomBytes(32);

function thrown(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SecretError);
    return e as SecretError;
  }
  throw new Error('expected a SecretError');
}

describe('encryptSecret / decryptSecret', () => {
  it('round-trips UTF-8, with a fresh IV each time', () => {
    for (const plain of ['1a2b3c4d', 'пароль €', '', 'x'.repeat(500)]) {
      const enc = encryptSecret(plain, key);
      expect(enc).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
      expect(enc).not.toContain(plain || '\u0000');
      expect(decryptSecret(enc, key)).toBe(plain);
    }
    expect(encryptSecret('same', key)).not.toBe(encryptSecret('same', key));
  });

  it('a wrong key is SECRET_DECRYPT and the message holds neither key nor plaintext', () => {
    const enc = encryptSecret('1a2b3c4d', key);
    const other = randomBytes(32);
    const e = thrown(() => decryptSecret(enc, other));
    expect(e.code).toBe('SECRET_DECRYPT');
    expect(e.message).toMatch(/key differs/);
    expect(e.message).not.toContain('1a2b3c4d');
    expect(e.message).not.toContain(other.toString('base64'));
    expect(e.message).not.toContain(key.toString('base64'));
  });

  it('tampered data is SECRET_DECRYPT', () => {
    const [v, iv, tag, data] = encryptSecret('1a2b3c4d', key).split(':');
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    expect(thrown(() => decryptSecret([v, iv, tag, flipped.toString('base64')].join(':'), key)).code).toBe('SECRET_DECRYPT');
  });

  it('malformed values are SECRET_FORMAT', () => {
    expect(thrown(() => decryptSecret('plaintext', key)).code).toBe('SECRET_FORMAT');
    expect(thrown(() => decryptSecret('v2:a:b:c', key)).code).toBe('SECRET_FORMAT');
    expect(thrown(() => decryptSecret('v1:AAAA:AAAA:AAAA', key)).code).toBe('SECRET_FORMAT');
  });

  it('a key of the wrong size is SECRET_KEY', () => {
    expect(thrown(() => encryptSecret('x', randomBytes(16))).code).toBe('SECRET_KEY');
  });
});

describe('parseKey', () => {
  it('reads hex and base64 (standard and URL-safe)', () => {
    expect(parseKey(key.toString('hex'), 'k').equals(key)).toBe(true);
    expect(parseKey(key.toString('base64') + '\n', 'k').equals(key)).toBe(true);
    expect(parseKey(key.toString('base64url'), 'k').equals(key)).toBe(true);
    expect(parseKey(generateKey(), 'k')).toHaveLength(32);
  });

  it('rejects other sizes naming the source and length, never the text', () => {
    const e = thrown(() => parseKey('c2VjcmV0LXRleHQ=', 'SMS_SERVER_KEY'));
    expect(e.code).toBe('SECRET_KEY');
    expect(e.message).toBe('SMS_SERVER_KEY is not a 32-byte key: expected 64 hex digits or 44 base64 characters (got 16 characters)');
  });
});

describe('loadOrCreateKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secret-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates <dataDir>/secret.key with mode 0600 (folder 0700) and reads it back next time', () => {
    const dataDir = join(dir, 'data');
    const k1 = loadOrCreateKey({ dataDir, env: undefined });
    expect(k1).toHaveLength(32);
    const file = join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(parseKey(readFileSync(file, 'utf8'), 'file').equals(k1)).toBe(true);
    expect(loadOrCreateKey({ dataDir, env: undefined }).equals(k1)).toBe(true);
    expect(readdirSync(dataDir)).toEqual(['secret.key']); // no temp file left behind
  });

  it('prefers the config key, then the environment, over the file', () => {
    const fileKey = loadOrCreateKey({ dataDir: dir, env: undefined });
    const envKey = randomBytes(32);
    const cfgKey = randomBytes(32);
    expect(loadOrCreateKey({ dataDir: dir, env: envKey.toString('hex') }).equals(envKey)).toBe(true);
    expect(loadOrCreateKey({ dataDir: dir, env: envKey.toString('hex'), configKey: cfgKey.toString('base64') }).equals(cfgKey)).toBe(true);
    expect(loadOrCreateKey({ dataDir: dir, env: undefined }).equals(fileKey)).toBe(true);
  });

  it('does not create a file when the key comes from the environment', () => {
    loadOrCreateKey({ dataDir: dir, env: key.toString('hex') });
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
  });

  it('a malformed key file is a clear SECRET_KEY error naming the file', () => {
    writeFileSync(join(dir, 'secret.key'), 'not a key\n', { mode: 0o600 });
    const e = thrown(() => loadOrCreateKey({ dataDir: dir, env: undefined }));
    expect(e.code).toBe('SECRET_KEY');
    expect(e.message).toContain(join(dir, 'secret.key'));
    expect(e.message).not.toContain('not a key');
  });

  it('a malformed SMS_SERVER_KEY is an error, not a silent fallback to the file', () => {
    expect(thrown(() => loadOrCreateKey({ dataDir: dir, env: 'short' })).message).toMatch(/^SMS_SERVER_KEY is not a 32-byte key/);
  });
});

describe('API tokens', () => {
  it('hashToken is stable SHA-256 hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('timingSafeEqualStr compares exactly, whatever the lengths', () => {
    expect(timingSafeEqualStr('token-1', 'token-1')).toBe(true);
    expect(timingSafeEqualStr('token-1', 'token-2')).toBe(false);
    expect(timingSafeEqualStr('token', 'token-longer')).toBe(false);
    expect(timingSafeEqualStr('', '')).toBe(true);
  });
});
