/**
 * The report → part matcher: (modem, TP-MR, E.164 recipient) within the window, most recent open
 * part first, never a wrong job; and the part/job state rules.
 */
import { describe, expect, it } from 'vitest';
import { matchReport, recipientKey, type SentPartRef } from '../../src/delivery/match.js';
import { aggregate, applyStatus, deliveryJson, deliveryLabel, jobDelivery, type PartDelivery } from '../../src/delivery/state.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-21T10:00:00Z');
const RU = { phone: { country: 'RU' }, windowMs: 72 * H };

function part(o: Partial<SentPartRef> & { jobId: string; mr: number }): SentPartRef {
  return { seq: 1, modem: 'default', to: '+79001234567', sentAt: new Date(T0).toISOString(), state: 'pending', ...o };
}

describe('matchReport', () => {
  it('matches by modem, MR and recipient; the SMSC and its zone play no part', () => {
    const parts = [part({ jobId: 'job-1', mr: 5 }), part({ jobId: 'job-2', mr: 6 }), part({ jobId: 'job-3', mr: 5, modem: 'm2' })];
    const r = matchReport({ modem: 'default', mr: 5, recipient: '+79001234567' }, parts, { ...RU, now: T0 + 1000 });
    expect(r).toMatchObject({ kind: 'matched', part: { jobId: 'job-1' }, ambiguous: 0 });
    expect(matchReport({ modem: 'm2', mr: 5, recipient: '+79001234567' }, parts, { ...RU, now: T0 + 1000 })).toMatchObject({ part: { jobId: 'job-3' } });
  });

  it.each([
    ['international', '+79001234567'],
    ['international digits with an unknown TOA', '79001234567'],
    ['national with trunk prefix', '89001234567'],
    ['national significant number', '9001234567'],
  ])('a %s recipient (%s) matches the job to +79001234567', (_what, recipient) => {
    const r = matchReport({ modem: 'default', mr: 9, recipient }, [part({ jobId: 'job-1', mr: 9 })], { ...RU, now: T0 });
    expect(r).toMatchObject({ kind: 'matched', part: { jobId: 'job-1' } });
  });

  it('a job stored in national form matches an international report, under the configured country', () => {
    const es = { phone: { country: 'ES' }, windowMs: 72 * H, now: T0 };
    expect(matchReport({ modem: 'default', mr: 1, recipient: '+34612345678' }, [part({ jobId: 'job-1', mr: 1, to: '612 345 678' })], es)).toMatchObject({ kind: 'matched' });
    // The same digits under Russia's rule are another number: no match.
    expect(matchReport({ modem: 'default', mr: 1, recipient: '+34612345678' }, [part({ jobId: 'job-1', mr: 1, to: '612345678' })], { ...RU, now: T0 }).kind).toBe('unmatched');
    expect(recipientKey('8 (900) 123-45-67', { country: 'RU' })).toBe('+79001234567');
  });

  it('a report for another recipient with the same MR is never taken', () => {
    const r = matchReport({ modem: 'default', mr: 5, recipient: '+79005550000' }, [part({ jobId: 'job-1', mr: 5 })], { ...RU, now: T0 });
    expect(r).toMatchObject({ kind: 'unmatched', reason: 'no-part' });
  });

  it('only parts sent within the window; the window runs on our clock', () => {
    const parts = [part({ jobId: 'job-1', mr: 5, sentAt: new Date(T0 - 73 * H).toISOString() })];
    expect(matchReport({ modem: 'default', mr: 5, recipient: '+79001234567' }, parts, { ...RU, now: T0 })).toMatchObject({ kind: 'unmatched', reason: 'outside-window' });
    expect(matchReport({ modem: 'default', mr: 5, recipient: '+79001234567' }, parts, { ...RU, now: T0, windowMs: 74 * H })).toMatchObject({ kind: 'matched' });
  });

  it('the most recent open part first; final parts never take another report', () => {
    const parts = [
      part({ jobId: 'job-1', mr: 5, sentAt: new Date(T0 - 2 * H).toISOString() }),
      part({ jobId: 'job-300', mr: 5, sentAt: new Date(T0 - 1 * H).toISOString(), state: 'delivered' }),
      part({ jobId: 'job-257', mr: 5, sentAt: new Date(T0 - 1.5 * H).toISOString() }),
    ];
    expect(matchReport({ modem: 'default', mr: 5, recipient: '+79001234567' }, parts, { ...RU, now: T0 })).toMatchObject({ kind: 'matched', part: { jobId: 'job-257' }, ambiguous: 1 });
    const allFinal = parts.map((p) => ({ ...p, state: 'failed' as const }));
    expect(matchReport({ modem: 'default', mr: 5, recipient: '+79001234567' }, allFinal, { ...RU, now: T0 })).toMatchObject({ kind: 'unmatched', reason: 'already-final' });
  });

  it('300 sends from one modem: MRs wrap past 255 and every report lands on its own part', () => {
    // Three recipients round robin, one part each, reports arriving a few sends behind (the
    // network's delay): parts N and N+256 share an MR, and are told apart by recipient and by
    // which is still open.
    const recipients = ['+79001234567', '89005550001', '+7 900 555-00-02'];
    const sent: SentPartRef[] = [];
    const landed = new Map<string, string>();
    const LAG = 7;
    for (let i = 0; i < 300 + LAG; i++) {
      if (i < 300) sent.push(part({ jobId: `job-${i}`, mr: i % 256, to: recipients[i % 3]!, sentAt: new Date(T0 + i * 10_000).toISOString() }));
      const k = i - LAG;
      if (k < 0) continue;
      // The SMSC writes the recipient its own way (international digits, unknown TOA).
      const recipient = recipientKey(recipients[k % 3]!, { country: 'RU' }).slice(1);
      const r = matchReport({ modem: 'default', mr: k % 256, recipient }, sent, { ...RU, now: T0 + i * 10_000 + 5000 });
      expect(r.kind, `report ${k}`).toBe('matched');
      if (r.kind !== 'matched') continue;
      landed.set(`job-${k}`, r.part.jobId);
      r.part.state = 'delivered';
    }
    expect(landed.size).toBe(300);
    for (const [want, got] of landed) expect(got).toBe(want);
  });

  it('300 sends to one recipient: with reports a few sends behind, still each on its own part', () => {
    const sent: SentPartRef[] = [];
    let wrong = 0;
    for (let i = 0; i < 310; i++) {
      if (i < 300) sent.push(part({ jobId: `job-${i}`, mr: (250 + i) % 256, sentAt: new Date(T0 + i * 1000).toISOString() }));
      const k = i - 10;
      if (k < 0) continue;
      const r = matchReport({ modem: 'default', mr: (250 + k) % 256, recipient: '89001234567' }, sent, { ...RU, now: T0 + i * 1000 + 500 });
      if (r.kind !== 'matched' || r.part.jobId !== `job-${k}`) wrong++;
      if (r.kind === 'matched') r.part.state = 'delivered';
    }
    expect(wrong).toBe(0);
  });
});

