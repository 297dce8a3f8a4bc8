/**
 * The outbound queue worker: keeps the modem busy whenever sendable work exists, one job at a time.
 *
 * Ordering: each job is `store.nextSendable(now)` — replies, then notifications, then mass texts,
 * FIFO within a priority. The store is asked again after every JOB (not every part): a job is one
 * text of at most a few parts, so a reply queued behind a running campaign waits for the parts of
 * at most one mass text, and the parts of one concatenated SMS go out back to back.
 *
 * Durability (each step is persisted before the next, so a crash leaves a state we can judge):
 * 1. `state: 'sending'`, `attempts + 1` and the marker `writing: {seq}` naming the first unsent
 *    part — in one write, once the modem is ready (the worker waits for it with the job still
 *    queued), right before the PDU is written;
 * 2. `parts: [{seq, mr}]` after each part the modem accepted, with the marker moved to the next
 *    part — a restart resumes from the first unsent part, with the same concatenation reference.
 *    If the modem is down by then, the parts are written with the marker cleared, and the marker
 *    is set again once the modem is back;
 * 3. `state: 'sent'`, `sentAt`, marker cleared — one write.
 * The marker lives in the job record (not a separate file): two writes for a one-part SMS instead
 * of four (scripts/bench/throughput.mjs). It is set only while a PDU is about to be or being
 * written, so "may have been sent" (one re-send, counted in `duplicates`) is claimed only then —
 * not for a job that waited for a missing modem. (Left: a crash in the milliseconds between the
 * marker write and the PDU write still counts one.)
 *
 * Stopping: stop() aborts a wait for the modem at once (the job goes back to `queued`, the attempt
 * not counted); a PDU in flight gets `stopGraceMs` to be answered, after which stop() resolves and
 * the job keeps its marker — the next start treats it as possibly sent.
 * Rate limit: only mass texts wait for it. While a mass text waits, the loop sleeps until the
 * mass slot (≤ one interval): a new reply or notification kick()s it awake at once; one whose
 * back-off ends inside that interval may wait for the rest of it.
 *
 * On start, a job found in `sending` goes back to `queued` when the marker does not name one of its
 * unsent parts (nothing was in flight), else the PDU may have gone out and the retry policy's
 * unknown-outcome rule applies (`resend-once` → queued again with `duplicates + 1`; `hold` → `unknown`).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { encodeSubmit, type SubmitPart } from '../sms/index.js';
import type { Job, Store } from '../store/types.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { DailyCap } from './daily-cap.js';
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

/** Encoder: one text → its SMS-SUBMIT parts, with this concatenation reference. */
export type EncodeFn = (to: string, text: string, ref: number) => SubmitPart[];

