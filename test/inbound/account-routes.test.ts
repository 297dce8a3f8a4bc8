/**
 * The three account routes on their own (the PTY end-to-end tests run them inside the server):
 * what a prefix is, the last-sender window on a clock that can jump, the dedicated number, and
 * the forwards each claim carries.
 */
import { describe, expect, it } from 'vitest';
import { LastSenderRoute, type LastSenderLookup } from '../../src/inbound/last-sender-route.js';
import { NumberRoute } from '../../src/inbound/number-route.js';
import { parsePrefix, PrefixRoute } from '../../src/inbound/prefix-route.js';
import type { Account } from '../../src/store/account-types.js';
import { MemoryAccountsAndForwards } from '../../src/store/memory-accounts.js';
import type { InboxEntry } from '../../src/store/types.js';
import { OffsetClock } from '../helpers/offset-clock.js';

function account(login: string, over: Partial<Account> = {}): Account {
  return { login, tokenHash: 'h'.repeat(64), webhookSecretEnc: 'v1:x:y:z', createdAt: '', updatedAt: '', ...over };
}

function entry(text: string, over: Partial<InboxEntry> & { to?: string } = {}): InboxEntry {
  return { id: 'in-1', from: '+79001234567', text, receivedAt: '2026-11-21T10:00:00.000Z', status: 'new', parts: 1, dedupKey: 'k', ...over };
}

describe('parsePrefix', () => {
  it.each([
    ['acme: hello', 'acme', 'hello'],
    ['ACME: hello', 'acme', 'hello'],
    ['Acme:hello', 'acme', 'hello'],
    ['acme:\u00a0hello', 'acme', 'hello'],
    ['  acme:   hello  world', 'acme', 'hello  world'],
    ['acme:\nline two', 'acme', 'line two'],
    ['crm.v2-x_y: ok', 'crm.v2-x_y', 'ok'],
    ['acme:', 'acme', ''],
  ])('%j → %s + %j', (text, login, rest) => {
    expect(parsePrefix(text)).toMatchObject({ login, rest });
  });

  it.each(['acme : hello', 'hello acme: x', 'a: too short', 'x'.repeat(33) + ': too long', ':nothing', 'acme hello'])('%j is no prefix', (text) => {
    expect(parsePrefix(text)).toBeUndefined();
  });
});

describe('PrefixRoute', () => {
  it('claims for a known login with the prefix removed and the original kept; an unknown login or a call falls through', async () => {
    const store = new MemoryAccountsAndForwards();
    await store.putAccount(account('acme', { webhook: 'https://crm.example/hook', email: 'desk@example.com' }));
    const route = new PrefixRoute({ accounts: store });
    const claim = await route.route(entry('ACME:\u00a0Привет, нужен счёт'));
    expect(claim).toMatchObject({ routedBy: 'prefix', account: 'acme', patch: { text: 'Привет, нужен счёт', originalText: 'ACME:\u00a0Привет, нужен счёт' } });
    expect(claim!.forwards!.map((f) => f.channel)).toEqual(['webhook', 'email']);
    expect(claim!.forwards![0]!.payload).toMatchObject({ type: 'sms.received', text: 'Привет, нужен счёт', account: 'acme', routedBy: 'prefix', to: null });
    expect(claim!.forwards![0]!.messageId).not.toBe(claim!.forwards![1]!.messageId);

    expect(await route.route(entry('Re: hello'))).toBeUndefined();
    expect(await route.route(entry('[CALL]', { status: 'call' }))).toBeUndefined();
  });
});

describe('LastSenderRoute', () => {
  it('claims within routing.lastSenderDays of the last send, not after; numbers in national form match', async () => {
    const clock = new OffsetClock();
    const store = new MemoryAccountsAndForwards(clock);
    await store.putAccount(account('billing'));
    const sentAt = new Date(clock.now()).toISOString();
    const asked: { phone: string; since: Date }[] = [];
    const lookup: LastSenderLookup = {
      async lastSender(phone, since) {
        asked.push({ phone, since });
        return phone === '+79001234567' && Date.parse(sentAt) >= since.getTime() ? { account: 'billing', jobId: 'job-3', sentAt } : undefined;
      },
    };
    const route = new LastSenderRoute({ accounts: store, lookup, days: 14, clock });
    const claim = await route.route(entry('ok, paid', { from: '89001234567' }));
    expect(claim).toMatchObject({ routedBy: 'last-sender', account: 'billing', target: { job: 'job-3', sentAt } });
    expect(asked[0]!.phone).toBe('+79001234567');
    const window = clock.now() - asked[0]!.since.getTime();
    expect(window).toBeGreaterThanOrEqual(14 * 86_400_000);
    expect(window).toBeLessThan(14 * 86_400_000 + 1000);
    expect(await route.route(entry('[CALL]', { status: 'call' }))).toMatchObject({ account: 'billing' }); // calls too

    clock.advance(14 * 86_400_000 - 60_000);
    expect(await route.route(entry('still inside'))).toMatchObject({ account: 'billing' });
    clock.advance(2 * 60_000);
    expect(await route.route(entry('too late'))).toBeUndefined();
    expect(await route.route(entry('from a name', { from: 'MegaFon' }))).toBeUndefined();
  });
});

describe('NumberRoute', () => {
  it('claims for the account owning the SIM number (from the entry, else the modem), none otherwise', async () => {
    const store = new MemoryAccountsAndForwards();
    await store.putAccount(account('desk', { number: '+79990000001' }));
    let sim: string | undefined = '8 999 000-00-01';
    const route = new NumberRoute({ accounts: store, simNumber: () => sim });
    expect(await route.route(entry('hi'))).toMatchObject({ routedBy: 'number', account: 'desk', target: { number: '+79990000001' } });
    expect(await route.route(entry('hi', { to: '+79990000002' } as never))).toBeUndefined();
    sim = undefined;
    expect(await route.route(entry('hi'))).toBeUndefined();
    expect(await route.route(entry('hi', { to: '+79990000001' } as never))).toMatchObject({ account: 'desk' });
  });
});
