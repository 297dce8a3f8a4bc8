/**
 * The composition root: one process that owns the modem and is the single writer of the data
 * folder. Wiring only — the logic lives in the layers: supervisor (modem life), ModemIntake and
 * InboundPipeline (receive, store, route), QueueWorker (send), StatusPublisher, spool and HTTP API.
 * Inbound routes, in order: keyword commands (with self-service when enabled); `login: ` prefix;
 * live web chats (when `web.enabled`); last sender; dedicated number; nothing claiming → `ignored`. The public web listener (chat page) is
 * separate from the loopback API.
 */
import { startHttpApi } from '../api/index.js';
import { CommandService, resolveTemplates } from '../commands/index.js';
import type { Config } from '../config/config.js';
import { EmailSender, ForwardDispatcher, WebhookSender, type ChannelSender } from '../forward/index.js';
import { InboundPipeline, LastSenderRoute, ModemIntake, NumberRoute, PrefixRoute, Receiver } from '../inbound/index.js';
import { loadProfile } from '../modem/profile.js';
import { QueueWorker } from '../queue/index.js';
import { SelfService, selfServiceApiRoutes, selfServiceHandlers } from '../selfservice/index.js';
import { DEFAULT_MODEM_ID, SpoolServer, spoolHandlerFor, type Account, type Store } from '../store/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { RateLimiter } from '../util/rate-limit.js';
import { decryptSecret, encryptSecret, loadOrCreateKey } from '../util/secret.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { queuePolicyOptions, serialModemOptions } from './config-options.js';
import { makeOps } from './ops.js';
import { openServerStore } from './open-store.js';
import { createPublicWeb, type PublicWeb } from './public-web.js';
import { StatusPublisher } from './status-publisher.js';
import { ModemSupervisor } from './supervisor.js';

/** Inbox entries left unrouted at start-up are routed when received within this long (older: stale). */
export const RESUME_NEW_MAX_AGE_MS = 7 * 24 * 3_600_000;

export interface RunningServer {
  store: Store;
  supervisor: ModemSupervisor;
  worker: QueueWorker;
  pipeline: InboundPipeline;
  /**
   * Durable webhook/e-mail deliveries. Delivery reports (issue 15) forward through
   * `forwards.emit(account, {type: 'sms.delivered' | 'sms.failed', ref: jobId, payload})`.
   */
  forwards: ForwardDispatcher;
  http?: { port: number; close(): Promise<void> };
  /** The public web listener and the chat, when `web.enabled`. */
  web?: PublicWeb;
  stop(): Promise<void>;
}

export interface ServerDeps {
  /** Time source of routing and forwarding (tests jump it to cover "within 14 days" and a 24 h retry schedule). */
  clock?: Clock;
}

export async function startServer(cfg: Config, logger: Logger, deps: ServerDeps = {}): Promise<RunningServer> {
  const clock = deps.clock ?? realClock;
  const log = moduleLogger(logger, 'server');
  const device = cfg.device;
  if (!device) throw new Error('no modem device: pass --device PATH (e.g. /dev/serial/by-id/usb-…), or --simulate');
  // An unknown profile is a configuration error: refuse to start, not fail inside the reconnect loop.
  if (cfg.profile !== 'auto') loadProfile(cfg.profile);
  const { store, watchWork } = await openServerStore(cfg, logger);
  const key = loadOrCreateKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey });
  const phoneRule = { country: cfg.country };
  const kick = () => worker.kick();
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
  const intake = new ModemIntake({ store, receiver, pipeline, modem: DEFAULT_MODEM_ID, simNumber: cfg.modem.number, logger });
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
  pipeline.add(new NumberRoute({ accounts: store, simNumber: () => intake.simNumber, phoneRule, clock }));
  const supervisor = new ModemSupervisor(serialModemOptions(cfg, device, logger));
  const worker = new QueueWorker({
    store,
    // Waits while the modem is down: the job stays `sending` and is not spun through back-offs.
    sender: { sendPart: async (part, opts) => (await supervisor.whenReady()).send(part, opts) },
    ...queuePolicyOptions(cfg),
    unseal: (t) => decryptSecret(t, key),
    // Replies first: an SMS read during a submit is routed before the worker's next AT+CMGS.
    beforeJob: () => intake.idle(),
    // Hosts sharing a database need distinct lease owners; one host's restart recovers its own.
    ...(cfg.store.host !== undefined ? { owner: `${cfg.store.host}:all` } : {}),
    logger,
  });
  // The chat route comes after the commands and the `login: ` prefix and before last-sender (a web
  // visitor's live conversation wins over an account that texted the same mobile); its sessions are
  // loaded before the first entry is routed.
  const web = cfg.web.enabled ? await createPublicWeb({ cfg, store, worker, key, kick, logger }) : undefined;
  if (web) pipeline.add(web.route, { before: 'last-sender' });
  let http: { port: number; close(): Promise<void> } | undefined;
  const status = new StatusPublisher({ store, supervisor, device, http: () => http && { host: cfg.http.host, port: http.port }, logger });

  supervisor.on('ready', (driver) => {
    intake.attach(driver);
    kick();
  });
  intake.startSweeping(cfg.inbound.sweepSeconds * 1000, () => (supervisor.state === 'ready' ? supervisor.driver : undefined));
  status.start();

  // Requests from CLI processes: applied here, by the only writer.
  const spool = new SpoolServer(cfg.dataDir, { logger });
  await spool.start(spoolHandlerFor(store, makeOps({ dataDir: cfg.dataDir, phoneRule, key, logger, onEnqueued: kick, selfService, forwards })));
  if (cfg.http.enabled) {
    const { port, host, token, maxBodyBytes } = cfg.http;
    const routes = selfService ? selfServiceApiRoutes(selfService, phoneRule) : [];
    http = await startHttpApi({ port, host, token: token!, store, phoneRule, maxBodyBytes, onEnqueued: kick, routes, logger });
    log.info({ host, port: http.port }, 'HTTP API listening');
  }
  await web?.listen();

  // Entries left unrouted by a crash between store and route. Bounded by age: an unbounded scan reads
  // the whole history (3.5 s, +100 MB RSS at 1M messages, scripts/bench/storage.mjs).
  await pipeline.resume(new Date(Date.now() - RESUME_NEW_MAX_AGE_MS));
  // Pending forwards (a crash, a restart, a receiver that was down) are delivered again, same webhook-id.
  await forwards.start();
  await worker.start();
  const unwatch = await watchWork?.(kick);
  supervisor.start();
  await status.publish();
  log.info({ device, data: cfg.dataDir, store: cfg.store.kind, profile: cfg.profile }, 'server started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      status.stop();
      await http?.close();
      await spool.stop();
      await unwatch?.();
      await worker.stop();
      await intake.stop();
      await forwards.stop();
      await Promise.all(Object.values(senders).map((x) => x?.close?.()));
      // After the worker and the inbound path: their last outcomes and replies reach the chat's store.
      await web?.close();
      await supervisor.stop();
      await status.publish();
      await store.close();
      log.info('stopped');
    })());
  return { store, supervisor, worker, pipeline, forwards, http, web, stop };
}

/** The account's signing secrets: the current one, and a rotated one during its grace period. */
function webhookSecrets(a: Account, key: Buffer, now: number): string[] {
  const out = [decryptSecret(a.webhookSecretEnc, key)];
  if (a.previousSecretEnc && a.previousSecretUntil && Date.parse(a.previousSecretUntil) > now) out.push(decryptSecret(a.previousSecretEnc, key));
  return out;
}
