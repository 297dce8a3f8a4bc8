/**
 * DeliveryTracker on the in-memory store (same contract as the lowdb store): reports applied to
 * the right part, job state, dedup by content, unmatched kept, the final hook at least once.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryTracker, type DeliveryFinal } from '../../src/delivery/tracker.js';
import { encodeDeliver, encodeStatusReport } from '../../src/sms/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Job } from '../../src/store/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T0 = Date.parse('2026-11-21T07:00:00Z');

async function setup(o: { onFinal?: (e: DeliveryFinal) => Promise<void> | void; noPartRetryMs?: number[] } = {}) {
  const clock = new FakeClock(T0);
  const store = new MemoryStore({ clock });
  const finals: DeliveryFinal[] = [];
  const tracker = new DeliveryTracker({ store, phone: { country: 'RU' }, windowHours: 72, clock, onFinal: o.onFinal, noPartRetryMs: o.noPartRetryMs ?? [] });
  tracker.on('final', (e) => finals.push(e));
  /** A job sent with TP-SRR: one part per MR, sent now. */
  const sent = async (to: string, mrs: number[]): Promise<Job> => {
    const [j] = await store.enqueue([
      { to, text: 'x', priority: 'notification', state: 'sent', attempts: 1, nextAttemptAt: new Date(T0).toISOString(), parts: mrs.map((mr, i) => ({ seq: i + 1, mr, sentAt: new Date(clock.now()).toISOString(), report: true })) },
    ]);
    return j!;
  };
  const report = (mr: number, recipient: string, status: number, o2: { recipientType?: 'national' | 'unknown'; secondsLater?: number } = {}) =>
    encodeStatusReport({
      mr,
      recipient,
      status,
      submittedAt: new Date(T0),
      dischargedAt: new Date(T0 + (o2.secondsLater ?? 10) * 1000),
      tzOffsetMinutes: 180,
      ...(o2.recipientType ? { recipientType: o2.recipientType } : {}),
      smsc: '+79168999100',
    });
  return { clock, store, tracker, finals, sent, report };
}

