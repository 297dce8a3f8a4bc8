/**
 * The accounts and forwards part of the Store contract, run against every backend with the same
 * assertions (memory.test.ts, lowdb-store.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Account, NewForward, Store } from '../../src/store/types.js';
import { freshStore, inbound, type StoreFixture } from './contract.js';

export function account(login: string, over: Partial<Account> = {}): Account {
  return { login, tokenHash: login.padEnd(64, '0').slice(0, 64), webhookSecretEnc: 'v1:a:b:c', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...over };
}

export function forwardIn(over: Partial<NewForward> = {}): NewForward {
  return {
    messageId: 'msg_' + Math.random().toString(36).slice(2),
    account: 'acme',
    channel: 'webhook',
    target: 'https://crm.example/hook',
    type: 'sms.received',
    ref: 'in-1',
    payload: { type: 'sms.received', id: 'in-1', text: 'Привет 👋' },
    status: 'pending',
    tries: 0,
    attempts: [],
    nextAttemptAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function accountsContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`Store contract (accounts, forwards): ${name}`, () => {
    const store = freshStore(make);
    let s: Store;
    beforeEach(() => {
      s = store();
    });

    it('accounts: put, get, find by token hash, list sorted by login, replace, remove', async () => {
      await s.putAccount(account('zeta'));
      await s.putAccount(account('acme', { webhook: 'https://a.example/h', number: '+79990000001' }));
      expect((await s.getAccount('acme'))!.webhook).toBe('https://a.example/h');
      expect(await s.getAccount('nobody')).toBeUndefined();
      expect(await s.getAccount('__proto__')).toBeUndefined();
      expect((await s.findAccountByTokenHash(account('zeta').tokenHash))!.login).toBe('zeta');
      expect(await s.findAccountByTokenHash('f'.repeat(64))).toBeUndefined();
      expect((await s.listAccounts()).map((a) => a.login)).toEqual(['acme', 'zeta']);
      await s.putAccount(account('acme', { email: 'x@example.com' }));
      const acme = (await s.getAccount('acme'))!;
      expect(acme.email).toBe('x@example.com');
      expect(acme.webhook).toBeUndefined();
      // Returned objects are copies.
      acme.login = 'changed';
      expect((await s.getAccount('acme'))!.login).toBe('acme');
      expect(await s.removeAccount('acme')).toBe(true);
      expect(await s.removeAccount('acme')).toBe(false);
      expect((await s.listAccounts()).map((a) => a.login)).toEqual(['zeta']);
    });

    it('forwards: ids in order, get, update (undefined removes a field), not found', async () => {
      const [a, b] = await s.addForwards([forwardIn(), forwardIn({ channel: 'email', target: 'x@example.com' })]);
      expect(a!.id).toBe('fwd-0');
      expect(b!.id).toBe('fwd-1');
      expect(a!.createdAt).toBeTruthy();
      expect((await s.getForward('fwd-1'))!.payload).toEqual({ type: 'sms.received', id: 'in-1', text: 'Привет 👋' });
      expect(await s.getForward('fwd-9')).toBeUndefined();
      expect(await s.getForward('job-0')).toBeUndefined();
      const u = await s.updateForward('fwd-0', { status: 'delivered', tries: 1, attempts: [{ at: '2026-01-01T00:00:01.000Z', ms: 12, status: 200 }], nextAttemptAt: undefined, deliveredAt: '2026-01-01T00:00:01.000Z' });
      expect(u.status).toBe('delivered');
      expect('nextAttemptAt' in u).toBe(false);
      expect((await s.getForward('fwd-0'))!.attempts[0]!.status).toBe(200);
      await expect(s.updateForward('fwd-77', { status: 'failed' })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
    });

    it('forwards: list newest first by account/status/ref with a limit; pending oldest due first', async () => {
      const made = await s.addForwards([
        forwardIn({ account: 'acme', nextAttemptAt: '2026-01-01T00:00:05.000Z' }),
        forwardIn({ account: 'beta', ref: 'in-2', nextAttemptAt: '2026-01-01T00:00:01.000Z' }),
        forwardIn({ account: 'acme', ref: 'in-3', nextAttemptAt: '2026-01-01T00:00:03.000Z' }),
      ]);
      await s.updateForward(made[2]!.id, { status: 'failed', reason: 'x', nextAttemptAt: undefined });
      expect((await s.listForwards()).map((f) => f.id)).toEqual(['fwd-2', 'fwd-1', 'fwd-0']);
      expect((await s.listForwards({ account: 'acme' })).map((f) => f.id)).toEqual(['fwd-2', 'fwd-0']);
      expect((await s.listForwards({ status: 'pending' })).map((f) => f.id)).toEqual(['fwd-1', 'fwd-0']);
      expect((await s.listForwards({ status: 'failed', account: 'acme' })).map((f) => f.id)).toEqual(['fwd-2']);
      expect((await s.listForwards({ ref: 'in-2' })).map((f) => f.id)).toEqual(['fwd-1']);
      expect((await s.listForwards({ limit: 1 })).map((f) => f.id)).toEqual(['fwd-2']);
      expect((await s.pendingForwards()).map((f) => f.id)).toEqual(['fwd-1', 'fwd-0']);
      // A failed forward re-armed is pending again.
      await s.updateForward('fwd-2', { status: 'pending', tries: 0, nextAttemptAt: '2026-01-01T00:00:00.000Z', reason: undefined });
      expect((await s.pendingForwards()).map((f) => f.id)).toEqual(['fwd-2', 'fwd-1', 'fwd-0']);
    });

    it('routeInbound records the claim and stores the forwards together; a missing entry changes nothing', async () => {
      const { entry } = await s.addInbound(inbound(1, { text: 'acme: hi' }));
      const r = await s.routeInbound(entry.id, { status: 'processed', routedBy: 'prefix', account: 'acme', text: 'hi', originalText: 'acme: hi' }, [
        forwardIn({ ref: entry.id }),
        forwardIn({ ref: entry.id, channel: 'email', target: 'desk@example.com' }),
      ]);
      expect(r.entry).toMatchObject({ id: entry.id, routedBy: 'prefix', account: 'acme', text: 'hi', originalText: 'acme: hi' });
      expect(Object.keys(r.entry)).not.toContain('_forwardsWal');
      expect(r.forwards.map((f) => f.id)).toEqual(['fwd-0', 'fwd-1']);
      expect((await s.getInbound(entry.id))!.routedBy).toBe('prefix');
      expect(Object.keys((await s.listInbound())[0]!)).not.toContain('_forwardsWal');
      expect((await s.listForwards({ ref: entry.id })).map((f) => f.id)).toEqual(['fwd-1', 'fwd-0']);
      // Without forwards it is a plain update.
      const { entry: e2 } = await s.addInbound(inbound(2));
      expect((await s.routeInbound(e2.id, { status: 'ignored', routedBy: 'none' }, [])).forwards).toEqual([]);
      await expect(s.routeInbound('in-99', { routedBy: 'prefix' }, [forwardIn()])).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
      expect(await s.listForwards()).toHaveLength(2);
    });
  });
}
