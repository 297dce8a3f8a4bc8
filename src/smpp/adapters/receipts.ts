/**
 * A job's final delivery state (src/delivery/) → the SMPP delivery receipt its account asked for
 * with `registered_delivery` (kept on the job as `smppReceipt`). Pure.
 */
import type { Job, JobDelivery } from '../../store/types.js';
import type { ReceiptForSmpp, ReceiptState } from '../ports.js';

/** TP-ST 0x46: the SMSC gave up when the validity period ran out (3GPP TS 23.040 §9.2.3.15). */
const TP_ST_EXPIRED = 0x46;

/**
 * The receipt for `job` now that `delivery` is final, or undefined when none is due: the job was
 * not submitted over SMPP with registered_delivery, or it asked for failures only and was delivered.
 */
export function receiptFor(job: Job, delivery: JobDelivery, nowIso: string): ReceiptForSmpp | undefined {
  const want = job.smppReceipt;
  if (!want || !job.account || delivery.state === 'pending') return undefined;
  if (want.when === 'failure' && delivery.state === 'delivered') return undefined;
  const failed = delivery.parts.find((p) => p.state === 'failed');
  const state: ReceiptState = delivery.state === 'delivered' ? 'delivered' : failed?.status === TP_ST_EXPIRED ? 'expired' : 'undeliverable';
  return {
    kind: 'receipt',
    jobId: job.id,
    recipient: job.to,
    originator: want.originator,
    state,
    submittedAt: job.createdAt,
    doneAt: delivery.at ?? nowIso,
    parts: job.parts?.length ?? delivery.parts.length,
    delivered: delivery.parts.filter((p) => p.state === 'delivered').length,
    error: failed?.status ?? 0,
    text: job.sealed ? '' : job.text,
  };
}

/**
 * The receipt for a job the worker gave up on before any part reached the network (no TP-MR, so no
 * status report will ever come): UNDELIV, nothing delivered. Undefined when none was asked for or a
 * part did go out (its status report decides).
 */
export function receiptForUnsent(job: Job, nowIso: string): ReceiptForSmpp | undefined {
  const want = job.smppReceipt;
  if (!want || !job.account || job.state !== 'failed' || (job.parts ?? []).some((p) => p.mr !== undefined)) return undefined;
  return {
    kind: 'receipt',
    jobId: job.id,
    recipient: job.to,
    originator: want.originator,
    state: 'undeliverable',
    submittedAt: job.createdAt,
    doneAt: nowIso,
    parts: Math.max(1, job.parts?.length ?? 1),
    delivered: 0,
    error: 0,
    text: job.sealed ? '' : job.text,
  };
}
