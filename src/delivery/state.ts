/**
 * Delivery state of a part and of a job, from the status reports received so far. Pure.
 *
 * A part is `pending` from the moment the modem accepted it until a final report: `delivered`
 * (TP-ST 0x00-0x1F) or `failed` (0x40-0x7F, and reserved values). A temporary status (0x20-0x3F:
 * the SMSC is still trying) keeps it pending but is recorded. A job is `delivered` when every
 * part is, `failed` as soon as any part failed (the phone cannot show the message whole), else
 * `pending`.
 */
import { classifyStatus, type DeliveryState } from '../sms/index.js';

export type { DeliveryState } from '../sms/index.js';

/** One part's delivery as a job carries it (`delivery.parts[]`). */
export interface PartDelivery {
  seq: number;
  /** TP-MR the modem gave the part. */
  mr?: number;
  state: DeliveryState;
  /** TP-ST of the last report (a temporary one while still pending). */
  status?: number;
  /** TP-DT of that report, as the SMSC wrote it (ISO 8601 with the SMSC's zone). */
  at?: string;
  /** When we received that report (our clock, ISO 8601 UTC). */
  reportedAt?: string;
}

/** A job's `delivery` (outbox --json, GET /messages/:id). */
export interface JobDelivery {
  state: DeliveryState;
  /**
   * When the job's delivery became final, in the report's own time (TP-DT, the SMSC's zone): the
   * last part's delivery, or the first failure.
   */
  at?: string;
  parts: PartDelivery[];
}

/** What one report does to a part. Reports for a part already final never reach here (see match.ts). */
export function applyStatus(part: PartDelivery, report: { status: number; at: string; reportedAt: string }): PartDelivery {
  const c = classifyStatus(report.status);
  return { ...part, state: c.state, status: report.status, at: report.at, reportedAt: report.reportedAt };
}

/** The job's delivery from its parts' (all parts of the job, in any order). */
export function jobDelivery(parts: PartDelivery[]): JobDelivery {
  const sorted = [...parts].sort((a, b) => a.seq - b.seq);
  const failed = sorted.filter((p) => p.state === 'failed');
  if (failed.length > 0) {
    return { state: 'failed', at: byInstant(failed)[0], parts: sorted };
  }
  if (sorted.length > 0 && sorted.every((p) => p.state === 'delivered')) {
    return { state: 'delivered', at: byInstant(sorted).pop(), parts: sorted };
  }
  return { state: 'pending', parts: sorted };
}

/** The parts' `at` values, earliest instant first (zones differ between SMSCs: compare instants). */
function byInstant(parts: PartDelivery[]): string[] {
  return parts
    .map((p) => p.at)
    .filter((x): x is string => !!x)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
}