describe('DeliveryTracker', () => {
  it('a delivered report makes a one-part job delivered, once; the final hook gets a stable id', async () => {
    const hooked: DeliveryFinal[] = [];
    const { store, tracker, finals, sent, report } = await setup({ onFinal: (e) => void hooked.push(e) });
    const job = await sent('+79001234567', [12]);
    const pdu = report(12, '+79001234567', 0);
    const r = await tracker.process('default', pdu);
    expect(r).toMatchObject({ kind: 'applied', jobId: job.id, seq: 1, state: 'delivered', job: { state: 'delivered', at: '2026-11-21T10:00:10+03:00' } });
    const stored = (await store.getJob(job.id))!;
    expect(stored.delivery).toMatchObject({ state: 'delivered', parts: [{ seq: 1, mr: 12, state: 'delivered', status: 0 }] });
    expect(hooked).toEqual([expect.objectContaining({ id: `${job.id}.delivery`, type: 'sms.delivered' })]);
    expect(finals).toHaveLength(1);
    // The same report again (re-read after a crash before AT+CMGD): counted once, no second hook.
    expect(await tracker.process('default', pdu)).toEqual({ kind: 'duplicate' });
    expect(hooked).toHaveLength(1);
    expect((await store.getJob(job.id))!.delivery!.parts[0]!.reports).toHaveLength(1);
    expect(tracker.stats).toMatchObject({ applied: 1, duplicates: 1, unmatched: 0 });
  });

  it('TP-MR shared with other recipients: the report goes to its own recipient\'s job; a `to` in another form is still found', async () => {
    const { store, tracker, sent, report } = await setup();
    const other = await sent('+79001111111', [40]);
    const mine = await sent('+79001234567', [40]);
    // The narrowed lookup (recipient in E.164) finds it; the other job with MR 40 is not touched.
    expect(await tracker.process('default', report(40, '89001234567', 0, { recipientType: 'national' }))).toMatchObject({ kind: 'applied', jobId: mine.id });
    expect((await store.getJob(other.id))!.delivery).toBeUndefined();
    // A job stored with a national `to` (not what recipientKey writes): the unnarrowed lookup matches it.
    const national = await sent('89005554433', [41]);
    expect(await tracker.process('default', report(41, '+79005554433', 0))).toMatchObject({ kind: 'applied', jobId: national.id });
  });

  it('temporary keeps pending (status recorded), the final report decides', async () => {
    const { store, tracker, finals, sent, report } = await setup();
    const job = await sent('+79001234567', [5]);
    expect(await tracker.process('default', report(5, '+79001234567', 0x21))).toMatchObject({ kind: 'applied', state: 'pending', job: { state: 'pending' } });
    expect((await store.getJob(job.id))!.delivery).toMatchObject({ state: 'pending', parts: [{ status: 0x21, state: 'pending' }] });
    expect(finals).toEqual([]);
    expect(await tracker.process('default', report(5, '+79001234567', 0x46, { secondsLater: 600 }))).toMatchObject({ state: 'failed', job: { state: 'failed' } });
    expect(finals).toMatchObject([{ type: 'sms.failed' }]);
  });

  it('a 3-part message delivered part by part; a failed part fails the job', async () => {
    const { store, tracker, finals, sent, report } = await setup();
    const job = await sent('+79001234567', [100, 101, 102]);
    for (const [i, mr] of [101, 100].entries()) {
      await tracker.process('default', report(mr, '+79001234567', 0, { secondsLater: 10 + i }));
      expect((await store.getJob(job.id))!.delivery!.state).toBe('pending');
    }
    await tracker.process('default', report(102, '+79001234567', 0, { secondsLater: 30 }));
    expect((await store.getJob(job.id))!.delivery).toMatchObject({ state: 'delivered', at: '2026-11-21T10:00:30+03:00' });
    expect(finals).toHaveLength(1);

    const other = await sent('+79005550000', [7, 8]);
    await tracker.process('default', report(8, '+79005550000', 0x41));
    expect((await store.getJob(other.id))!.delivery!.state).toBe('failed');
  });

  it('national and unknown-TOA recipients match the E.164 job; another number with the same MR does not', async () => {
    const { tracker, sent, report } = await setup();
    const a = await sent('+79001234567', [1]);
    const b = await sent('+79001234567', [2]);
    expect(await tracker.process('default', report(1, '89001234567', 0, { recipientType: 'national' }))).toMatchObject({ kind: 'applied', jobId: a.id });
    expect(await tracker.process('default', report(2, '+79001234567', 0, { recipientType: 'unknown' }))).toMatchObject({ kind: 'applied', jobId: b.id });
    expect(await tracker.process('default', report(1, '+79007777777', 0))).toMatchObject({ kind: 'unmatched', reason: 'no-part' });
  });

  it('an unknown MR is kept as unmatched, once, and never touches a job', async () => {
    const { store, tracker, sent, report } = await setup();
    const job = await sent('+79001234567', [3]);
    const pdu = report(99, '+79001234567', 0);
    expect(await tracker.process('default', pdu)).toMatchObject({ kind: 'unmatched', reason: 'no-part' });
    expect(await tracker.process('default', pdu)).toEqual({ kind: 'duplicate' });
    expect(await tracker.process('other-modem', report(3, '+79001234567', 0, { secondsLater: 1 }))).toMatchObject({ kind: 'unmatched' });
    const kept = await store.listUnmatchedReports();
    expect(kept.total).toBe(2);
    expect(kept.reports.map((r) => [r.modem, r.mr, r.reason])).toEqual([['other-modem', 3, 'no-part'], ['default', 99, 'no-part']]);
    expect((await store.getJob(job.id))!.delivery).toBeUndefined();
  });

  it('a report read before the worker wrote its part (a fast SMSC) is looked up again before it counts as unmatched', async () => {
    const { clock, store, tracker, report } = await setup({ noPartRetryMs: [50, 250] });
    const [j] = await store.enqueue([{ to: '+79001234567', text: 'x', priority: 'notification', state: 'sending', attempts: 1, nextAttemptAt: new Date(T0).toISOString() }]);
    const pending = tracker.process('default', report(33, '+79001234567', 0));
    await clock.advanceAsync(50);
    // The worker's write lands between the first and the second retry.
    await store.updateJob(j!.id, { state: 'sent', parts: [{ seq: 1, mr: 33, sentAt: new Date(T0).toISOString(), report: true }] });
    await clock.advanceAsync(250);
    expect(await pending).toMatchObject({ kind: 'applied', jobId: j!.id });
  });

  it('a report after the job is final is unmatched (already-final), not applied twice', async () => {
    const { tracker, sent, report } = await setup();
    await sent('+79001234567', [4]);
    await tracker.process('default', report(4, '+79001234567', 0));
    expect(await tracker.process('default', report(4, '+79001234567', 0, { secondsLater: 99 }))).toMatchObject({ kind: 'unmatched', reason: 'already-final' });
  });

  it('outside the window a part takes no report', async () => {
    const { clock, tracker, sent, report } = await setup();
    await sent('+79001234567', [6]);
    clock.advance(73 * 3_600_000);
    expect(await tracker.process('default', report(6, '+79001234567', 0))).toMatchObject({ kind: 'unmatched', reason: 'no-part' });
  });

  it('a failing final hook leaves the job unwritten; the retry calls it again (at least once)', async () => {
    let fail = true;
    const calls: string[] = [];
    const { store, tracker, sent, report } = await setup({
      onFinal: (e) => {
        calls.push(e.id);
        if (fail) throw new Error('webhook queue unavailable');
      },
    });
    const job = await sent('+79001234567', [9]);
    const pdu = report(9, '+79001234567', 0);
    await expect(tracker.process('default', pdu)).rejects.toThrow('webhook queue unavailable');
    expect((await store.getJob(job.id))!.delivery).toBeUndefined();
    fail = false;
    expect(await tracker.process('default', pdu)).toMatchObject({ kind: 'applied' });
    expect(calls).toEqual([`${job.id}.delivery`, `${job.id}.delivery`]);
  });

  it('an SMS-DELIVER or junk is not a report (the caller must not delete it)', async () => {
    const { tracker } = await setup();
    const [deliver] = encodeDeliver('+79001234567', 'hello');
    expect(await tracker.process('default', deliver!)).toMatchObject({ kind: 'not-a-report', detail: 'an SMS-DELIVER' });
    expect(await tracker.process('default', 'ZZ')).toMatchObject({ kind: 'not-a-report' });
  });
});
