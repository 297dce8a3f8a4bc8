/**
 * The modem pool: for each configured modem its own supervisor (recovery ladder, watchdog),
 * ModemIntake (receive: store, route, then delete) and QueueWorker (send), so a modem that hangs,
 * is unplugged or wants a PIN stalls nothing but itself. Wiring and the little state the pool
 * needs (since when each modem is down); the rules live in the layers:
 * - assignment: each worker claims jobs pinned to its modem first, then unpinned ones, only while
 *   its modem is ready, within its `massPerMinute` and its SIM's `dailyCap` — a modem asks for work
 *   when it has none, so unpinned work goes to a ready modem with the least work (queue/worker.ts);
 * - failover: a down modem claims nothing; an unpinned job its attempt lost is queued again due now
 *   (worker.ts); pinned jobs follow `pool.pinnedFallback` after `pool.pinnedWaitMinutes`
 *   (queue/pinned-fallback.ts);
 * - inbound: one Receiver for all (multipart sets keyed per modem), one intake per modem.
 * See docs/modem-pool.md.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { ModemSpec } from '../config/modems.js';
import type { InboundPipeline, Receiver, StatusReportSink } from '../inbound/index.js';
import { ModemIntake } from '../inbound/index.js';
import {
  DailyCap,
  ModemQuota,
  ModemUnavailableError,
  PinnedFallback,
  QueueWorker,
  sentToday,
  type JobOutcome,
  type PinnedFallbackMode,
  type QueueWorkerOptions,
} from '../queue/index.js';
import type { Job, Store } from '../store/types.js';
import { every, realClock, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { ModemSupervisor, type SupervisorOptions } from './supervisor.js';

/** One modem of the pool and the services that run it. */
export interface PoolMember {
  readonly spec: ModemSpec;
  readonly supervisor: ModemSupervisor;
  readonly intake: ModemIntake;
  readonly worker: QueueWorker;
  readonly quota: ModemQuota;
  /** Epoch ms since when the modem has not been ready; undefined while ready. */
  downSince(): number | undefined;
}

/** Worker settings every modem shares (retry policy, unseal, …); rate, cap, modem and sender are the pool's. */
export type SharedWorkerOptions = Omit<
  QueueWorkerOptions,
  'store' | 'sender' | 'modem' | 'owner' | 'rate' | 'dailyCap' | 'sharedCap' | 'quota' | 'failover' | 'beforeJob' | 'clock' | 'logger'
>;

export interface ModemPoolOptions {
  specs: readonly ModemSpec[];
  store: Store;
  receiver: Receiver;
  pipeline: InboundPipeline;
  /** The supervisor options of one modem (its transport factory, device probe, timeouts). */
  supervisorOptions: (spec: ModemSpec) => SupervisorOptions;
  worker: SharedWorkerOptions;
  /** Notification + mass texts per recipient per local day, over all modems. */
  recipientDailyCap: number;
  pinnedWaitMs: number;
  pinnedFallback: PinnedFallbackMode;
  /** SIM storage sweep period of each intake. */
  sweepMs: number;
  /** Status reports read off any SIM (the delivery tracker). */
  statusReports?: StatusReportSink;
  /** Lease owners are `<host>:<modem id>` (default: this host's name). */
  host?: string;
  clock?: Clock;
  logger?: Logger;
}

/** One PDU the modem accepted: `AT+CMGS` written → `+CMGS:` answered, in ms. */
export interface PartSent {
  modem: string;
  ms: number;
}

/**
 * Events: `job` (job, outcome) from every modem's worker, as QueueWorker emits it; `attempt-failed`
 * (modem, job, category) for each failed attempt; `part-sent` for each PDU a modem accepted.
 */
export class ModemPool extends EventEmitter<{ job: [Job, JobOutcome]; 'attempt-failed': [string, Job, string]; 'part-sent': [PartSent] }> {
  readonly members: readonly PoolMember[];
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly cap: DailyCap;
  private readonly fallback: PinnedFallback;
  private readonly startedAt: number;
  private stopFallback: (() => void) | undefined;
  private checking: Promise<unknown> | undefined;
  private workersStopped: Promise<unknown> | undefined;

  constructor(private readonly o: ModemPoolOptions) {
    super();
    if (o.specs.length === 0) throw new RangeError('a modem pool needs at least one modem');
    this.log = moduleLogger(o.logger, 'pool');
    this.clock = o.clock ?? realClock;
    this.startedAt = this.clock.now();
    const offset = o.worker.dayOffsetMinutes ?? -new Date().getTimezoneOffset();
    this.cap = new DailyCap(o.recipientDailyCap, offset);
    this.members = o.specs.map((spec) => this.member(spec, offset));
    const byId = new Map(this.members.map((m) => [m.spec.id, m]));
    this.fallback = new PinnedFallback({
      store: o.store,
      waitMs: o.pinnedWaitMs,
      fallback: o.pinnedFallback,
      // A modem no longer configured is down since this start: its pinned jobs follow the fallback too.
      downSince: (id) => (byId.has(id) ? byId.get(id)!.downSince() : this.startedAt),
      clock: this.clock,
      logger: o.logger,
    });
  }

