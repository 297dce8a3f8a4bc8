/**
 * The composition root: one process that owns the modems and is the single writer of the data
 * folder. Wiring only — the logic lives in the layers: the ModemPool (per modem: supervisor,
 * ModemIntake, QueueWorker), InboundPipeline (route), DeliveryTracker (status reports →
 * delivery states, `sms.delivered`/`sms.failed` forwards), StatusPublisher, spool and HTTP API.
 * Inbound routes, in order: keyword commands (with self-service when enabled); `login: ` prefix;
 * live web chats (when `web.enabled`); last sender; dedicated number; nothing claiming → `ignored`. The public web listener (chat page) is
 * separate from the loopback API; the SMPP listener (when `smpp.enabled`, smpp-listener.ts) takes
 * submissions as account jobs and delivers the accounts' `smpp` forwards and receipts.
 */
import { randomUUID } from 'node:crypto';
import { startHttpApi } from '../api/index.js';
import { CommandService, resolveTemplates } from '../commands/index.js';
import { modemSpecs, type Config } from '../config/config.js';
import { DeliveryTracker } from '../delivery/index.js';
import { deliveryEvent, EmailSender, ForwardDispatcher, WebhookSender, type ChannelSender } from '../forward/index.js';
import { InboundPipeline, LastSenderRoute, NumberRoute, PrefixRoute, Receiver } from '../inbound/index.js';
import { healthOf, metricsApiRoutes, ServerMetrics } from '../metrics/index.js';
import { accountPin, ReplyAffinity, type QueueWorker } from '../queue/index.js';
import { SelfService, selfServiceApiRoutes, selfServiceHandlers } from '../selfservice/index.js';
import { LowdbStore, SpoolServer, spoolHandlerFor, type Account, type DataLock, type InboxEntry, type Job } from '../store/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { RateLimiter } from '../util/rate-limit.js';
import { decryptSecret, encryptSecret, loadOrCreateKey } from '../util/secret.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { poolOptions, queuePolicyOptions, serialModemOptions } from './config-options.js';
import { ModemPool } from './modem-pool.js';
import { makeOps } from './ops.js';
import type { PublicWeb } from './public-web.js';
import { preflight } from './preflight.js';
import type { SmppListener } from './smpp-listener.js';
import { StatusPublisher } from './status-publisher.js';
import type { ModemSupervisor } from './supervisor.js';

/** Inbox entries left unrouted at start-up are routed when received within this long (older: stale). */
export const RESUME_NEW_MAX_AGE_MS = 7 * 24 * 3_600_000;

export interface RunningServer {
  store: LowdbStore;
  /** Every modem: supervisor, intake and worker each. */
  pool: ModemPool;
  /** The first modem's supervisor and worker (one-modem callers). */
  supervisor: ModemSupervisor;
  worker: QueueWorker;
  pipeline: InboundPipeline;
  /**
   * Durable webhook/e-mail deliveries; a job sent for an account forwards `sms.delivered` /
   * `sms.failed` when its delivery turns final (see `delivery`).
   */
  forwards: ForwardDispatcher;
  /**
   * Status reports → job delivery states. Its `onFinal` (wired here to the account's forwards) runs
   * before the final state is written, at least once per job; its `final` event after the write.
   */
  delivery: DeliveryTracker;
  http?: { port: number; close(): Promise<void> };
  /** Prometheus metrics (`GET /metrics` on the API). */
  metrics: ServerMetrics;
  /** The public web listener and the chat, when `web.enabled`. */
  web?: PublicWeb;
  /** The SMPP listener for accounts, when `smpp.enabled`. */
  smpp?: SmppListener;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The data lock, when the caller took it first (`serve`: before the simulator starts); it releases it. */
  lock?: DataLock;
  /** Time source of routing and forwarding (tests jump it to cover "within 14 days" and a 24 h retry schedule). */
  clock?: Clock;
}
/** @deprecated name kept for callers of the accounts work: the same options. */
export type ServerDeps = StartOptions;

/**
 * Checks the whole configuration (preflight), then opens and starts everything. Any start-up error
 * stops what was already started (lock released, port closed, timers cleared) before it is thrown:
 * a server that cannot run exits instead of holding the data folder half-started.
 */
