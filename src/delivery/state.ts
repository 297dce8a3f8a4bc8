/**
 * Delivery state of a part and of a job, from the status reports received so far. Pure.
 *
 * A part sent with TP-SRR is `pending` from the moment the modem accepted it until a final
 * report: `delivered` (TP-ST 0x00-0x1F) or `failed` (0x40-0x7F, and reserved values). A temporary
 * status (0x20-0x3F: the SMSC is still trying) keeps it pending but is recorded. A job is
 * `delivered` when every part is, `failed` as soon as any part failed (the phone cannot show the
 * message whole), else `pending`.
 */
import { classifyStatus } from '../sms/index.js';
import type { Job, JobDelivery, PartDelivery } from '../store/types.js';

export type { DeliveryState, JobDelivery, PartDelivery } from '../store/types.js';

/** What one report does to a part (a temporary status keeps it pending). */
export function applyStatus(part: PartDelivery, report: { status: number; at: string; reportedAt: string; hash?: string }): PartDelivery {
  const c = classifyStatus(report.status);
  const reports = report.hash ? [...(part.reports ?? []), report.hash] : part.reports;
  return { ...part, state: c.state, status: report.status, at: report.at, reportedAt: report.reportedAt, ...(reports ? { reports } : {}) };
}

/** The job's state over all its parts (any order). */
export function aggregate(parts: PartDelivery[]): JobDelivery {
  const sorted = [...parts].sort((a, b) => a.seq - b.seq);
  const failed = sorted.filter((p) => p.state === 'failed');
  if (failed.length > 0) return { state: 'failed', ...optionalAt(byInstant(failed)[0]), parts: sorted };
  if (sorted.length > 0 && sorted.every((p) => p.state === 'delivered')) return { state: 'delivered', ...optionalAt(byInstant(sorted).pop()), parts: sorted };
  return { state: 'pending', parts: sorted };
}

/**
 * The job's delivery: every part sent with TP-SRR, with what its reports said (pending without
 * one). Undefined when no part asked for a report.
 */
export function jobDelivery(job: Pick<Job, 'parts' | 'delivery'>): JobDelivery | undefined {
  const asked = (job.parts ?? []).filter((p) => p.report && p.mr !== undefined);
  if (asked.length === 0) return undefined;
  // By seq and TP-MR: a part sent again (unknown outcome) is pending again under its new reference.
  const known = new Map((job.delivery?.parts ?? []).map((p) => [`${p.seq}|${p.mr}`, p]));
  return aggregate(asked.map((p) => known.get(`${p.seq}|${p.mr}`) ?? { seq: p.seq, mr: p.mr!, state: 'pending' }));
}

/** `delivery` as outbox --json and GET /messages/:id show it (null: no report was asked for). */
export function deliveryJson(job: Pick<Job, 'parts' | 'delivery'>) {
  const d = jobDelivery(job);
  if (!d) return null;
  return {
    state: d.state,
    at: d.at ?? null,
    parts: d.parts.map((p) => ({ seq: p.seq, mr: p.mr, state: p.state, status: p.status ?? null, at: p.at ?? null })),
  };
}

/** Short form for the outbox table: `delivered`, `failed 0x46`, `pending 1/3`. */
export function deliveryLabel(job: Pick<Job, 'parts' | 'delivery'>): string {
  const d = jobDelivery(job);
  if (!d) return '';
  if (d.state === 'failed') {
    const st = d.parts.find((p) => p.state === 'failed')?.status;
    return st === undefined ? 'failed' : `failed 0x${st.toString(16).padStart(2, '0')}`;
  }
  if (d.state === 'delivered' || d.parts.length === 1) return d.state;
  return `${d.state} ${d.parts.filter((p) => p.state === 'delivered').length}/${d.parts.length}`;
}

const optionalAt = (at: string | undefined) => (at ? { at } : {});

/** The parts' `at` values, earliest instant first (zones differ between SMSCs: compare instants). */
function byInstant(parts: PartDelivery[]): string[] {
  return parts
    .map((p) => p.at)
    .filter((x): x is string => !!x)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
}
