import { describe, it, expect, beforeEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from '../../src/store/memory.js';
import {
  ClientError,
  HIDDEN_PASSWORD,
  addClient,
  importClients,
  listClients,
  parseOptIn,
  removeClient,
} from '../../src/commands/clients.js';
import { setOptIn } from '../../src/store/optout.js';
import { SecretError, decryptSecret } from '../../src/util/secret.js';

const key = randomBytes(32);
const base = { phone: '8 900 123-45-67', code: '1234', login: 'ivanov', password: '1a2b3c4d' };

function clientError(p: Promise<unknown>): Promise<ClientError> {
  return p.then(
    () => {
      throw new Error('expected a ClientError');
    },
    (e) => {
      expect(e).toBeInstanceOf(ClientError);
      return e as ClientError;
    },
  );
}

describe('clients', () => {
  let store: MemoryStore;
  beforeEach(() => {
    store = new MemoryStore();
  });

  it('addClient normalises the phone and encrypts the password', async () => {
    const { client, created } = await addClient(store, base, key);
    expect(created).toBe(true);
    const stored = await store.getClient('+79001234567');
    expect(stored).toEqual(client);
    expect(stored).toMatchObject({ phone: '+79001234567', code: '1234', login: 'ivanov', optIn: true });
    expect(stored?.passwordEnc).toMatch(/^v1:/);
    expect(JSON.stringify(stored)).not.toContain('1a2b3c4d');
    expect(decryptSecret(stored!.passwordEnc, key)).toBe('1a2b3c4d');
  });

  it('a duplicate phone (in any form) is CLIENT_EXISTS unless upsert, which keeps createdAt and the opt-out', async () => {
    await addClient(store, base, key);
    const e = await clientError(addClient(store, { ...base, phone: '+7 900 1234567' }, key));
    expect(e.code).toBe('CLIENT_EXISTS');
    expect(e.message).toBe('client +79001234567 already exists (login "ivanov"); use --force to replace it');

    await setOptIn(store, '+79001234567', false);
    const before = await store.getClient('+79001234567');
    const { client, created } = await addClient(store, { ...base, password: 'new-pw' }, key, {}, { upsert: true });
    expect(created).toBe(false);
    expect(client.createdAt).toBe(before?.createdAt);
    expect(client.optIn).toBe(false);
    expect(decryptSecret(client.passwordEnc, key)).toBe('new-pw');
    expect((await addClient(store, { ...base, optIn: true }, key, {}, { upsert: true })).client.optIn).toBe(true);
  });

  it.each([
    [{ phone: '123' }, 'phone', /invalid phone number "123"/],
    [{ code: ' ' }, 'code', /^code is empty$/],
    [{ login: '' }, 'login', /^login is empty$/],
    [{ login: 'iva nov' }, 'login', /login "iva nov" contains a space/],
    [{ code: 'a\nb' }, 'code', /contains a control character/],
    [{ login: 'x'.repeat(65) }, 'login', /longer than 64 characters/],
    [{ password: '' }, 'password', /^password is empty$/],
    [{ password: ' pw' }, 'password', /^password starts or ends with a space$/],
    [{ password: 'p\tw' }, 'password', /^password contains a control character/],
  ] as [Partial<typeof base>, string, RegExp][])('validates %j', async (patch, field, message) => {
    const e = await clientError(addClient(store, { ...base, ...patch }, key));
    expect(e.code).toBe('INVALID_CLIENT');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    const pw = (patch as { password?: string }).password;
    if (pw) expect(e.message).not.toContain(pw.trim());
  });

  it('removeClient accepts any phone form', async () => {
    await addClient(store, base, key);
    expect(await removeClient(store, '89001234567')).toBe(true);
    expect(await removeClient(store, '89001234567')).toBe(false);
  });

  it('listClients hides passwords unless asked, sorted by phone', async () => {
    await addClient(store, { ...base, phone: '+79002222222' }, key);
    await addClient(store, { ...base, phone: '+79001111111', password: 'other' }, key);
    const hidden = await listClients(store);
    expect(hidden.map((r) => [r.phone, r.password])).toEqual([
      ['+79001111111', HIDDEN_PASSWORD],
      ['+79002222222', HIDDEN_PASSWORD],
    ]);
    expect(JSON.stringify(hidden)).not.toContain('passwordEnc');
    const shown = await listClients(store, { showPasswords: true, key });
    expect(shown.map((r) => r.password)).toEqual(['other', '1a2b3c4d']);
    await expect(listClients(store, { showPasswords: true, key: randomBytes(32) })).rejects.toBeInstanceOf(SecretError);
    await expect(listClients(store, { showPasswords: true })).rejects.toThrow(/needs the secret key/);
  });

  it('parseOptIn reads yes/no in three languages', () => {
    expect(['1', 'YES', 'true', 'да', 'sí'].map(parseOptIn)).toEqual([true, true, true, true, true]);
    expect(['0', 'no', 'False', 'нет'].map(parseOptIn)).toEqual([false, false, false, false]);
    expect(parseOptIn(' ')).toBeUndefined();
    expect(() => parseOptIn('maybe')).toThrow('optin "maybe" is not yes/no, 1/0 or true/false');
  });

  describe('importClients', () => {
    it('adds and updates, reporting each bad line by number while the others go through', async () => {
      await addClient(store, { ...base, phone: '+79003333333' }, key);
      await setOptIn(store, '+79003333333', false);
      const csv = [
        'phone,code,login,password,optin',
        '+79001111111,1,alpha,pw1,',
        '8 900 222-22-22,2,beta,"p,w""2",no',
        'bad-phone,3,gamma,pw3,',
        '+79003333333,4,delta,pw4,', // existing: updated, opt-out kept
        '+79004444444,5,eps,pw5,maybe',
        '+79001111111,6,dup,pw6,',
        '+79005555555,7,zeta', // too few columns
        '+79006666666,8,eta,,',
      ].join('\r\n');
      const r = await importClients(store, csv, key);
      expect(r.added).toBe(2);
      expect(r.updated).toBe(1);
      expect(r.errors.map((e) => e.line)).toEqual([4, 6, 7, 8, 9]);
      expect(r.errors[0].message).toMatch(/invalid phone number "bad-phone"/);
      expect(r.errors[1].message).toMatch(/optin "maybe"/);
      expect(r.errors[2].message).toBe('phone +79001111111 already appears on line 2');
      expect(r.errors[3].message).toMatch(/expected 5 columns/);
      expect(r.errors[4].message).toBe('password is empty');

      const beta = await store.getClient('+79002222222');
      expect(beta?.optIn).toBe(false);
      expect(decryptSecret(beta!.passwordEnc, key)).toBe('p,w"2');
      const delta = await store.getClient('+79003333333');
      expect(delta).toMatchObject({ login: 'delta', optIn: false });
      expect((await store.getClient('+79001111111'))?.login).toBe('alpha');
    });

    it('without upsert, existing clients are per-line errors', async () => {
      await addClient(store, base, key);
      const r = await importClients(store, 'phone,code,login,password\n89001234567,9,x,y\n', key, {}, { upsert: false });
      expect(r).toEqual({ added: 0, updated: 0, errors: [{ line: 2, message: expect.stringMatching(/already exists/) }] });
    });

    it('a missing column stops the import with one error on the header line', async () => {
      const r = await importClients(store, 'phone;code;login\n+79001111111;1;a\n', key);
      expect(r).toEqual({ added: 0, updated: 0, errors: [{ line: 1, message: 'missing required column "password" (the header has: phone, code, login)' }] });
      expect(await store.listClients()).toEqual([]);
    });

    it('uses the national rule given', async () => {
      const r = await importClients(store, 'phone,code,login,password\n612 345 678,1,a,b\n', key, { country: 'ES' });
      expect(r.added).toBe(1);
      expect(await store.getClient('+34612345678')).toBeDefined();
    });
  });
});
