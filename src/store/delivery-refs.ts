/**
 * What both stores answer to `deliveryParts`: the parts of one job that were sent with TP-SRR on
 * a modem with a TP-MR, with their delivery state (pending unless `job.delivery` has a result).
 */
import { DEFAULT_MODEM_ID, type DeliveryPartRef, type Job, type UnmatchedReport } from './types.js';

/** Kept unmatched reports per store (the newest); `total` still counts every one. */
export const UNMATCHED_KEEP = 1000;

/** The modem a part left through. */
export function partModem(job: Pick<Job, 'modem'>, part: { modem?: string }): string {
  return part.modem ?? job.modem ?? DEFAULT_MODEM_ID;
}

/** Index keys (`modem|mr`) of the parts of `job` that asked for a report. */
export function deliveryKeys(job: Job): string[] {
  return [...latestSendByKey(job).keys()];
}

/** Each index key of the job's parts with the latest `sentAt` under it (ms; a part without one counts as now-and-later). */
export function latestSendByKey(job: Job): Map<string, number> {
  const latest = new Map<string, number>();
  for (const p of job.parts ?? []) {
    if (!p.report || p.mr === undefined) continue;
    const key = `${partModem(job, p)}|${p.mr}`;
    const ms = p.sentAt === undefined ? Infinity : Date.parse(p.sentAt);
    latest.set(key, Math.max(latest.get(key) ?? -Infinity, ms));
  }
  return latest;
}

/** The job's parts matching the query, sent at or after `sinceMs`. */
export function deliveryRefs(job: Job, q: { modem: string; mr: number }, sinceMs: number): DeliveryPartRef[] {
  const out: DeliveryPartRef[] = [];
  for (const p of job.parts ?? []) {
    if (!p.report || p.mr !== q.mr || p.sentAt === undefined || partModem(job, p) !== q.modem) continue;
    if (Date.parse(p.sentAt) < sinceMs) continue;
    const result = job.delivery?.parts.find((d) => d.seq === p.seq && d.mr === p.mr);
    out.push({
      jobId: job.id,
      seq: p.seq,
      mr: p.mr,
      modem: q.modem,
      to: job.to,
      sentAt: p.sentAt,
      state: result?.state ?? 'pending',
      reports: [...(result?.reports ?? [])],
    });
  }
  return out;
}

/** Adds `r` to a newest-last list unless its hash is there; trims to UNMATCHED_KEEP. False: already kept. */
export function keepUnmatched(list: UnmatchedReport[], r: UnmatchedReport): boolean {
  if (list.some((x) => x.hash === r.hash)) return false;
  list.push(structuredClone(r));
  if (list.length > UNMATCHED_KEEP) list.splice(0, list.length - UNMATCHED_KEEP);
  return true;
}
