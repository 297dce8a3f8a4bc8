import { describe, expect, it } from 'vitest';
import { CodeHasher, SelfService, SELF_SERVICE_DEFAULTS, type SelfServiceRecord } from '../../src/selfservice/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const KEY = Buffer.alloc(32, 7);
const PHONE = '+79001234567';

function setup(over: Partial<typeof SELF_SERVICE_DEFAULTS> = {}) {
  const records = new Map<string, SelfServiceRecord>();
  const repo = {
    getSelfService: async (p: string) => structuredClone(records.get(p)),
    putSelfService: async (r: SelfServiceRecord) => void records.set(r.phone, structuredClone(r)),
  };
  const clock = new FakeClock(Date.parse('2026-11-27T10:00:00Z'));
  const svc = new SelfService({ repo, settings: { ...SELF_SERVICE_DEFAULTS, enabled: true, ...over }, key: KEY, clock });
  return { svc, records, clock };
}

async function issued(svc: SelfService, entry = 'in-1'): Promise<string> {
  const r = await svc.orderCode(PHONE, entry);
  if (r.kind !== 'code') throw new Error(`expected a code, got ${r.kind}`);
  return r.code;
}

describe('CodeHasher', () => {
  it('verifies the right code only, binds the hash to the number and to the key', () => {
    const h = new CodeHasher(KEY);
    const stored = h.hash(PHONE, '123456');
    expect(stored).not.toContain('123456');
    expect(h.verify(PHONE, '123456', stored)).toBe(true);
    expect(h.verify(PHONE, '123457', stored)).toBe(false);
    expect(h.verify('+79001234568', '123456', stored)).toBe(false);
    expect(new CodeHasher(Buffer.alloc(32, 8)).verify(PHONE, '123456', stored)).toBe(false);
    expect(h.verify(PHONE, '123456', 'garbage')).toBe(false);
  });
});

describe('SelfService', () => {
  it('issues a code only to an activated number, stores only its keyed hash', async () => {
    const { svc, records } = setup();
    expect(await svc.orderCode(PHONE, 'in-0')).toEqual({ kind: 'not-activated', reply: true });
    expect(await svc.orderCode(PHONE, 'in-00')).toEqual({ kind: 'not-activated', reply: false }); // once a day
    expect(await svc.activate(PHONE)).toEqual({ alreadyActive: false });
    expect(await svc.activate(PHONE)).toEqual({ alreadyActive: true });
    const code = await issued(svc);
    expect(code).toMatch(/^\d{6}$/);
    const rec = records.get(PHONE)!;
    expect(JSON.stringify(rec)).not.toContain(code);
    expect(rec.codeHash).toMatch(/^h1:/);
    expect(await svc.verify(PHONE, code)).toEqual({ ok: true });
  });

  it('a re-run for the same request does not issue a second code; a new request does', async () => {
    const { svc } = setup();
    await svc.activate(PHONE);
    const first = await issued(svc, 'in-1');
    expect(await svc.orderCode(PHONE, 'in-1')).toEqual({ kind: 'already-issued' });
    expect(await svc.verify(PHONE, first)).toEqual({ ok: true });
    const second = await issued(svc, 'in-2');
    if (second !== first) expect((await svc.verify(PHONE, first)).ok).toBe(false); // replaced
    expect(await svc.verify(PHONE, second)).toEqual({ ok: true });
  });

  it('limits code orders per day, telling the subscriber once, and counts again the next day', async () => {
    const { svc, clock } = setup({ codesPerDay: 2 });
    await svc.activate(PHONE);
    await issued(svc, 'a');
    await issued(svc, 'b');
    expect(await svc.orderCode(PHONE, 'c')).toEqual({ kind: 'too-many', reply: true });
    expect(await svc.orderCode(PHONE, 'd')).toEqual({ kind: 'too-many', reply: false });
    clock.advance(24 * 3_600_000);
    expect((await svc.orderCode(PHONE, 'e')).kind).toBe('code');
  });

  it('locks after maxFailures wrong codes: locked even with the right code, not extended, old code works after', async () => {
    const { svc, clock } = setup({ lockHours: 24 });
    await svc.activate(PHONE);
    const code = await issued(svc);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await svc.verify(PHONE, wrong)).toEqual({ ok: false, attemptsLeft: 2 });
    expect(await svc.verify(PHONE, wrong)).toEqual({ ok: false, attemptsLeft: 1 });
    const locked = await svc.verify(PHONE, wrong);
    expect(locked).toEqual({ ok: false, lockedUntil: '2026-11-28T10:00:00.000Z' });
    clock.advance(3_600_000);
    expect(await svc.verify(PHONE, code)).toEqual({ ok: false, lockedUntil: '2026-11-28T10:00:00.000Z' }); // right code, still locked
    expect(await svc.verify(PHONE, wrong)).toEqual({ ok: false, lockedUntil: '2026-11-28T10:00:00.000Z' }); // not extended
    clock.advance(23 * 3_600_000);
    expect(await svc.verify(PHONE, code)).toEqual({ ok: true });
    expect((await svc.status(PHONE)).failures).toBe(0);
  });

  it('success resets the count; a new code ordered during the lock counts after it', async () => {
    const { svc, clock } = setup({ lockHours: 1 });
    await svc.activate(PHONE);
    const code = await issued(svc, 'x');
    const wrong = code === '999999' ? '888888' : '999999';
    await svc.verify(PHONE, wrong);
    await svc.verify(PHONE, wrong);
    expect(await svc.verify(PHONE, code)).toEqual({ ok: true });
    expect(await svc.verify(PHONE, wrong)).toEqual({ ok: false, attemptsLeft: 2 }); // count restarted
    await svc.verify(PHONE, wrong);
    await svc.verify(PHONE, wrong); // locked now
    const fresh = await issued(svc, 'y');
    expect('lockedUntil' in (await svc.verify(PHONE, fresh))).toBe(true);
    clock.advance(3_600_001);
    expect(await svc.verify(PHONE, fresh)).toEqual({ ok: true });
  });

  it('unlock and deactivate', async () => {
    const { svc } = setup();
    expect(await svc.verify(PHONE, '123456')).toEqual({ ok: false, error: 'not-activated' });
    await svc.activate(PHONE);
    const code = await issued(svc);
    for (let i = 0; i < 3; i++) await svc.verify(PHONE, code === '000001' ? '000002' : '000001');
    expect((await svc.status(PHONE)).lockedUntil).not.toBeNull();
    const s = await svc.unlock(PHONE);
    expect(s).toMatchObject({ lockedUntil: null, failures: 0, hasCode: true, activated: true });
    expect(await svc.verify(PHONE, code)).toEqual({ ok: true });
    expect(await svc.deactivate(PHONE)).toMatchObject({ activated: false, hasCode: false });
    expect(await svc.verify(PHONE, code)).toEqual({ ok: false, error: 'not-activated' });
  });

  it('serialises concurrent verifications of one number: the lock holds under a burst', async () => {
    const { svc } = setup();
    await svc.activate(PHONE);
    const code = await issued(svc);
    const wrong = code === '000000' ? '111111' : '000000';
    const results = await Promise.all(Array.from({ length: 10 }, () => svc.verify(PHONE, wrong)));
    expect(results.filter((r) => 'attemptsLeft' in r)).toHaveLength(2);
    expect(results.filter((r) => 'lockedUntil' in r)).toHaveLength(8);
  });
});
