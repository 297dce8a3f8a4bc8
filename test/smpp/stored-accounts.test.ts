import { describe, expect, it } from 'vitest';
import { StoredSmppAccounts } from '../../src/smpp/index.js';
import { hashPassword } from '../../src/util/password-hash.js';

describe('StoredSmppAccounts', () => {
  it('binds with the right password, and tells a wrong password from an unknown login or one without SMPP', async () => {
    const accounts = new Map([
      ['acme', { login: 'acme', smppPasswordHash: await hashPassword('pw12') }],
      ['nosmpp', { login: 'nosmpp' }],
    ]);
    const auth = new StoredSmppAccounts(async (l) => accounts.get(l));
    expect(await auth.authenticate('acme', 'pw12')).toEqual({ login: 'acme' });
    expect(await auth.authenticate('acme', 'pw13')).toBe('bad-password');
    expect(await auth.authenticate('nosmpp', 'pw12')).toBe('unknown');
    expect(await auth.authenticate('ghost', 'pw12')).toBe('unknown');
  });
});
