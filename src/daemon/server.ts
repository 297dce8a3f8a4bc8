/**
 * The composition root: one process that owns the modems and is the single writer of the data
 * folder. Wiring only — the logic lives in the layers: the ModemPool (per modem: supervisor,
 * ModemIntake, QueueWorker), InboundPipeline (route), StatusPublisher, spool and HTTP API.
 * Inbound routes, in order: keyword commands (with self-service when enabled); nothing claiming → `ignored`.
 */
import { startHttpApi } from '../api/index.js';
import { CommandService, resolveTemplates } from '../commands/index.js';
import { modemSpecs, type Config } from '../config/config.js';
import { InboundPipeline, Receiver } from '../inbound/index.js';
import { loadProfile } from '../modem/profile.js';
import type { QueueWorker } from '../queue/index.js';
import { SelfService, selfServiceApiRoutes, selfServiceHandlers } from '../selfservice/index.js';
import { LowdbStore, SpoolServer, spoolHandlerFor } from '../store/index.js';
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
  http?: { port: number; close(): Promise<void> };
  stop(): Promise<void>;
}

export async function startServer(cfg: Config, logger: Logger): Promise<RunningServer> {
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
  const pipeline = new InboundPipeline({ store, routes: [commands], onRouted: kick, logger });
  const receiver = new Receiver(store, { multipartTimeoutMs: cfg.inbound.multipartTimeoutHours * 3_600_000, logger });
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
  let http: { port: number; close(): Promise<void> } | undefined;
  const status = new StatusPublisher({ store, modems: pool.members, http: () => http && { host: cfg.http.host, port: http.port }, logger });
  status.start();

  // Requests from CLI processes: applied here, by the only writer.
  const spool = new SpoolServer(cfg.dataDir, { logger });
  await spool.start(spoolHandlerFor(store, makeOps({ dataDir: cfg.dataDir, phoneRule, key, logger, onEnqueued: kick, selfService })));
  if (cfg.http.enabled) {
    const { port, host, token, maxBodyBytes } = cfg.http;
    const routes = selfService ? selfServiceApiRoutes(selfService, phoneRule) : [];
    http = await startHttpApi({ port, host, token: token!, store, phoneRule, maxBodyBytes, onEnqueued: kick, routes, logger });
    log.info({ host, port: http.port }, 'HTTP API listening');
  }

  // Entries left unrouted by a crash between store and route. Bounded by age: an unbounded scan reads
  // the whole history (3.5 s, +100 MB RSS at 1M messages, scripts/bench/storage.mjs).
  await pipeline.resume(new Date(Date.now() - RESUME_NEW_MAX_AGE_MS));
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
      await status.publish();
      await store.close();
      log.info('stopped');
    })());
  const first = pool.members[0]!;
  return { store, pool, supervisor: first.supervisor, worker: first.worker, pipeline, http, stop };
}
