import { describe, expect, it } from 'vitest';
import { checkSmppPassword, hashPassword, verifyPassword } from '../../src/util/password-hash.js';

describe('password hash', () => {
  it('verifies the right password, refuses a wrong one, and salts every hash', async () => {
    const a = await hashPassword('s3cret!');
    const b = await hashPassword('s3cret!');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(await verifyPassword('s3cret!', a)).toBe(true);
    expect(await verifyPassword('s3cret?', a)).toBe(false);
    expect(await verifyPassword('s3cret!', 'plain')).toBe(false);
    expect(await verifyPassword('s3cret!', a.replace(/\$[^$]+$/, '$AAAA'))).toBe(false);
  });

  it('accepts SMPP passwords of 1..8 printable ASCII characters only', () => {
    expect(checkSmppPassword('abcd1234')).toBeUndefined();
    expect(checkSmppPassword('abcd12345')).toMatch(/1 to 8 characters/);
    expect(checkSmppPassword('')).toMatch(/1 to 8 characters/);
    expect(checkSmppPassword('пароль')).toMatch(/printable ASCII/);
    expect(checkSmppPassword('a b')).toMatch(/printable ASCII/);
  });
});
