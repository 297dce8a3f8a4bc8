/**
 * Applies status reports to jobs: decode → dedup → match (match.ts) → part and job state
 * (state.ts) → one durable job write. The caller (ModemIntake) deletes the report from the SIM,
 * or acknowledges a `+CDS`, only after `process()` resolved — so a crash at any point re-reads
 * the report rather than losing it, and the content hash makes the re-read count once.
 *
 * The tracker is the only writer of `job.delivery`; reports are applied one at a time (a task
 * chain), so two reports on parts of one job never overwrite each other.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { decodePdu, PduDecodeError, type DecodedStatusReport } from '../sms/index.js';
import type { DeliveryPartRef, DeliveryReportStore, Job, JobDelivery, Store, UnmatchedReport } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { PhoneOptions, PhoneRule } from '../util/phone.js';
import { TaskChain } from '../util/task-chain.js';
import { matchReport, recipientKey, type UnmatchedReason } from './match.js';
import { aggregate, applyStatus, jobDelivery } from './state.js';

/** What the tracker needs from the store. */
export type DeliveryStore = Pick<Store, 'getJob' | 'updateJob'> & Pick<DeliveryReportStore, 'deliveryParts' | 'addUnmatchedReport'>;

/** A job's delivery became final: the hook for `sms.delivered` / `sms.failed` webhooks (accounts). */
export interface DeliveryFinal {
  /** Stable per job (`<jobId>.delivery`): a receiver drops a repeat by it. */
  id: string;
  type: 'sms.delivered' | 'sms.failed';
  job: Job;
  delivery: JobDelivery;
}

export type ReportOutcome =
  | { kind: 'applied'; jobId: string; seq: number; state: JobDelivery['parts'][number]['state']; job: JobDelivery; ambiguous: number }
  /** The same report was processed before (re-read after a crash or a failed delete). */
  | { kind: 'duplicate' }
  | { kind: 'unmatched'; reason: UnmatchedReason; detail: string }
  /** Not an SMS-STATUS-REPORT (the caller must not delete what it read). */
  | { kind: 'not-a-report'; detail: string };

export interface DeliveryTrackerOptions {
  store: DeliveryStore;
  /** National numbering rule for recipients without a country code (config `country`). */
  phone: PhoneOptions | PhoneRule;
  /** `queue.deliveryReportHours`: parts sent longer ago do not take reports. */
  windowHours: number;
  /**
   * Awaited when a job's delivery turns final, BEFORE it is written: a crash in between calls it
   * again for the same job (at least once, same `id`), it is never skipped. Errors propagate:
   * the report is then not applied (and not deleted from the SIM), so it is tried again.
   */
  onFinal?: (e: DeliveryFinal) => Promise<void> | void;
  /**
   * A report that finds no part at all is looked up again after these delays (ms) before it is
   * kept as unmatched: an SMSC can answer within the same second, and the `+CDS` may then be read
   * before the worker has written the part's TP-MR. Default [50, 250, 1000].
   */
  noPartRetryMs?: readonly number[];
  clock?: Clock;
  logger?: Logger;
}

/** Counters since start (the unmatched ones are also kept in the store). */
export interface DeliveryStats {
  applied: number;
  duplicates: number;
  unmatched: number;
  ambiguous: number;
}

/** Events: `report` (ReportOutcome, modem) after each report; `final` (DeliveryFinal) after the job write. */
export class DeliveryTracker extends EventEmitter<{ report: [ReportOutcome, string]; final: [DeliveryFinal] }> {
  readonly stats: DeliveryStats = { applied: 0, duplicates: 0, unmatched: 0, ambiguous: 0 };
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly chain: TaskChain;

  constructor(private readonly o: DeliveryTrackerOptions) {
    super();
    this.log = moduleLogger(o.logger, 'delivery');
    this.clock = o.clock ?? realClock;
    this.chain = new TaskChain((err) => this.log.error({ err: (err as Error).message }, 'delivery task failed'));
  }

  /** Apply one report (PDU hex with the SMSC prefix, as `+CDS`/`AT+CMGR` give it) that arrived on `modem`. Durable when it resolves. */
  process(modem: string, pdu: string): Promise<ReportOutcome> {
    return new Promise((resolve, reject) => {
      this.chain.push(() => this.apply(modem, pdu).then(resolve, reject));
    });
  }

