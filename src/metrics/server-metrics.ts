/**
 * The server's Prometheus metrics (issue 18), on a registry of its own (prom-client): counters fed
 * by events the server already emits (each routed inbox entry, each job outcome, each failed
 * attempt, each PDU a modem accepted), gauges read at scrape time from the status snapshot and the
 * store (modem state and signal, queue depth, forwards), and prom-client's process metrics (CPU,
 * memory). Counters start at zero with the process, as Prometheus expects (`rate()` copes with resets).
 * The list and an example alert are in docs/metrics.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InboxEntry, Job, JobPriority, ServerStatus, Store } from '../store/types.js';
import { moduleLogger, type Logger } from '../util/log.js';

/** States a modem supervisor reports (ModemState); `sms_modem_state` has one series per state, 1 for the current one. */
export const MODEM_STATES = ['connecting', 'initialising', 'ready', 'recovering', 'waiting-for-device', 'stopped'] as const;
const PRIORITIES: readonly JobPriority[] = ['reply', 'notification', 'mass'];

export interface ServerMetricsOptions {
  store: Pick<Store, 'queueCounts' | 'pendingForwards' | 'listForwards' | 'listJobs' | 'getInbound'>;
  /** The status snapshot (each modem's state, signal, parts sent today): StatusPublisher.snapshot. */
  status: () => ServerStatus;
  /** Process CPU and memory metrics (default true). */
  processMetrics?: boolean;
  now?: () => number;
  logger?: Logger;
}

/** What the metrics listen to: the modem pool's events and the pipeline's routed entries. */
export interface MetricsSources {
  /** The configured modems: their sent counters are exposed at 0 from the start (an absent series breaks `rate()` alerts). */
  readonly members?: readonly { spec: { id: string } }[];
  on(event: 'job', fn: (job: Job, outcome: string) => void): unknown;
  on(event: 'attempt-failed', fn: (modem: string, job: Job, category: string) => void): unknown;
  on(event: 'part-sent', fn: (p: { modem: string; ms: number }) => void): unknown;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly received: Counter<'modem' | 'route'>;
  private readonly sent: Counter<'modem' | 'priority'>;
  private readonly failedJobs: Counter<'modem' | 'priority' | 'reason'>;
  private readonly failures: Counter<'modem' | 'category'>;
  private readonly sendDuration: Histogram<'modem'>;
  private readonly replyLatency: Histogram<'modem'>;

