/**
 * The outbound queue worker: keeps the modem busy whenever sendable work exists, one job at a time.
 *
 * Ordering: each job is `store.claimNext(...)` — replies, then notifications, then mass texts,
 * FIFO within a priority. The store is asked again after every JOB (not every part): a job is one
 * text of at most a few parts, so a reply queued behind a running campaign waits for the parts of
 * at most one mass text, and the parts of one concatenated SMS go out back to back.
 *
 * Claims: the job is taken under a lease named after this worker (`owner`), renewed while a send
 * is in flight, so several workers (modems, hosts) never send one job twice, and a worker that
 * died is replaced once its leases expire (`claimStranded`, at start and every `leaseMs`).
 *
 * Durability (each step is persisted before the next, so a crash leaves a state we can judge):
 * 1. the claim: `state: 'sending'`, `attempts + 1`, the lease and the marker `writing: {seq}`
 *    naming the first unsent part — in one write, once the modem is ready (the worker waits for it
 *    before claiming: nothing is in flight while it is missing), right before the PDU is written;
 *    a multipart text also gets its concatenation reference (`store.concatRef`) before its first part;
 * 2. `parts: [{seq, mr, sentAt, report}]` after each part the modem accepted, with the marker moved to the next
 *    part — a restart resumes from the first unsent part, with the same concatenation reference.
 *    If the modem is down by then, the parts are written with the marker cleared, and the marker
 *    is set again once the modem is back;
 * 3. `state: 'sent'`, `sentAt`, marker cleared — one write.
 * The marker lives in the job record (not a separate file): two writes for a one-part SMS instead
 * of four (scripts/bench/throughput.mjs). It is set only while a PDU is about to be or being
 * written, so "may have been sent" (one re-send, counted in `duplicates`) is claimed only then —
 * not for a job that waited for a missing modem. (Left: a crash in the milliseconds between the
 * claim and the PDU write still counts one.)
 *
 * Stopping: stop() aborts a wait for the modem at once (the job goes back to `queued`, an attempt
 * in which nothing was written given back); a PDU in flight gets `stopGraceMs` to be answered,
 * after which stop() resolves and the job keeps its marker — the next start treats it as possibly sent.
 * Rate limit: only mass texts wait for it. While a mass text waits, the loop sleeps until the
 * mass slot (≤ one interval): a new reply or notification kick()s it awake at once; one whose
 * back-off ends inside that interval may wait for the rest of it.
 *
 * Several modems (src/daemon/modem-pool.ts): one worker per modem, claiming jobs pinned to its
 * modem before unpinned ones, only while its sender says the modem is ready. A job whose attempt
 * ended before its PDU was written because the modem went away (`link`) is queued again due now:
 * others take it at once when it is unpinned (`failover`), and its own modem's worker takes it back
 * when it returns. An unpinned multipart text some of whose parts left through this modem is
 * pinned to it (`repin.reason: 'started'`): a phone joins parts from one number only.
 *
 * On start, a job found in `sending` under this worker's own or an expired lease goes back to
 * `queued` when the marker does not name one of its unsent parts (nothing was in flight), else the
 * PDU may have gone out and the retry policy's unknown-outcome rule applies (`resend-once` → queued
 * again with `duplicates + 1`; `hold` → `unknown`). Another live owner's jobs are left alone.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { encodeSubmit, type SubmitPart } from '../sms/index.js';
import type { Job, JobPart, JobPriority, Store } from '../store/types.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { DailyCap } from './daily-cap.js';
import type { ModemQuota } from './modem-quota.js';
import { MassRateLimiter } from './rate-limiter.js';
import { DEFAULT_RETRY_POLICY, decide, describeError, type RetryDecision, type RetryPolicy } from './retry-policy.js';
import { isOptedOut } from '../store/optout.js';
import { SendAbortedError } from './errors.js';

/** What the worker needs from the modem: submit one PDU, answer its TP-MR. The driver's `send` fits. */
export interface SmsSender {
  /**
   * `sensitive`: the text carries credentials — the AT trace must not print the PDU.
   * `signal`: aborted by stop(); a sender still waiting for the modem rejects with its reason.
   */
  sendPart(part: SubmitPart, opts?: { sensitive?: boolean; signal?: AbortSignal }): Promise<{ mr: number }>;
  /** Whether a PDU can be written now (default: always). */
  isReady?(): boolean;
  /** Resolves when a PDU can be written; rejects with `signal.reason` when it aborts first. */
  whenReady?(signal: AbortSignal): Promise<unknown>;
}

