/**
 * Reply affinity in a pool (issue 14 "Assignment"): an account's text to a subscriber who texted
 * that account is pinned to the modem that received the subscriber's SMS; a dedicated number
 * wins; campaigns, other accounts, old SMS and modems no longer configured pin nothing. On a real
 * Store (MemoryStore) and the fake clock.
 */
import { describe, expect, it } from 'vitest';
import { accountPin, enqueueNotification, ReplyAffinity } from '../../src/queue/index.js';
import type { Account } from '../../src/store/account-types.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeClock } from '../helpers/fake-clock.js';

const DAY = 86_400_000;
const SUB = '+79001234567';

function account(login: string, number?: string): Account {
  const at = new Date(0).toISOString();
  return { login, tokenHash: 'x'.repeat(64), webhookSecretEnc: 'x', createdAt: at, updatedAt: at, ...(number ? { number } : {}) };
}

async function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore();
  await store.putAccount(account('office'));
  await store.putAccount(account('shop', '+79990000003'));
  const affinity = new ReplyAffinity({ windowMs: 14 * DAY, isModem: (id) => ['m1', 'm2', 'm3'].includes(id), phoneRule: { country: 'RU' }, clock });
  const modemForNumber = (n: string) => (n === '+79990000003' ? 'm3' : undefined);
  const pinFor = accountPin(store, modemForNumber, (a, to) => affinity.modemFor(a, to));
  const entry = (o: { from?: string; account?: string | null; modem?: string; ago?: number }) => ({
    from: o.from ?? SUB,
    account: o.account,
    modem: o.modem,
    receivedAt: new Date(clock.now() - (o.ago ?? 0)).toISOString(),
  });
  return { clock, store, affinity, pinFor, entry };
}

describe('reply affinity', () => {
  it("an account's text to a subscriber who texted it leaves through that SIM's modem; others in the same request go anywhere", async () => {
    const { store, affinity, pinFor, entry } = await setup();
    affinity.note(entry({ account: 'office', modem: 'm2', from: '89001234567' })); // national form, as some SMSCs write it
    const r = await enqueueNotification(store, { to: [SUB, '+79001112233'], text: 'We will call you back.', account: 'office' }, { country: 'RU' }, { pinFor });
    expect(r.jobs.map((j) => [j.to, j.modem])).toEqual([
      [SUB, 'm2'],
      ['+79001112233', undefined],
    ]);
    // Without an account, or from another account, it is not a reply: any modem.
    const plain = await enqueueNotification(store, { to: SUB, text: 'Notice.' }, { country: 'RU' }, { pinFor });
    expect(plain.jobs[0]!.modem).toBeUndefined();
    await store.putAccount(account('other'));
    expect(await pinFor('other', SUB)).toBeUndefined();
  });

  it('the latest SMS wins; a dedicated number wins over it; a campaign (no recipient) only follows the dedicated number', async () => {
    const { affinity, pinFor, entry } = await setup();
    affinity.note(entry({ account: 'office', modem: 'm1', ago: 60_000 }));
    affinity.note(entry({ account: 'office', modem: 'm2' }));
    affinity.note(entry({ account: 'office', modem: 'm3', ago: 120_000 })); // older, read later (seed order)
    expect(await pinFor('office', SUB)).toBe('m2');
    expect(await pinFor('office')).toBeUndefined();
    affinity.note(entry({ account: 'shop', modem: 'm1', from: '+79005550000' }));
    expect(await pinFor('shop', '+79005550000')).toBe('m3');
    expect(await pinFor('shop')).toBe('m3');
  });

  it('pins nothing for an SMS older than the window, a command (no account), or a modem no longer configured', async () => {
    const { clock, affinity, pinFor, entry } = await setup();
    affinity.note(entry({ account: 'office', modem: 'm2' }));
    clock.advance(14 * DAY + 1);
    expect(await pinFor('office', SUB)).toBeUndefined();
    affinity.note(entry({ account: null, modem: 'm1', from: '+79005550001' }));
    expect(await pinFor('office', '+79005550001')).toBeUndefined();
    affinity.note(entry({ account: 'office', modem: 'm9', from: '+79005550002' }));
    expect(await pinFor('office', '+79005550002')).toBeUndefined();
  });

  it('forgets subscribers older than the window as new SMS come in (memory stays bounded on a long uptime)', async () => {
    const { clock, affinity, entry } = await setup();
    for (let i = 0; i < 500; i++) affinity.note(entry({ account: 'office', modem: 'm1', from: `+7900600${String(i).padStart(4, '0')}` }));
    clock.advance(15 * DAY);
    for (let i = 0; i < 500; i++) affinity.note(entry({ account: 'office', modem: 'm2', from: `+7900700${String(i).padStart(4, '0')}` }));
    expect(affinity.size).toBe(500);
  });

  it('is seeded from the stored inbox of the window at start', async () => {
    const { clock, store, affinity, pinFor } = await setup();
    const base = { text: 'office: call me', status: 'processed' as const, parts: 1 };
    const at = (ago: number) => new Date(clock.now() - ago).toISOString();
    await store.addInbound({ ...base, from: SUB, receivedAt: at(20 * DAY), modem: 'm1', account: 'office', dedupKey: 'k1' });
    await store.addInbound({ ...base, from: SUB, receivedAt: at(DAY), modem: 'm3', account: 'office', dedupKey: 'k2' });
    await store.addInbound({ ...base, from: '+79005550003', receivedAt: at(20 * DAY), modem: 'm1', account: 'office', dedupKey: 'k3' });
    await affinity.seed(store);
    expect(await pinFor('office', SUB)).toBe('m3');
    expect(await pinFor('office', '+79005550003')).toBeUndefined();
  });
});