export interface QueueWorkerOptions {
  store: Store;
  sender: SmsSender;
  /** Overrides of DEFAULT_RETRY_POLICY. */
  policy?: Partial<RetryPolicy>;
  /** Mass texts: SMS parts per minute (default 10; 0 = unlimited). Replies and notifications never wait. */
  rate?: { massPerMinute?: number };
  /** Notifications + mass texts per recipient per local day (default 50). Replies are not capped. */
  dailyCap?: number;
  /** Operator's UTC offset in minutes for the daily cap's day boundary (default: this host's zone). */
  dayOffsetMinutes?: number;
  clock?: Clock;
  logger?: Logger;
  /** Decrypts the text of a `sealed` job (credentials) just before encoding. */
  unseal?: (text: string) => string;
  /** Default: `encodeSubmit(to, text, { ref })` from src/sms. */
  encode?: EncodeFn;
  /** Pause of the loop after consecutive send errors (a modem that is down is not hammered): base, doubling, cap. Default 2 s … 60 s. */
  errorPause?: { baseMs?: number; maxMs?: number };
  /** Longest idle sleep before the store is asked again even without kick() (default 60 s). */
  maxSleepMs?: number;
  /** How long stop() lets a PDU in flight be answered before it gives up on it (default 5 s). */
  stopGraceMs?: number;
  /**
   * Awaited before each job is picked. The daemon passes "inbound work done": an SMS whose +CMTI
   * came while a submit held the modem is read and answered (its reply queued) before the next
   * mass text takes the modem for another network round trip (2–10 s on real networks).
   */
  beforeJob?: () => Promise<void>;
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

/** The worker's persisted state (store meta key `queue.worker`). */
export interface WorkerMeta {
  /** Next 8-bit concatenation reference to hand out. */
  nextRef: number;
  /** References of multipart jobs not finished yet, so resumed parts join the ones already sent. */
  refs: Record<string, number>;
}

export const WORKER_META_KEY = 'queue.worker';

/** Synthetic error for a job found mid-write after a restart: the PDU may have gone out. */
export class InterruptedSendError extends Error {
  readonly code = 'SEND_INTERRUPTED';
  constructor(jobId: string, seq: number, since: string) {
    super(`server stopped while part ${seq} of job ${jobId} was being written to the modem (since ${since}); it may have been sent`);
    this.name = 'InterruptedSendError';
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function partsList(sent: Map<number, number>): { seq: number; mr: number }[] {
  return [...sent.entries()].sort((a, b) => a[0] - b[0]).map(([seq, mr]) => ({ seq, mr }));
}

/**
 * Events: `job` (job: Job, outcome: JobOutcome) after every job handled; `recovered` (RecoveryReport).
 */
export class QueueWorker extends EventEmitter {
  private readonly store: Store;
  private readonly sender: SmsSender;
  private readonly policy: RetryPolicy;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly encode: EncodeFn;
  private readonly unseal: (text: string) => string;
  private readonly rate: MassRateLimiter;
  private readonly cap: DailyCap;
  private readonly pauseBase: number;
  private readonly pauseMax: number;
  private readonly maxSleepMs: number;
  private readonly beforeJob?: () => Promise<void>;

  private meta: WorkerMeta = { nextRef: 0, refs: {} };
  private metaLoaded = false;
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
    this.encode = o.encode ?? ((to, text, ref) => encodeSubmit(to, text, { ref }));
    this.unseal =
      o.unseal ??
      (() => {
        throw new Error('job text is sealed but the worker has no unseal function (key not configured)');
      });
    this.rate = new MassRateLimiter(o.rate?.massPerMinute ?? 10);
    this.cap = new DailyCap(o.dailyCap ?? 50, o.dayOffsetMinutes ?? -new Date().getTimezoneOffset());
    this.pauseBase = o.errorPause?.baseMs ?? 2_000;
    this.pauseMax = o.errorPause?.maxMs ?? 60_000;
    this.maxSleepMs = o.maxSleepMs ?? 60_000;
    this.beforeJob = o.beforeJob;
    this.stopGraceMs = o.stopGraceMs ?? 5_000;
  }

  /** Recovers jobs left in `sending`, seeds the daily cap, then runs the loop in the background. */
  async start(): Promise<RecoveryReport> {
    if (this.running) throw new Error('QueueWorker already started');
    this.running = true;
    this.stopping = false;
    this.detached = false;
    this.abort = new AbortController();
    const report = await this.recover();
    await this.cap.seed(this.store, this.clock.now());
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

  /** Jobs found in `sending` (a crash or kill): re-queue, or apply the unknown-outcome rule. */
  async recover(): Promise<RecoveryReport> {
    await this.loadMeta();
    const report: RecoveryReport = { requeued: [], resent: [], unknown: [] };
    for (const job of await this.store.listJobs({ state: 'sending' })) {
      const w = job.writing;
      const inFlight = w !== undefined && !job.parts?.some((p) => p.seq === w.seq && p.mr !== undefined);
      if (!inFlight) {
        await this.store.updateJob(job.id, { state: 'queued', nextAttemptAt: iso(this.clock.now()), writing: undefined });
        report.requeued.push(job.id);
        continue;
      }
      const outcome = await this.applyDecision(job, new InterruptedSendError(job.id, w.seq, w.at), job.parts ?? []);
      (outcome === 'resend' ? report.resent : report.unknown).push(job.id);
    }
    if (report.requeued.length + report.resent.length + report.unknown.length > 0) {
      this.log.warn(report, 'recovered jobs left in sending by the previous run');
    }
    this.emit('recovered', report);
    return report;
  }

  /** Takes the next sendable job and handles it completely (all its parts, or until an error). */
  async step(): Promise<StepResult> {
    if (this.stopping) return { kind: 'stopped' };
    if (this.beforeJob) await this.beforeJob();
    if (this.stopping) return { kind: 'stopped' };
    await this.loadMeta();
    const nowMs = this.clock.now();
    const job = await this.store.nextSendable(new Date(nowMs));
    if (!job) return { kind: 'idle', wakeAt: await this.store.nextWakeup() };
    // nextSendable gives replies/notifications first, so a rate-limited mass job means none of those waits.
    if (job.priority === 'mass') {
      const waitMs = this.rate.waitMs(nowMs);
      if (waitMs > 0) return { kind: 'rate-limited', waitMs };
    }
    const started = (job.parts ?? []).some((p) => p.mr !== undefined);
    if (job.priority !== 'reply' && !started) {
      const blocked = await this.recipientBlock(job, nowMs);
      if (blocked) {
        const failed = await this.store.updateJob(job.id, { state: 'failed', reason: blocked.reason, lastError: blocked.message });
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

  private async sendJob(queued: Job): Promise<StepResult> {
    const sent = new Map<number, number>();
    for (const p of queued.parts ?? []) if (p.mr !== undefined) sent.set(p.seq, p.mr);
    const sentBefore = sent.size;
    let first = 1;
    while (sent.has(first)) first++;
    // Wait for the modem with the job still queued: nothing is in flight while it is missing.
    if (!(await this.modemReady())) return { kind: 'stopped' };
    let job = await this.store.updateJob(queued.id, {
      state: 'sending',
      attempts: queued.attempts + 1,
      writing: { seq: first, at: iso(this.clock.now()) },
    });

    const ref = this.meta.refs[job.id] ?? this.meta.nextRef;
    let parts: SubmitPart[];
    try {
      parts = this.encode(job.to, job.sealed ? this.unseal(job.text) : job.text, ref);
    } catch (err) {
      return this.finish(...(await this.afterError(job, err, sent)));
    }
    if (parts.length > 1 && this.meta.refs[job.id] === undefined) {
      if (sent.size > 0) this.log.warn({ job: job.id }, 'resuming a multipart job whose reference was lost: the receiver may not join the parts');
      this.meta.refs[job.id] = ref;
      this.meta.nextRef = (ref + 1) % 256;
      await this.saveMeta();
    }

    for (const part of parts) {
      if (sent.has(part.seq)) continue;
      if (this.stopping) {
        // stop() between parts: the rest goes after the restart, with the same reference.
        job = await this.store.updateJob(job.id, { state: 'queued', nextAttemptAt: iso(this.clock.now()), writing: undefined });
        return this.finish(job, 'interrupted');
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
      sent.set(part.seq, mr);
      // The mr and the marker for the next unsent part in one write. The last part's mr goes with
      // the `sent` write below.
      const next = parts.find((p) => !sent.has(p.seq));
      if (next) {
        if (this.sender.isReady?.() !== false) {
          job = await this.store.updateJob(job.id, { parts: partsList(sent), writing: { seq: next.seq, at: iso(this.clock.now()) } });
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
    if (this.meta.refs[job.id] !== undefined) {
      delete this.meta.refs[job.id];
      await this.saveMeta();
    }
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
   * stop() while the job waited for the modem: nothing of the unsent parts was written, so it goes
   * back to `queued` without a marker (no "may have been sent"). An attempt in which no part was
   * written is given back.
   */
  private async requeueUnsent(job: Job, sent: Map<number, number>, sentBefore: number): Promise<Job> {
    return this.store.updateJob(job.id, {
      state: 'queued',
      nextAttemptAt: iso(this.clock.now()),
      parts: partsList(sent),
      writing: undefined,
      ...(sent.size === sentBefore ? { attempts: Math.max(0, job.attempts - 1) } : {}),
    });
  }

  private async afterError(job: Job, err: unknown, sent: Map<number, number>): Promise<[Job, JobOutcome]> {
    const outcome = await this.applyDecision(job, err, partsList(sent));
    // Only errors that say something about the modem/network slow the loop down (not a bad number).
    if (outcome !== 'failed') this.consecutiveErrors++;
    const updated = (await this.store.getJob(job.id)) ?? job;
    return [updated, outcome];
  }

  /** Applies the retry policy to a job (job first, then the marker: a crash between leaves a judgeable state). */
  private async applyDecision(job: Job, err: unknown, parts: { seq: number; mr?: number }[]): Promise<JobOutcome> {
    const d: RetryDecision = decide(err, job, this.policy);
    const lastError = describeError(err);
    const nowMs = this.clock.now();
    let outcome: JobOutcome;
    switch (d.action) {
      case 'retry':
        await this.store.updateJob(job.id, { state: 'queued', nextAttemptAt: iso(nowMs + d.delayMs), lastError, parts, writing: undefined });
        outcome = 'retry';
        break;
      case 'resend':
        await this.store.updateJob(job.id, {
          state: 'queued',
          nextAttemptAt: iso(nowMs + d.delayMs),
          duplicates: (job.duplicates ?? 0) + 1,
          lastError,
          parts,
          writing: undefined,
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
    if ((outcome === 'unknown' || outcome === 'failed') && this.meta.refs[job.id] !== undefined) {
      delete this.meta.refs[job.id];
      await this.saveMeta();
    }
    this.log.warn({ job: job.id, attempts: job.attempts, category: d.category, action: d.action, err: lastError }, 'send failed');
    return outcome;
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
          // ≥ 50 ms: a store whose nextWakeup is already due but nextSendable found nothing must not spin.
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

  private async loadMeta(): Promise<void> {
    if (this.metaLoaded) return;
    const m = await this.store.getMeta<WorkerMeta>(WORKER_META_KEY);
    if (m) this.meta = { nextRef: m.nextRef ?? 0, refs: m.refs ?? {} };
    this.metaLoaded = true;
  }

  private async saveMeta(): Promise<void> {
    await this.store.setMeta<WorkerMeta>(WORKER_META_KEY, this.meta);
  }
}