export async function startServer(cfg: Config, logger: Logger, o: StartOptions = {}): Promise<RunningServer> {
  preflight(cfg);
  const undo: (() => Promise<unknown>)[] = [];
  try {
    return await assemble(cfg, logger, o, undo);
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}

async function assemble(cfg: Config, logger: Logger, o: StartOptions, undo: (() => Promise<unknown>)[]): Promise<RunningServer> {
  const clock = o.clock ?? realClock;
  const log = moduleLogger(logger, 'server');
  const specs = modemSpecs(cfg); // preflight: at least one
  const store = new LowdbStore(cfg.dataDir, o.lock ? { lock: false, logger } : { lockWaitMs: 3000, logger });
  await store.open();
  undo.push(() => store.close());
  const key = loadOrCreateKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey });
  const phoneRule = { country: cfg.country };
  const kick = () => pool.kick();
  const templates = resolveTemplates(cfg.language, cfg.templates);
  const selfService = cfg.selfService.enabled ? new SelfService({ repo: store, settings: cfg.selfService, key, logger }) : undefined;

  const commands = new CommandService({
    store,
    templates,
    handlers: selfService ? selfServiceHandlers(selfService, templates, store) : [],
    phoneRule,
    rateLimiter: new RateLimiter({ limit: cfg.inbound.perSenderPerHour, windowMs: 3_600_000 }),
    decryptPassword: (enc) => decryptSecret(enc, key),
    sealText: (t) => encryptSecret(t, key),
    logger,
  });
  const senders: { webhook: ChannelSender; email?: ChannelSender } = {
    webhook: new WebhookSender({ secretsOf: (a) => webhookSecrets(a, key, clock.now()), timeoutMs: cfg.forward.timeoutSeconds * 1000, clock }),
    ...(cfg.smtp ? { email: new EmailSender(cfg.smtp) } : {}),
  };
  let smpp: SmppListener | undefined;
  // `smpp` forwards are pulled by the account's bound sessions: the dispatcher only wakes them.
  const forwards = new ForwardDispatcher({ store, senders, concurrency: cfg.forward.concurrency, clock, logger, pulled: (f) => smpp?.pulled(f) });
  // Counters from the events the server emits; gauges read the status snapshot at scrape time.
  const metrics = new ServerMetrics({ store, status: () => status.snapshot(), logger });
  // In a pool, an account's text to a subscriber who texted it leaves through the modem that received that SMS.
  const affinity =
    specs.length > 1
      ? new ReplyAffinity({ windowMs: cfg.routing.lastSenderDays * 86_400_000, isModem: (id) => specs.some((m) => m.id === id), phoneRule, clock })
      : undefined;
  await affinity?.seed(store);
  const routed = (e: InboxEntry) => {
    affinity?.note(e);
    kick();
    metrics.routed(e);
  };
  const pipeline = new InboundPipeline({ store, routes: [commands], onRouted: routed, onForwards: (f) => forwards.track(f), logger });
  const receiver = new Receiver(store, { multipartTimeoutMs: cfg.inbound.multipartTimeoutHours * 3_600_000, logger });
  // Status reports: applied to their job before the modem's copy is deleted; a job sent for an
  // account forwards the final state (stored as a forward first, so it survives a crash).
  const delivery = new DeliveryTracker({
    store,
    phone: phoneRule,
    windowHours: cfg.queue.deliveryReportHours,
    onFinal: async (e) => {
      if (e.job.account) await forwards.emit(e.job.account, deliveryEvent(e));
      await smpp?.receipt(e);
    },
    logger,
  });
  const statusReports = (modem: string, pdu: string) => delivery.process(modem, pdu);
  // Account routes after the commands (seed 002): `login: ` prefix, then the last sender within
  // routing.lastSenderDays, then the SIM dedicated to an account. Calls take the last two.
  pipeline.add(new PrefixRoute({ accounts: store, clock }));
  pipeline.add(
    new LastSenderRoute({
      accounts: store,
      lookup: { lastSender: (phone, since) => store.lastSentTo(phone, since.toISOString()) },
      days: cfg.routing.lastSenderDays,
      phoneRule,
      clock,
    }),
  );
  // Each intake records its SIM's number as `to`; with one modem, a number learned later (AT+CNUM) also counts.
  const oneSim = specs.length === 1 ? () => pool.members[0]!.intake.simNumber : undefined;
  pipeline.add(new NumberRoute({ accounts: store, simNumber: oneSim, phoneRule, clock }));
  const pool = new ModemPool({
    specs,
    store,
    receiver,
    pipeline,
    supervisorOptions: (spec) => serialModemOptions(cfg, spec, logger),
    worker: { ...queuePolicyOptions(cfg), unseal: (t) => decryptSecret(t, key), deliveryReports: cfg.queue.deliveryReports },
    ...poolOptions(cfg),
    statusReports,
    logger,
  });
  metrics.attach(pool);
  // An account with a dedicated number sends through that SIM's modem (pinned when queued).
  const modemForNumber = (n: string) => pool.modemForNumber(n);
  const replyModem = affinity && ((account: string, to: string) => affinity.modemFor(account, to));
  // The CLI's operations, run here for the spool and for the console's actions (one code path).
  const ops = makeOps({ dataDir: cfg.dataDir, phoneRule, key, logger, onEnqueued: kick, selfService, forwards, modemForNumber, replyModem });
  // The console needs the operator token (the API's; at least 16 characters): without one there is no /admin.
  const admin = cfg.http.token && cfg.http.token.length >= 16 ? { token: cfg.http.token, act: (op: string, args: unknown) => ops(store, op, args, randomUUID()) } : undefined;
  // The chat route comes after the commands and the `login: ` prefix and before last-sender (a web
  // visitor's live conversation wins over an account that texted the same mobile); its sessions are
  // loaded before the first entry is routed. Imported only when enabled: the web layer (fastify and
  // its plugins) is ~20 MB of RSS.
  const web = cfg.web.enabled ? await (await import('./public-web.js')).createPublicWeb({ cfg, store, jobs: pool, severalModems: specs.length > 1, key, kick, selfService, templates, serviceNumber: specs.find((m) => m.number)?.number, clock, admin, logger }) : undefined;
  if (web) {
    pipeline.add(web.route, { before: 'last-sender' });
    undo.push(() => web.close());
  }
  let http: { port: number; close(): Promise<void> } | undefined;
  const status = new StatusPublisher({ store, modems: pool.members, http: () => http && { host: cfg.http.host, port: http.port }, logger });
  status.start();
  pool.on('job', (job: Job, outcome: string) => {
    status.soon();
    // A job failed before any part left gets its SMPP receipt here (no status report will come).
    if (outcome === 'failed') smpp?.unsent(job).catch((e: Error) => log.error({ job: job.id, err: e.message }, 'SMPP receipt not queued'));
  });
  undo.push(async () => status.stop());

  // Requests from CLI processes: applied here, by the only writer.
  const spool = new SpoolServer(cfg.dataDir, { logger });
  await spool.start(spoolHandlerFor(store, ops));
  undo.push(() => spool.stop());
  if (cfg.http.enabled) {
    const { port, host, token, maxBodyBytes } = cfg.http;
    const routes = [...(selfService ? selfServiceApiRoutes(selfService, phoneRule) : []), ...metricsApiRoutes(metrics)];
    // It logs "HTTP API listening" itself.
    const pinFor = accountPin(store, modemForNumber, replyModem);
    http = await startHttpApi({ port, host, token: token!, store, phoneRule, maxBodyBytes, onEnqueued: kick, routes, pinFor, health: () => healthOf(status.snapshot()), logger });
    undo.push(() => http!.close());
  }
  await web?.listen();

  // Entries left unrouted by a crash between store and route. Bounded by age: an unbounded scan reads
  // the whole history (3.5 s, +100 MB RSS at 1M messages, scripts/bench/storage.mjs).
  await pipeline.resume(new Date(Date.now() - RESUME_NEW_MAX_AGE_MS));
  // Pending forwards (a crash, a restart, a receiver that was down) are delivered again, same webhook-id.
  await forwards.start();
  undo.push(() => forwards.stop());
  if (cfg.smpp.enabled) {
    // Imported only when enabled, like the web layer. Listening before the modems start: a status
    // report read at start-up may already queue a receipt.
    const { startSmppListener } = await import('./smpp-listener.js');
    smpp = await startSmppListener({ cfg, store, kick, pinFor: accountPin(store, modemForNumber, replyModem), clock, logger });
    undo.push(() => smpp!.stop());
  }
  await pool.start();
  undo.push(() => pool.stop());
  await status.publish();
  log.info({ modems: specs.map((m) => ({ id: m.id, device: m.device, profile: m.profile, number: m.number })), data: cfg.dataDir }, 'server started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      status.stop();
      await http?.close();
      // Sessions unbound (each may answer within responseTimeoutSeconds) before the workers stop.
      await smpp?.stop();
      await spool.stop();
      await pool.stopWorkers();
      await delivery.idle();
      await forwards.stop();
      await Promise.all(Object.values(senders).map((x) => x?.close?.()));
      // After the worker: its last outcomes reach the chat's store.
      await web?.close();
      // Ports close before inbound work is awaited: on a wedged modem each of its commands would
      // otherwise wait out its own timeout.
      await pool.stop();
      await status.publish();
      await store.close();
      log.info('stopped');
    })());
  const first = pool.members[0]!;
  return { store, pool, supervisor: first.supervisor, worker: first.worker, pipeline, forwards, delivery, http, metrics, web, smpp, stop };
}

/** The account's signing secrets: the current one, and a rotated one during its grace period. */
function webhookSecrets(a: Account, key: Buffer, now: number): string[] {
  const out = [decryptSecret(a.webhookSecretEnc, key)];
  if (a.previousSecretEnc && a.previousSecretUntil && Date.parse(a.previousSecretUntil) > now) out.push(decryptSecret(a.previousSecretEnc, key));
  return out;
}