describe('part and job delivery state', () => {
  const p = (seq: number, state: PartDelivery['state'], at?: string): PartDelivery => ({ seq, mr: seq, state, ...(at ? { at } : {}) });

  it('temporary keeps pending, final sets delivered or failed, with the report times', () => {
    const base = p(1, 'pending');
    const temp = applyStatus(base, { status: 0x21, at: '2026-11-21T10:01:00+03:00', reportedAt: '2026-11-21T07:01:01Z', hash: 'h1' });
    expect(temp).toMatchObject({ state: 'pending', status: 0x21, reports: ['h1'] });
    expect(applyStatus(temp, { status: 0, at: 'z', reportedAt: 'x', hash: 'h2' })).toMatchObject({ state: 'delivered', reports: ['h1', 'h2'] });
    expect(applyStatus(base, { status: 0x00, at: '2026-11-21T10:02:00+03:00', reportedAt: 'x' })).toMatchObject({ state: 'delivered', status: 0, at: '2026-11-21T10:02:00+03:00' });
    expect(applyStatus(base, { status: 0x46, at: 'y', reportedAt: 'x' })).toMatchObject({ state: 'failed', status: 0x46 });
    expect(applyStatus(base, { status: 0x62, at: 'y', reportedAt: 'x' }).state).toBe('failed');
  });

  it('a job is delivered when every part is, failed when any part failed, else pending', () => {
    expect(aggregate([p(2, 'delivered', '2026-11-21T10:05:00+03:00'), p(1, 'delivered', '2026-11-21T06:04:00Z')])).toEqual({
      state: 'delivered',
      // The later instant, whatever the zones: 07:05Z is after 06:04Z.
      at: '2026-11-21T10:05:00+03:00',
      parts: [p(1, 'delivered', '2026-11-21T06:04:00Z'), p(2, 'delivered', '2026-11-21T10:05:00+03:00')],
    });
    expect(aggregate([p(1, 'delivered', 'a'), p(2, 'pending'), p(3, 'delivered', 'b')]).state).toBe('pending');
    expect(aggregate([p(1, 'pending'), p(2, 'failed', '2026-11-21T10:00:00Z'), p(3, 'failed', '2026-11-21T09:00:00Z')])).toMatchObject({ state: 'failed', at: '2026-11-21T09:00:00Z' });
  });

  it("a job's delivery covers the parts sent with TP-SRR; parts without a report yet are pending", () => {
    const parts = [{ seq: 1, mr: 10, report: true }, { seq: 2, mr: 11, report: true }, { seq: 3, mr: 12, report: true }];
    expect(jobDelivery({ parts: [{ seq: 1, mr: 10 }] })).toBeUndefined();
    expect(jobDelivery({ parts })).toMatchObject({ state: 'pending', parts: [{ seq: 1, state: 'pending' }, { seq: 2 }, { seq: 3 }] });
    const delivery = aggregate([{ ...p(2, 'delivered', '2026-11-21T10:00:00Z'), mr: 11 }]);
    expect(deliveryLabel({ parts, delivery })).toBe('pending 1/3');
    expect(deliveryJson({ parts, delivery })).toEqual({
      state: 'pending',
      at: null,
      parts: [
        { seq: 1, mr: 10, state: 'pending', status: null, at: null },
        { seq: 2, mr: 11, state: 'delivered', status: null, at: '2026-11-21T10:00:00Z' },
        { seq: 3, mr: 12, state: 'pending', status: null, at: null },
      ],
    });
    const failed = aggregate([{ ...p(3, 'failed', '2026-11-21T10:00:00Z'), mr: 12, status: 0x46 }]);
    expect(deliveryLabel({ parts, delivery: failed })).toBe('failed 0x46');
    // Part 3 sent again under a new reference (unknown outcome): its old result no longer counts.
    const resent = parts.map((x) => (x.seq === 3 ? { ...x, mr: 40 } : x));
    expect(jobDelivery({ parts: resent, delivery: failed })!.parts[2]).toEqual({ seq: 3, mr: 40, state: 'pending' });
    expect(deliveryJson({ parts: [{ seq: 1, mr: 1 }] })).toBeNull();
  });
});