  constructor(private readonly o: ServerMetricsOptions) {
    this.log = moduleLogger(o.logger, 'metrics');
    this.now = o.now ?? Date.now;
    const registers = [this.registry];
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.received = new Counter({ name: 'sms_received_total', help: 'Inbound SMS and calls stored and routed, by modem and the route that claimed them', labelNames: ['modem', 'route'], registers });
    this.sent = new Counter({ name: 'sms_sent_total', help: 'Outbound SMS (all parts accepted by the modem), by modem and priority', labelNames: ['modem', 'priority'], registers });
    this.failedJobs = new Counter({ name: 'sms_failed_total', help: 'Outbound SMS given up (final state failed), by modem, priority and reason', labelNames: ['modem', 'priority', 'reason'], registers });
    this.failures = new Counter({ name: 'sms_send_failures_total', help: 'Failed send attempts, by modem and retry-policy category (a retried SMS counts each attempt)', labelNames: ['modem', 'category'], registers });
    this.sendDuration = new Histogram({
      name: 'sms_send_duration_seconds',
      help: 'One PDU: AT+CMGS written to +CMGS: answered',
      labelNames: ['modem'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60],
      registers,
    });
    this.replyLatency = new Histogram({
      name: 'sms_reply_latency_seconds',
      help: 'Inbound SMS stored (after +CMTI) to its reply accepted by the modem (+CMGS:)',
      labelNames: ['modem'],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    const modems = () => o.status().modems ?? [];
    new Gauge({
      name: 'sms_modem_up',
      help: '1 while the modem is ready to send and receive, else 0',
      labelNames: ['modem'],
      registers,
      collect() {
        this.reset();
        for (const m of modems()) this.set({ modem: m.id }, m.state === 'ready' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sms_modem_state',
      help: 'The modem supervisor state: 1 for the current state, 0 for the others',
      labelNames: ['modem', 'state'],
      registers,
      collect() {
        this.reset();
        for (const m of modems()) for (const s of MODEM_STATES) this.set({ modem: m.id, state: s }, m.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sms_modem_signal_rssi',
      help: 'AT+CSQ signal (0..31) of a ready modem; absent while unknown or not ready',
      labelNames: ['modem'],
      registers,
      collect() {
        this.reset();
        for (const m of modems()) if (m.signal) this.set({ modem: m.id }, m.signal.rssi);
      },
    });
    new Gauge({
      name: 'sms_modem_signal_dbm',
      help: 'Signal strength in dBm of a ready modem; absent while unknown or not ready',
      labelNames: ['modem'],
      registers,
      collect() {
        this.reset();
        for (const m of modems()) if (m.signal?.dbm !== undefined) this.set({ modem: m.id }, m.signal.dbm);
      },
    });
    new Gauge({
      name: 'sms_modem_sent_today',
      help: 'SMS parts sent through the modem since local midnight (its SIM daily cap counts these)',
      labelNames: ['modem'],
      registers,
      collect() {
        this.reset();
        for (const m of modems()) this.set({ modem: m.id }, m.sentToday);
      },
    });
    const store = o.store;
    const now = this.now;
    new Gauge({
      name: 'sms_queue_depth',
      help: 'Outbound SMS waiting or being sent, by priority',
      labelNames: ['priority'],
      registers,
      async collect() {
        const c = await store.queueCounts();
        for (const p of PRIORITIES) this.set({ priority: p }, c.byPriority[p] ?? 0);
      },
    });
    new Gauge({
      name: 'sms_oldest_queued_reply_seconds',
      help: 'Age of the oldest reply still queued (0 when none): replies waiting long mean a stuck modem',
      registers,
      async collect() {
        // The scan reads the open job segments (a running campaign's): only when a reply waits.
        if ((await store.queueCounts()).byPriority.reply === 0) return void this.set(0);
        const queued = await store.listJobs({ state: 'queued', priority: 'reply' });
        const oldest = queued.reduce((min, j) => Math.min(min, Date.parse(j.createdAt)), Infinity);
        this.set(oldest === Infinity ? 0 : Math.max(0, (now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: 'sms_forwards',
      help: 'Forwards to accounts (webhook, e-mail) pending delivery or failed for good',
      labelNames: ['state'],
      registers,
      async collect() {
        this.set({ state: 'pending' }, (await store.pendingForwards()).length);
        this.set({ state: 'failed' }, (await store.listForwards({ status: 'failed' })).length);
      },
    });
  }

  /** Listens to the pool's events. */
  attach(pool: MetricsSources): void {
    for (const m of pool.members ?? []) for (const priority of PRIORITIES) this.sent.inc({ modem: m.spec.id, priority }, 0);
    pool.on('job', (job, outcome) => {
      const modem = job.via ?? job.modem ?? 'unknown';
      if (outcome === 'sent') {
        this.sent.inc({ modem, priority: job.priority });
        if (job.priority === 'reply' && job.inReplyTo) void this.observeReply(modem, job);
      } else if (outcome === 'failed') {
        this.failedJobs.inc({ modem, priority: job.priority, reason: job.reason ?? 'unknown' });
      }
    });
    pool.on('attempt-failed', (modem, _job, category) => this.failures.inc({ modem, category }));
    pool.on('part-sent', (p) => this.sendDuration.observe({ modem: p.modem }, p.ms / 1000));
  }

  /** An inbox entry was routed (the pipeline's `onRouted`). */
  routed(entry: InboxEntry): void {
    this.received.inc({ modem: entry.modem ?? 'default', route: entry.routedBy ?? 'none' });
  }

  /** The Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async observeReply(modem: string, job: Job): Promise<void> {
    try {
      const entry = await this.o.store.getInbound(job.inReplyTo!);
      if (!entry || !job.sentAt) return;
      this.replyLatency.observe({ modem }, Math.max(0, Date.parse(job.sentAt) - Date.parse(entry.receivedAt)) / 1000);
    } catch (e) {
      this.log.debug({ job: job.id, err: (e as Error).message }, 'reply latency not observed');
    }
  }
}
