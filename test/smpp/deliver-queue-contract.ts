/**
 * The DeliverQueue port's contract, run against every implementation (the in-memory one of the
 * SMPP tests and the store backends): nothing is lost, a lease hides an item until it runs out,
 * an item leaves only on ack, per account and oldest first.
 */
import { describe, expect, it } from 'vitest';
import type { DeliverMessage, DeliverQueue } from '../../src/smpp/index.js';

/** Queue time: after the moment any implementation stamps an item with (it may be the real clock). */
const T = Date.now() + 3_600_000;

const sms = (text: string): DeliverMessage => ({ kind: 'sms', from: '+79001234567', text, receivedAt: '2026-11-21T10:00:00.000Z' });

export function deliverQueueContract(name: string, make: () => Promise<{ queue: DeliverQueue; reopen?: () => Promise<DeliverQueue>; close?: () => Promise<void> }>): void {
  describe(`DeliverQueue contract: ${name}`, () => {
    it('claims an account\'s due items oldest first, up to the limit, and counts attempts', async () => {
      const { queue, close } = await make();
      await queue.enqueue('acme', sms('one'));
      await queue.enqueue('beta', sms('other account'));
      await queue.enqueue('acme', sms('two'));
      await queue.enqueue('acme', sms('three'));
      const got = await queue.claim('acme', { now: T + 1_000, limit: 2, leaseMs: 500 });
      expect(got.map((i) => (i.message as { text: string }).text)).toEqual(['one', 'two']);
      expect(got.map((i) => [i.account, i.attempts])).toEqual([
        ['acme', 0],
        ['acme', 0],
      ]);
      const rest = await queue.claim('acme', { now: T + 1_000, limit: 10, leaseMs: 500 });
      expect(rest.map((i) => (i.message as { text: string }).text)).toEqual(['three']);
      await close?.();
    });

    it('hides a leased item until the lease runs out, then hands it out again with the attempt counted', async () => {
      const { queue, close } = await make();
      const item = await queue.enqueue('acme', sms('lease'));
      expect(await queue.claim('acme', { now: T + 1_000, limit: 5, leaseMs: 500 })).toHaveLength(1);
      expect(await queue.claim('acme', { now: T + 1_499, limit: 5, leaseMs: 500 })).toHaveLength(0);
      expect(await queue.nextDueAt('acme')).toBe(T + 1_500);
      const again = await queue.claim('acme', { now: T + 1_500, limit: 5, leaseMs: 500 });
      expect(again.map((i) => [i.id, i.attempts])).toEqual([[item.id, 1]]);
      await close?.();
    });

    it('removes an item only on ack; release sets when it is due again and keeps the error', async () => {
      const { queue, close } = await make();
      const a = await queue.enqueue('acme', sms('a'));
      const b = await queue.enqueue('acme', sms('b'));
      await queue.claim('acme', { now: T + 1_000, limit: 5, leaseMs: 60_000 });
      await queue.ack(a.id);
      await queue.release(b.id, { retryAt: T + 5_000, error: 'deliver_sm_resp ESME_RX_T_APPN' });
      expect(await queue.nextDueAt('acme')).toBe(T + 5_000);
      expect(await queue.claim('acme', { now: T + 4_999, limit: 5, leaseMs: 1 })).toHaveLength(0);
      const [again] = await queue.claim('acme', { now: T + 5_000, limit: 5, leaseMs: 1 });
      expect(again).toMatchObject({ id: b.id, attempts: 1, lastError: 'deliver_sm_resp ESME_RX_T_APPN' });
      await queue.ack(b.id);
      expect(await queue.nextDueAt('acme')).toBeUndefined();
      expect(await queue.claim('acme', { now: T + 1e12, limit: 5, leaseMs: 1 })).toHaveLength(0);
      await close?.();
    });

    it('keeps receipts and SMS alike, field for field', async () => {
      const { queue, close } = await make();
      const receipt: DeliverMessage = { kind: 'receipt', jobId: 'job-7', recipient: '+79001234567', originator: '12345', state: 'delivered', submittedAt: '2026-11-21T10:00:00.000Z', doneAt: '2026-11-21T10:01:00.000Z', parts: 3, delivered: 3, error: 0, text: 'Привет' };
      await queue.enqueue('acme', receipt);
      const [got] = await queue.claim('acme', { now: T + 1, limit: 1, leaseMs: 1 });
      expect(got!.message).toEqual(receipt);
      await close?.();
    });

    it('survives a reopen: a pending item and a leased one are both still there', async () => {
      const { queue, reopen, close } = await make();
      if (!reopen) return; // in-memory: nothing to reopen
      await queue.enqueue('acme', sms('kept'));
      await queue.enqueue('acme', sms('in flight'));
      await queue.claim('acme', { now: T + 1_000, limit: 1, leaseMs: 500 }); // 'kept' is leased, then the process dies
      const q2 = await reopen();
      const got = await q2.claim('acme', { now: T + 2_000, limit: 5, leaseMs: 500 });
      expect(got.map((i) => (i.message as { text: string }).text).sort()).toEqual(['in flight', 'kept']);
      await close?.();
    });
  });
}
