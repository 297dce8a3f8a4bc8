/** Which final delivery states give a receipt, and what it says (src/smpp/adapters/receipts.ts). */
import { describe, expect, it } from 'vitest';
import { receiptFor, receiptForUnsent } from '../../src/smpp/index.js';
import type { Job, JobDelivery } from '../../src/store/types.js';

const job = (over: Partial<Job> = {}): Job => ({
  id: 'job-7', to: '+79001234567', text: 'Your code is 1234, valid 10 minutes', priority: 'notification', state: 'sent', attempts: 1,
  nextAttemptAt: '2026-11-27T10:00:00.000Z', createdAt: '2026-11-27T10:00:00.000Z', updatedAt: '2026-11-27T10:00:05.000Z',
  account: 'acme', smppReceipt: { when: 'final', originator: 'ACME' }, parts: [{ seq: 1, mr: 5, report: true }, { seq: 2, mr: 6, report: true }], ...over,
});
const delivered: JobDelivery = { state: 'delivered', at: '2026-11-27T13:01:00+03:00', parts: [{ seq: 1, mr: 5, state: 'delivered', status: 0 }, { seq: 2, mr: 6, state: 'delivered', status: 0 }] };
const expired: JobDelivery = { state: 'failed', at: '2026-11-28T10:00:00Z', parts: [{ seq: 1, mr: 5, state: 'delivered', status: 0 }, { seq: 2, mr: 6, state: 'failed', status: 0x46 }] };
const NOW = '2026-11-27T10:05:00.000Z';

describe('receiptFor', () => {
  it('a delivered job that asked for receipts: parts, delivered count, SMSC time as done date, the client\'s source as destination', () => {
    expect(receiptFor(job(), delivered, NOW)).toEqual({
      kind: 'receipt', jobId: 'job-7', recipient: '+79001234567', originator: 'ACME', state: 'delivered',
      submittedAt: '2026-11-27T10:00:00.000Z', doneAt: '2026-11-27T13:01:00+03:00', parts: 2, delivered: 2, error: 0, text: 'Your code is 1234, valid 10 minutes',
    });
  });

  it('TP-ST 0x46 is EXPIRED with err = the TP-Status; another failure is UNDELIV', () => {
    expect(receiptFor(job(), expired, NOW)).toMatchObject({ state: 'expired', delivered: 1, error: 0x46 });
    const rejected: JobDelivery = { ...expired, parts: [{ seq: 1, mr: 5, state: 'failed', status: 0x41 }] };
    expect(receiptFor(job(), rejected, NOW)).toMatchObject({ state: 'undeliverable', error: 0x41 });
  });

  it('none for failures-only on success, none without a request, a sealed text is not shown', () => {
    expect(receiptFor(job({ smppReceipt: { when: 'failure', originator: 'ACME' } }), delivered, NOW)).toBeUndefined();
    expect(receiptFor(job({ smppReceipt: { when: 'failure', originator: 'ACME' } }), expired, NOW)).toMatchObject({ state: 'expired' });
    expect(receiptFor(job({ smppReceipt: undefined }), delivered, NOW)).toBeUndefined();
    expect(receiptFor(job({ sealed: true }), delivered, NOW)!.text).toBe('');
  });

  it('a job failed before any part left: UNDELIV, nothing delivered; none once a part went out', () => {
    const unsent = job({ state: 'failed', parts: undefined });
    expect(receiptForUnsent(unsent, NOW)).toMatchObject({ state: 'undeliverable', parts: 1, delivered: 0, doneAt: NOW, originator: 'ACME' });
    expect(receiptForUnsent(job({ state: 'failed' }), NOW)).toBeUndefined(); // parts have TP-MRs: their reports decide
    expect(receiptForUnsent(job({ state: 'sent', parts: undefined }), NOW)).toBeUndefined();
  });
});