  private member(spec: ModemSpec, offset: number): PoolMember {
    const { o } = this;
    const supervisor = new ModemSupervisor({ ...o.supervisorOptions(spec), id: spec.id, clock: this.clock });
    const intake = new ModemIntake({
      store: o.store,
      receiver: o.receiver,
      pipeline: o.pipeline,
      modem: spec.id,
      simNumber: spec.number,
      statusReports: o.statusReports,
      logger: o.logger,
      clock: this.clock,
    });
    const quota = new ModemQuota(spec.id, spec.dailyCap, offset);
    const worker = new QueueWorker({
      ...o.worker,
      store: o.store,
      modem: spec.id,
      owner: `${o.host ?? hostname()}:${spec.id}`,
      sender: {
        // The worker claims only once its modem is ready (it waits in whenReady meanwhile, claiming
        // nothing, so the others take the unpinned work). A modem lost between the claim and the
        // write refuses at once instead of waiting: the job goes back to the queue, where another
        // modem can take it (worker.ts decides how soon).
        sendPart: (part, opts) => {
          if (!supervisor.isReady) return Promise.reject(new ModemUnavailableError(spec.id, supervisor.state));
          const started = this.clock.now();
          return supervisor.driver!.send(part, opts).then((r) => {
            this.emit('part-sent', { modem: spec.id, ms: this.clock.now() - started });
            return r;
          });
        },
        isReady: () => supervisor.isReady,
        whenReady: (signal) => supervisor.whenReady(signal),
      },
      rate: { massPerMinute: spec.massPerMinute },
      sharedCap: this.cap,
      quota,
      failover: o.specs.length > 1,
      // Replies first: an SMS read during a submit is routed before this modem's next AT+CMGS.
      beforeJob: () => intake.idle(),
      clock: this.clock,
      logger: o.logger,
    });
    let downSince: number | undefined = this.clock.now();
    supervisor.on('ready', (driver) => intake.attach(driver));
    supervisor.on('state', (s) => {
      if (s === 'ready') {
        if (downSince !== undefined) this.log.info({ modem: spec.id, downMs: this.clock.now() - downSince }, 'modem ready');
        downSince = undefined;
        worker.kick();
      } else if (downSince === undefined && s !== 'stopped') {
        downSince = this.clock.now();
        this.log.warn({ modem: spec.id, state: s }, 'modem down: its unpinned work goes to the other modems');
      }
    });
    worker.on('job', (job: Job, outcome: JobOutcome) => this.emit('job', job, outcome));
    worker.on('attempt-failed', (job: Job, category: string) => this.emit('attempt-failed', spec.id, job, category));
    return { spec, supervisor, intake, worker, quota, downSince: () => downSince };
  }

  /** Something was queued: every worker looks (the first free ready modem takes it). */
  kick(): void {
    for (const m of this.members) m.worker.kick();
  }

  /** The modem whose SIM has this number (E.164: configured, else learned with AT+CNUM), for an account's dedicated number. */
  modemForNumber(number: string): string | undefined {
    return this.members.find((m) => (m.spec.number ?? m.intake.simNumber) === number)?.spec.id;
  }

  /** Seeds today's counters (one scan for all modems), recovers each worker's stranded jobs, starts the modems. */
  async start(): Promise<void> {
    const now = this.clock.now();
    const sent = await sentToday(this.o.store, now, this.cap.offsetMinutes);
    this.cap.seedFrom(sent, now);
    for (const m of this.members) m.quota.seedFrom(sent, now);
    for (const m of this.members) await m.worker.start();
    for (const m of this.members) {
      const sup = m.supervisor;
      m.intake.startSweeping(this.o.sweepMs, () => (sup.state === 'ready' ? sup.driver : undefined));
      sup.start();
    }
    const checkMs = Math.min(15_000, Math.max(250, this.o.pinnedWaitMs / 4));
    this.stopFallback = every(this.clock, checkMs, () => void this.checkPinned());
  }

  /** Applies the pinned fallback now (the timer calls it; tests too). One check at a time. */
  async checkPinned(): Promise<void> {
    if (this.checking) return;
    this.checking = this.fallback
      .check()
      .then((released) => released.length > 0 && this.kick())
      .catch((e) => this.log.error({ err: (e as Error).message }, 'pinned fallback check failed'))
      .finally(() => (this.checking = undefined));
    await this.checking;
  }

  /** Stops every worker (each lets its part in flight finish, within its grace). Once. */
  stopWorkers(): Promise<unknown> {
    this.stopFallback?.();
    this.stopFallback = undefined;
    this.workersStopped ??= Promise.all(this.members.map((m) => m.worker.stop()));
    return this.workersStopped;
  }

  /** The workers, then the ports (before inbound work is awaited: a wedged modem's commands would each wait out their timeout), then the intakes. */
  async stop(): Promise<void> {
    await this.stopWorkers();
    await this.checking;
    await Promise.all(this.members.map((m) => m.supervisor.stop()));
    await Promise.all(this.members.map((m) => m.intake.stop()));
  }
}
