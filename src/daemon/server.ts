/**
 * The composition root: one process that owns the modems and is the single writer of the data
 * folder. Wiring only — the logic lives in the layers: the ModemPool (per modem: supervisor,
 * ModemIntake, QueueWorker), InboundPipeline (route), StatusPublisher, spool and HTTP API.
 * Inbound routes, in order: keyword commands (with self-service when enabled); nothing claiming → `ignored`.
 */
import { startHttpApi } from '../api/index.js';
import { CommandService, resolveTemplates } from '../commands/index.js';
import { modemSpecs, type Config } from '../config/config.js';
import { EmailSender, ForwardDispatcher, WebhookSender, type ChannelSender } from '../forward/index.js';
import { InboundPipeline, LastSenderRoute, NumberRoute, PrefixRoute, Receiver } from '../inbound/index.js';
import { loadProfile } from '../modem/profile.js';
import { accountPin, type QueueWorker } from '../queue/index.js';
import { SelfService, selfServiceApiRoutes, selfServiceHandlers } from '../selfservice/index.js';
import { LowdbStore, SpoolServer, spoolHandlerFor, type Account } from '../store/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { RateLimiter } from '../util/rate-limit.js';
import { decryptSecret, encryptSecret, loadOrCreateKey } from '../util/secret.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { poolOptions, queuePolicyOptions, serialModemOptions } from './config-options.js';
import { ModemPool } from './modem-pool.js';
import { makeOps } from './ops.js';
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
   * Durable webhook/e-mail deliveries. Delivery reports (issue 15) forward through
   * `forwards.emit(account, {type: 'sms.delivered' | 'sms.failed', ref: jobId, payload})`.
   */
  forwards: ForwardDispatcher;
  http?: { port: number; close(): Promise<void> };
  stop(): Promise<void>;
}

export interface ServerDeps {
  /** Time source of routing and forwarding (tests jump it to cover "within 14 days" and a 24 h retry schedule). */
  clock?: Clock;
}

export async function startServer(cfg: Config, logger: Logger, deps: ServerDeps = {}): Promise<RunningServer> {
  const clock = deps.clock ?? realClock;
  const log = moduleLogger(logger, 'server');
  const specs = modemSpecs(cfg);
  if (specs.length === 0) throw new Error('no modem device: pass --device PATH (e.g. /dev/serial/by-id/usb-…), list "modems" in the config, or --simulate');
  // An unknown profile is a configuration error: refuse to start, not fail inside the reconnect loop.
  for (const m of specs) if (m.profile !== 'auto') loadProfile(m.profile);
  const store = new LowdbStore(cfg.dataDir, { lockWaitMs: 3000, logger });
  await store.open();
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
  const forwards = new ForwardDispatcher({ store, senders, concurrency: cfg.forward.concurrency, clock, logger });
  const pipeline = new InboundPipeline({ store, routes: [commands], onRouted: kick, onForwards: (f) => forwards.track(f), logger });
  const receiver = new Receiver(store, { multipartTimeoutMs: cfg.inbound.multipartTimeoutHours * 3_600_000, logger });
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
    worker: { ...queuePolicyOptions(cfg), unseal: (t) => decryptSecret(t, key) },
    ...poolOptions(cfg),
    logger,
  });
  // An account with a dedicated number sends through that SIM's modem (pinned when queued).
  const modemForNumber = (n: string) => pool.modemForNumber(n);
  let http: { port: number; close(): Promise<void> } | undefined;
  const status = new StatusPublisher({ store, modems: pool.members, http: () => http && { host: cfg.http.host, port: http.port }, logger });
  status.start();

  // Requests from CLI processes: applied here, by the only writer.
  const spool = new SpoolServer(cfg.dataDir, { logger });
  await spool.start(spoolHandlerFor(store, makeOps({ dataDir: cfg.dataDir, phoneRule, key, logger, onEnqueued: kick, selfService, forwards, modemForNumber })));
  if (cfg.http.enabled) {
    const { port, host, token, maxBodyBytes } = cfg.http;
    const routes = selfService ? selfServiceApiRoutes(selfService, phoneRule) : [];
    const pinFor = accountPin(store, modemForNumber);
    http = await startHttpApi({ port, host, token: token!, store, phoneRule, maxBodyBytes, onEnqueued: kick, routes, pinFor, logger });
    log.info({ host, port: http.port }, 'HTTP API listening');
  }

  // Entries left unrouted by a crash between store and route. Bounded by age: an unbounded scan reads
  // the whole history (3.5 s, +100 MB RSS at 1M messages, scripts/bench/storage.mjs).
  await pipeline.resume(new Date(Date.now() - RESUME_NEW_MAX_AGE_MS));
  // Pending forwards (a crash, a restart, a receiver that was down) are delivered again, same webhook-id.
  await forwards.start();
  await pool.start();
  await status.publish();
  log.info({ modems: specs.map((m) => ({ id: m.id, device: m.device, profile: m.profile, number: m.number })), data: cfg.dataDir }, 'server started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      status.stop();
      await http?.close();
      await spool.stop();
      await pool.stop();
      await forwards.stop();
      await Promise.all(Object.values(senders).map((x) => x?.close?.()));
      await status.publish();
      await store.close();
      log.info('stopped');
    })());
  const first = pool.members[0]!;
  return { store, pool, supervisor: first.supervisor, worker: first.worker, pipeline, forwards, http, stop };
}

/** The account's signing secrets: the current one, and a rotated one during its grace period. */
function webhookSecrets(a: Account, key: Buffer, now: number): string[] {
  const out = [decryptSecret(a.webhookSecretEnc, key)];
  if (a.previousSecretEnc && a.previousSecretUntil && Date.parse(a.previousSecretUntil) > now) out.push(decryptSecret(a.previousSecretEnc, key));
  return out;
}