/** Encoder: one text → its SMS-SUBMIT parts, with this concatenation reference (and TP-SRR when `statusReport`). */
export type EncodeFn = (to: string, text: string, ref: number, opts?: { statusReport?: boolean }) => SubmitPart[];

export interface QueueWorkerOptions {
  store: Store;
  sender: SmsSender;
  /** Overrides of DEFAULT_RETRY_POLICY. */
  policy?: Partial<RetryPolicy>;
  /** Mass texts: SMS parts per minute (default 10; 0 = unlimited). Replies and notifications never wait. */
  rate?: { massPerMinute?: number };
  /** Notifications + mass texts per recipient per local day (default 50). Replies are not capped. */
  dailyCap?: number;
  /** A per-recipient cap shared with other workers (a pool), seeded by its owner; replaces `dailyCap`. */
  sharedCap?: DailyCap;
  /** This modem's parts sent today and its SIM's daily limit (seeded by its owner). */
  quota?: ModemQuota;
  /** Other modems can send unpinned jobs: one whose modem went away before its PDU was written is queued again due now. */
  failover?: boolean;
  /** Operator's UTC offset in minutes for the daily cap's day boundary (default: this host's zone). */
  dayOffsetMinutes?: number;
  clock?: Clock;
  logger?: Logger;
  /** Decrypts the text of a `sealed` job (credentials) just before encoding. */
  unseal?: (text: string) => string;
  /** Default: `encodeSubmit(to, text, { ref, statusReport })` from src/sms. */
  encode?: EncodeFn;
  /**
   * Ask for status reports (TP-SRR) on jobs that do not say (`job.report` unset): config
   * `queue.deliveryReports`. Default false. Parts sent with TP-SRR are recorded with `report: true`
   * and their `sentAt`, which the delivery tracker matches reports against.
   */
  deliveryReports?: boolean;
  /** Pause of the loop after consecutive send errors (a modem that is down is not hammered): base, doubling, cap. Default 2 s … 60 s. */
  errorPause?: { baseMs?: number; maxMs?: number };
  /** Longest idle sleep before the store is asked again even without kick() (default 60 s). */
  maxSleepMs?: number;
  /**
   * Awaited before each job is picked. The daemon passes "inbound work done": an SMS whose +CMTI
   * came while a submit held the modem is read and answered (its reply queued) before the next
   * mass text takes the modem for another network round trip (2–10 s on real networks).
   */
  beforeJob?: () => Promise<void>;
  /** The modem this worker sends through: it claims jobs pinned to it and unpinned ones. Default: every job. */
  modem?: string;
  /**
   * The lease owner, unique per worker and stable across restarts (its own leases are recovered at
   * once after a crash; others' only when they expire). Default `<hostname>:<modem or "all">`.
   */
  owner?: string;
  /** How long a claim holds without renewal (default 120 s; renewed every third of it while sending). */
  leaseMs?: number;
  /** How long stop() lets a PDU in flight be answered before it gives up on it (default 5 s). */
  stopGraceMs?: number;
}

/** Outcome of one job handled by the worker. */
export type JobOutcome = 'sent' | 'failed' | 'retry' | 'resend' | 'unknown' | 'interrupted';

/** Result of one `step()`. */
export type StepResult =
  | { kind: 'idle'; wakeAt?: Date }
  | { kind: 'rate-limited'; waitMs: number }
  | { kind: 'stopped' }
  | { kind: 'done'; job: Job; outcome: JobOutcome };

/** What `recover()` did with jobs left in `sending`. */
export interface RecoveryReport {
  requeued: string[];
  resent: string[];
  unknown: string[];
}

/** What a worker claims while mass texts wait for their rate limit. */
const NOT_MASS: readonly JobPriority[] = ['reply', 'notification'];
/** What a worker claims once its SIM's daily limit is reached. */
const ONLY_REPLIES: readonly JobPriority[] = ['reply'];