  private async apply(modem: string, pdu: string): Promise<ReportOutcome> {
    let report: DecodedStatusReport;
    try {
      const d = decodePdu(pdu);
      if (d.type !== 'status-report') return this.done({ kind: 'not-a-report', detail: `an SMS-${d.type.toUpperCase()}` }, modem);
      report = d;
    } catch (e) {
      if (!(e instanceof PduDecodeError)) throw e;
      return this.done({ kind: 'not-a-report', detail: e.reason }, modem);
    }
    const hash = reportHash(pdu);
    const now = this.clock.now();
    const reportedAt = new Date(now).toISOString();
    const windowMs = this.o.windowHours * 3_600_000;
    const key = { modem, mr: report.mr, recipient: report.recipient };
    const since = new Date(now - windowMs).toISOString();
    // Jobs keep `to` in E.164, as recipientKey writes the report's recipient: the store need not read
    // the other recipients' jobs that share this TP-MR. Should a job's `to` be written otherwise, the
    // unnarrowed lookup still finds it (the matcher normalises both sides).
    const to = recipientKey(report.recipient, this.o.phone);
    const lookup = async () => {
      const mine = await this.o.store.deliveryParts({ modem, mr: report.mr, since, to });
      return mine.length > 0 ? mine : this.o.store.deliveryParts({ modem, mr: report.mr, since });
    };
    let parts: DeliveryPartRef[] = await lookup();
    if (parts.some((p) => p.reports.includes(hash))) {
      this.log.info({ modem, mr: report.mr }, 'status report already applied (read again after a crash or a failed delete): not counted twice');
      return this.done({ kind: 'duplicate' }, modem);
    }
    let m = matchReport(key, parts, { now, windowMs, phone: this.o.phone });
    for (const ms of this.o.noPartRetryMs ?? [50, 250, 1000]) {
      if (m.kind !== 'unmatched' || m.reason !== 'no-part') break;
      await sleep(this.clock, ms);
      parts = await lookup();
      m = matchReport(key, parts, { now, windowMs, phone: this.o.phone });
    }
    if (m.kind === 'unmatched') {
      const kept: UnmatchedReport = {
        hash, modem, mr: report.mr, recipient: report.recipient, status: report.status, at: report.dischargedAt, receivedAt: reportedAt, reason: m.reason, pdu,
      };
      if (!(await this.o.store.addUnmatchedReport(kept))) return this.done({ kind: 'duplicate' }, modem);
      this.log.warn({ modem, mr: report.mr, to: report.recipient, status: report.status, reason: m.reason, detail: m.detail }, 'status report matches no sent part: kept as unmatched');
      return this.done({ kind: 'unmatched', reason: m.reason, detail: m.detail }, modem);
    }

    const job = await this.o.store.getJob(m.part.jobId);
    if (!job) throw new Error(`delivery index names ${m.part.jobId}, which the store does not have`);
    const before = jobDelivery(job);
    const current = before?.parts.find((p) => p.seq === m.part.seq) ?? { seq: m.part.seq, mr: m.part.mr, state: 'pending' as const };
    const updated = applyStatus(current, { status: report.status, at: report.dischargedAt, reportedAt, hash });
    // Only parts a report reached are stored; the rest are pending by definition (state.ts).
    const reached = [...(job.delivery?.parts ?? []).filter((p) => p.seq !== updated.seq), updated];
    const after = jobDelivery({ parts: job.parts, delivery: aggregate(reached) })!;
    const stored: JobDelivery = { ...after, parts: reached.sort((a, b) => a.seq - b.seq) };
    const final = before?.state === 'pending' && after.state !== 'pending' ? finalEvent(job, after) : undefined;
    if (final) await this.o.onFinal?.(final);
    const written = await this.o.store.updateJob(job.id, { delivery: stored });
    this.log.info({ job: job.id, seq: updated.seq, mr: report.mr, status: report.status, part: updated.state, job_delivery: after.state }, 'status report applied');
    if (m.ambiguous > 0) {
      this.stats.ambiguous++;
      this.log.warn({ job: job.id, mr: report.mr, others: m.ambiguous }, 'more than one open part had this reference and recipient: took the most recent');
    }
    if (final) this.emit('final', { ...final, job: written });
    return this.done({ kind: 'applied', jobId: job.id, seq: updated.seq, state: updated.state, job: after, ambiguous: m.ambiguous }, modem);
  }

  private done(r: ReportOutcome, modem: string): ReportOutcome {
    if (r.kind === 'applied') this.stats.applied++;
    else if (r.kind === 'duplicate') this.stats.duplicates++;
    else if (r.kind === 'unmatched') this.stats.unmatched++;
    this.emit('report', r, modem);
    return r;
  }

  /** Resolves when every report queued so far is processed. */
  idle(): Promise<void> {
    return this.chain.idle();
  }
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** The same report PDU, however often it is read, has one hash. */
export function reportHash(pdu: string): string {
  return createHash('sha256').update(pdu.trim().toUpperCase()).digest('hex').slice(0, 24);
}

function finalEvent(job: Job, delivery: JobDelivery): DeliveryFinal {
  return { id: `${job.id}.delivery`, type: delivery.state === 'delivered' ? 'sms.delivered' : 'sms.failed', job, delivery };
}