/** Synthetic error for a job found mid-write after a restart: the PDU may have gone out. */
export class InterruptedSendError extends Error {
  readonly code = 'SEND_INTERRUPTED';
  constructor(jobId: string, seq: number, since: string) {
    super(`server stopped while part ${seq} of job ${jobId} was being written to the modem (since ${since}); it may have been sent`);
    this.name = 'InterruptedSendError';
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function partsList(sent: Map<number, JobPart>): JobPart[] {
  return [...sent.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Events: `job` (job: Job, outcome: JobOutcome) after every job handled; `recovered` (RecoveryReport);
 * `attempt-failed` (job, category, action) for every failed attempt, with the retry policy's category.
 */
export class QueueWorker extends EventEmitter {
  private readonly store: Store;
  private readonly sender: SmsSender;
  private readonly policy: RetryPolicy;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly encode: EncodeFn;
  private readonly deliveryReports: boolean;
  private readonly unseal: (text: string) => string;
  private readonly rate: MassRateLimiter;
  private readonly cap: DailyCap;
  private readonly ownCap: boolean;
  private readonly quota?: ModemQuota;
  private readonly failover: boolean;
  private readonly pauseBase: number;
  private readonly pauseMax: number;
  private readonly maxSleepMs: number;
  private readonly beforeJob?: () => Promise<void>;
  private readonly modem?: string;
  readonly owner: string;
  private readonly leaseMs: number;
  private nextRecoverMs = 0;

  private running = false;
  private stopping = false;
  private kicked = false;
  private wake?: () => void;
  private loopDone?: Promise<void>;
  private consecutiveErrors = 0;
  private readonly stopGraceMs: number;
  /** Aborted by stop(): ends a wait for the modem. */
  private abort = new AbortController();
  /** stop() gave up on a PDU in flight: its late outcome is not written (the store is closing). */
  private detached = false;

  constructor(o: QueueWorkerOptions) {
    super();
    this.store = o.store;
    this.sender = o.sender;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...o.policy };
    this.clock = o.clock ?? realClock;
    this.log = moduleLogger(o.logger, 'queue');
    this.encode = o.encode ?? ((to, text, ref, opts) => encodeSubmit(to, text, { ref, statusReport: opts?.statusReport }));
    this.deliveryReports = o.deliveryReports ?? false;
    this.unseal =
      o.unseal ??
      (() => {
        throw new Error('job text is sealed but the worker has no unseal function (key not configured)');
      });
    this.rate = new MassRateLimiter(o.rate?.massPerMinute ?? 10);
    this.ownCap = o.sharedCap === undefined;
    this.cap = o.sharedCap ?? new DailyCap(o.dailyCap ?? 50, o.dayOffsetMinutes ?? -new Date().getTimezoneOffset());
    this.quota = o.quota;
    this.failover = o.failover ?? false;
    this.pauseBase = o.errorPause?.baseMs ?? 2_000;
    this.pauseMax = o.errorPause?.maxMs ?? 60_000;
    this.maxSleepMs = o.maxSleepMs ?? 60_000;
    this.beforeJob = o.beforeJob;
    this.modem = o.modem;
    this.owner = o.owner ?? `${hostname()}:${o.modem ?? 'all'}`;
    this.leaseMs = o.leaseMs ?? 120_000;
    this.stopGraceMs = o.stopGraceMs ?? 5_000;
  }

  /** Recovers jobs left in `sending`, seeds the daily cap (unless shared), then runs the loop in the background. */
  async start(): Promise<RecoveryReport> {
    if (this.running) throw new Error('QueueWorker already started');
    this.running = true;
    this.stopping = false;
    this.detached = false;
    this.abort = new AbortController();
    const report = await this.recover();
    if (this.ownCap) await this.cap.seed(this.store, this.clock.now());
    this.loopDone = this.loop();
    return report;
  }

  /** Something was enqueued (or the modem is back): look at the store now instead of sleeping. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /**
   * Ends a wait for the modem at once; lets a part being written finish (its job is re-queued if
   * parts remain) for at most `stopGraceMs`, then resolves.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort(new SendAbortedError());
    this.wake?.();
    let timer: Timer | undefined;
    const grace = new Promise<'grace'>((resolve) => (timer = this.clock.setTimeout(() => resolve('grace'), this.stopGraceMs)));
    const how = await Promise.race([this.loopDone ?? Promise.resolve(), grace]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (how === 'grace') {
      this.detached = true;
      this.log.warn({ graceMs: this.stopGraceMs }, 'the modem did not answer the part in flight; its job stays marked as possibly sent');
    }
    this.running = false;
    this.loopDone = undefined;
    this.stopping = false; // drain()/start() may be used again
  }

  /** Handles every job sendable now, one after the other (tests and one-shot CLI sends). */
  async drain(): Promise<{ job: Job; outcome: JobOutcome }[]> {
    const done: { job: Job; outcome: JobOutcome }[] = [];
    for (;;) {
      const r = await this.step();
      if (r.kind !== 'done') return done;
      done.push({ job: r.job, outcome: r.outcome });
    }
  }

  /**
   * Jobs left in `sending` by this owner's previous run, or under an expired lease (a crash or kill):
   * re-queue, or apply the unknown-outcome rule. Never runs while this worker has a job in flight.
   */
  async recover(): Promise<RecoveryReport> {
    const report = await this.recoverStranded();
    this.emit('recovered', report);
    return report;
  }

  private async recoverStranded(): Promise<RecoveryReport> {
    this.nextRecoverMs = this.clock.now() + this.leaseMs;
    const report: RecoveryReport = { requeued: [], resent: [], unknown: [] };
    const stranded = await this.store.claimStranded({ owner: this.owner, leaseMs: this.leaseMs, modem: this.modem, now: new Date(this.clock.now()) });
    for (const job of stranded) {
      const w = job.writing;
      const inFlight = w !== undefined && !job.parts?.some((p) => p.seq === w.seq && p.mr !== undefined);
      if (!inFlight) {
        await this.store.updateJob(job.id, { state: 'queued', nextAttemptAt: iso(this.clock.now()), writing: undefined, ...this.startedPin(job, job.parts ?? []) });
        report.requeued.push(job.id);
        continue;
      }
      const outcome = await this.applyDecision(job, new InterruptedSendError(job.id, w.seq, w.at), job.parts ?? []);
      (outcome === 'resend' ? report.resent : report.unknown).push(job.id);
    }
    if (stranded.length > 0) this.log.warn(report, 'recovered jobs left in sending (previous run or an expired lease)');
    return report;
  }

  /** Takes the next sendable job and handles it completely (all its parts, or until an error). */
  async step(): Promise<StepResult> {
    if (this.stopping) return { kind: 'stopped' };
    if (this.beforeJob) await this.beforeJob();
    if (this.stopping) return { kind: 'stopped' };
    let nowMs = this.clock.now();
    if (nowMs >= this.nextRecoverMs) {
      const r = await this.recoverStranded();
      if (r.requeued.length + r.resent.length + r.unknown.length > 0) this.emit('recovered', r);
      nowMs = this.clock.now();
    }
    // Claim only once the modem can take a PDU: a claim is the crash marker (see above). A pool's
    // modem that is down claims nothing meanwhile: its unpinned work is left to the others.
    if (!(await this.modemReady())) return { kind: 'stopped' };
    nowMs = this.clock.now();
    // While mass texts wait for their rate limit, only replies and notifications are claimed; once
    // the SIM's daily limit is reached, only replies.
    const massWaitMs = this.rate.waitMs(nowMs);
    const priorities = this.quota?.reached(nowMs) ? ONLY_REPLIES : massWaitMs > 0 ? NOT_MASS : undefined;
    const job = await this.store.claimNext({
      owner: this.owner,
      leaseMs: this.leaseMs,
      modem: this.modem,
      now: new Date(nowMs),
      ...(this.modem !== undefined ? { pinnedFirst: true } : {}),
      ...(priorities ? { priorities } : {}),
    });
    if (!job) {
      const wakeAt = await this.store.nextWakeup();
      if (massWaitMs > 0 && wakeAt && wakeAt.getTime() <= nowMs) return { kind: 'rate-limited', waitMs: massWaitMs };
      return { kind: 'idle', wakeAt };
    }
    const started = (job.parts ?? []).some((p) => p.mr !== undefined);
    if (job.priority !== 'reply' && !started) {
      const blocked = await this.recipientBlock(job, nowMs);
      if (blocked) {
        // The claim counted an attempt; nothing was sent, so it is given back.
        const failed = await this.store.updateJob(job.id, { state: 'failed', reason: blocked.reason, lastError: blocked.message, attempts: job.attempts - 1 });
        this.log.info({ job: job.id, reason: blocked.reason }, 'job not sent');
        return this.finish(failed, 'failed');
      }
    }
    return this.sendJob(job);
  }

  /** Opt-out and daily cap, checked at send time: a client may opt out after the job was queued. */
  private async recipientBlock(job: Job, nowMs: number): Promise<{ reason: string; message: string } | undefined> {
    if (job.priority !== 'reply' && (await isOptedOut(this.store, job.to))) {
      return { reason: 'opted-out', message: `recipient ${job.to} opted out of ${job.priority} texts (sms stop)` };
    }
    if (this.cap.reached(job.to, nowMs)) {
      return { reason: 'daily-cap', message: `recipient ${job.to} already had ${this.cap.cap} notification/mass texts today` };
    }
    return undefined;
  }

  /** Sends a claimed job (state `sending`, crash marker on its first unsent part), renewing its lease meanwhile. */
  private async sendJob(claimed: Job): Promise<StepResult> {
    const release = this.keepLease(claimed.id);
    try {
      return await this.sendParts(claimed);
    } finally {
      await release();
    }
  }

  private async sendParts(claimed: Job): Promise<StepResult> {
    let job = claimed;
    const sent = new Map<number, JobPart>();
    for (const p of job.parts ?? []) if (p.mr !== undefined) sent.set(p.seq, { ...p });
    const statusReport = job.report ?? this.deliveryReports;
    const sentBefore = sent.size;

    let parts: SubmitPart[];
    try {
      const text = job.sealed ? this.unseal(job.text) : job.text;
      parts = this.encode(job.to, text, job.concatRef ?? 0, { statusReport });
      if (parts.length > 1 && job.concatRef === undefined) {
        if (sent.size > 0) this.log.warn({ job: job.id }, 'resuming a multipart job whose reference was lost: the receiver may not join the parts');
        job = { ...job, concatRef: await this.store.concatRef(job.id) };
        parts = this.encode(job.to, text, job.concatRef!, { statusReport });
      }
    } catch (err) {
      return this.finish(...(await this.afterError(job, err, sent)));
    }

    for (const part of parts) {
      if (sent.has(part.seq)) continue;
      if (this.stopping) {
        // stop() between parts: the rest goes after the restart, with the same reference.
        return this.finish(await this.requeueUnsent(job, sent, sentBefore), 'interrupted');
      }
      const startMs = this.clock.now();
      if (job.writing?.seq !== part.seq) job = await this.store.updateJob(job.id, { writing: { seq: part.seq, at: iso(startMs) } });
      if (job.priority === 'mass') this.rate.book(startMs);
      let mr: number;
      try {
        ({ mr } = await this.sender.sendPart(part, { sensitive: job.sealed === true, signal: this.abort.signal }));
      } catch (err) {
        if (this.detached) return { kind: 'stopped' };
        if (err instanceof SendAbortedError) return this.finish(await this.requeueUnsent(job, sent, sentBefore), 'interrupted');
        return this.finish(...(await this.afterError(job, err, sent)));
      }
      if (this.detached) return { kind: 'stopped' };
      // sentAt and the modem: a status report is matched to this part on that modem, in a window from then.
      sent.set(part.seq, { seq: part.seq, mr, sentAt: iso(this.clock.now()), ...(statusReport ? { report: true } : {}), ...(this.modem ? { modem: this.modem } : {}) });
      this.quota?.record(1, this.clock.now());
      // The mr and the marker for the next unsent part in one write. The last part's mr goes with
      // the `sent` write below.
      const next = parts.find((p) => !sent.has(p.seq));
      if (next) {
        if (this.sender.isReady?.() !== false) {
          job = await this.store.updateJob(job.id, { parts: partsList(sent), writing: { seq: next.seq, at: iso(this.clock.now()) } });
        } else if (this.failover) {
          // Several modems: back to the queue pinned to this one (its parts are on the phone), where
          // the pool's pinned fallback can see it, rather than waiting here in `sending`.
          return this.finish(await this.requeueUnsent(job, sent, sentBefore), 'interrupted');
        } else {
          // The modem went away between parts: record what went out, clear the marker while waiting.
          job = await this.store.updateJob(job.id, { parts: partsList(sent), writing: undefined });
          if (!(await this.modemReady())) return this.finish(await this.requeueUnsent(job, sent, sentBefore), 'interrupted');
          job = await this.store.updateJob(job.id, { writing: { seq: next.seq, at: iso(this.clock.now()) } });
        }
      }
    }

    const sentMs = this.clock.now();
    job = await this.store.updateJob(job.id, { state: 'sent', sentAt: iso(sentMs), parts: partsList(sent), writing: undefined });
    if (job.priority !== 'reply') this.cap.record(job.to, sentMs);
    this.consecutiveErrors = 0;
    // Number, job and parts only: a sealed reply's text carries credentials.
    this.log.info({ job: job.id, to: job.to, parts: parts.length, priority: job.priority, mrs: partsList(sent).map((p) => p.mr) }, 'SMS sent');
    return this.finish(job, 'sent');
  }

  /** Waits until the sender can take a PDU; false when stop() ended the wait. */
  private async modemReady(): Promise<boolean> {
    if (!this.sender.whenReady || this.sender.isReady?.() !== false) return !this.stopping;
    try {
      await this.sender.whenReady(this.abort.signal);
      return !this.stopping;
    } catch (err) {
      if (err instanceof SendAbortedError) return false;
      throw err;
    }
  }

  /**
   * Stopped before the job's remaining parts were written: back to `queued` without a marker (no
   * "may have been sent"), the parts sent so far kept; an attempt in which no part was written is
   * given back (the claim counted it).
   */
  private async requeueUnsent(job: Job, sent: Map<number, JobPart>, sentBefore: number): Promise<Job> {
    return this.store.updateJob(job.id, {
      state: 'queued',
      nextAttemptAt: iso(this.clock.now()),
      parts: partsList(sent),
      writing: undefined,
      ...(sent.size === sentBefore ? { attempts: Math.max(0, job.attempts - 1) } : {}),
      ...this.startedPin(job, partsList(sent)),
    });
  }

  private async afterError(job: Job, err: unknown, sent: Map<number, JobPart>): Promise<[Job, JobOutcome]> {
    const outcome = await this.applyDecision(job, err, partsList(sent));
    // Only errors that say something about the modem/network slow the loop down (not a bad number).
    if (outcome !== 'failed') this.consecutiveErrors++;
    const updated = (await this.store.getJob(job.id)) ?? job;
    return [updated, outcome];
  }

  /** Applies the retry policy to a job (job first, then the marker: a crash between leaves a judgeable state). */
  private async applyDecision(job: Job, err: unknown, parts: JobPart[]): Promise<JobOutcome> {
    const d: RetryDecision = decide(err, job, this.policy);
    const lastError = describeError(err);
    const nowMs = this.clock.now();
    const pin = this.startedPin(job, parts);
    let outcome: JobOutcome;
    switch (d.action) {
      case 'retry': {
        const delayMs = this.retryAtOnce(job, err, d.category, pin) ? 0 : d.delayMs;
        await this.store.updateJob(job.id, { state: 'queued', nextAttemptAt: iso(nowMs + delayMs), lastError, parts, writing: undefined, ...pin });
        outcome = 'retry';
        break;
      }
      case 'resend':
        await this.store.updateJob(job.id, {
          state: 'queued',
          nextAttemptAt: iso(nowMs + d.delayMs),
          duplicates: (job.duplicates ?? 0) + 1,
          lastError,
          parts,
          writing: undefined,
          ...pin,
        });
        outcome = 'resend';
        break;
      case 'hold':
        await this.store.updateJob(job.id, { state: 'unknown', lastError, parts, writing: undefined });
        outcome = 'unknown';
        break;
      case 'fail':
        await this.store.updateJob(job.id, { state: 'failed', reason: d.reason, lastError, parts, writing: undefined });
        outcome = 'failed';
        break;
    }
    this.log.warn({ job: job.id, attempts: job.attempts, category: d.category, action: d.action, err: lastError }, 'send failed');
    this.emit('attempt-failed', job, d.category, d.action);
    return outcome;
  }

  /**
   * The modem went away before the PDU was written (`link`): nothing reached the network. An
   * unpinned job goes to the other modems at once (`failover`). A job the sender refused because
   * its modem is down (`MODEM_UNAVAILABLE`) is due again at once too: this worker claims nothing
   * until the modem is ready, so it is not hammered, and the job leaves as soon as it is back.
   * Other link failures of a pinned job back off as with one modem.
   */
  private retryAtOnce(job: Job, err: unknown, category: string, pin: Partial<Job>): boolean {
    if (category !== 'link') return false;
    const pinned = job.modem !== undefined || pin.modem !== undefined;
    return (this.failover && !pinned) || (err as { code?: unknown }).code === 'MODEM_UNAVAILABLE';
  }

  /**
   * An unpinned multipart text some of whose parts the modem accepted is pinned to the modem that
   * sent them (`via`, else this worker's): the receiving phone joins parts from one number only.
   */
  private startedPin(job: Job, parts: readonly { seq: number; mr?: number }[]): Partial<Job> {
    const via = job.via ?? this.modem;
    if (job.modem !== undefined || via === undefined || !parts.some((p) => p.mr !== undefined)) return {};
    return { modem: via, repin: { to: via, reason: 'started', at: iso(this.clock.now()) } };
  }

  private finish(job: Job, outcome: JobOutcome): StepResult {
    this.emit('job', job, outcome);
    return { kind: 'done', job, outcome };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.kicked = false;
      let sleepMs: number | undefined;
      try {
        const r = await this.step();
        if (r.kind === 'stopped') break;
        if (r.kind === 'done') {
          if (r.outcome === 'sent' || r.outcome === 'failed' || this.consecutiveErrors === 0) continue;
          // A modem that keeps failing is given time (the daemon kick()s when it is back).
          sleepMs = Math.min(this.pauseMax, this.pauseBase * 2 ** Math.min(this.consecutiveErrors - 1, 20));
        } else if (r.kind === 'rate-limited') {
          sleepMs = r.waitMs;
        } else {
          // ≥ 50 ms: a store whose nextWakeup is already due but claimNext found nothing must not spin.
          sleepMs = r.wakeAt ? Math.max(50, r.wakeAt.getTime() - this.clock.now()) : this.maxSleepMs;
        }
      } catch (err) {
        // A store error: keep the loop alive, try again later.
        this.log.error({ err: describeError(err) }, 'queue step failed');
        sleepMs = this.pauseMax;
      }
      await this.sleep(Math.min(sleepMs, this.maxSleepMs));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const done = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      timer = this.clock.setTimeout(done, Math.max(0, ms));
    });
  }

  /**
   * Renews the lease of the job in flight every third of `leaseMs` (a long send, a modem being
   * recovered while the job waits). Returns the stop function; it waits for a renewal under way.
   */
  private keepLease(jobId: string): () => Promise<void> {
    let timer: Timer | undefined;
    let stopped = false;
    let renewing: Promise<void> = Promise.resolve();
    const schedule = () => {
      timer = this.clock.setTimeout(() => {
        renewing = this.store
          .renewLease(jobId, this.owner, this.leaseMs, new Date(this.clock.now()))
          .then(
            () => undefined,
            (err) => {
              if (!stopped) this.log.error({ job: jobId, err: describeError(err) }, 'lease renewal failed: another worker may take this job over');
            },
          )
          .finally(() => {
            if (!stopped) schedule();
          });
      }, Math.max(1, Math.floor(this.leaseMs / 3)));
    };
    schedule();
    return async () => {
      stopped = true;
      if (timer !== undefined) this.clock.clearTimeout(timer);
      await renewing;
    };
  }
}
