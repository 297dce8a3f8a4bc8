/**
 * The composition root: one process that owns the modem and is the single writer of the data
 * folder. It wires modem events to the receive path and the command service, drains the outbound
 * queue through the modem, applies CLI requests from the spool, serves the loopback HTTP API,
 * and publishes a status snapshot for `sms-server status`.
 */
import { join } from 'node:path';
import { startHttpApi } from '../api/index.js';
import { CommandService, resolveTemplates } from '../commands/index.js';
import type { Config } from '../config/config.js';
import type { ModemDriver } from '../modem/driver.js';
import { loadProfile } from '../modem/profile.js';
import { QueueWorker } from '../queue/index.js';
import { LowdbStore, SpoolServer, spoolHandlerFor, type InboxEntry } from '../store/index.js';
import { RateLimiter } from '../util/rate-limit.js';
import { decryptSecret, encryptSecret, loadOrCreateKey } from '../util/secret.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { makeOps } from './ops.js';
import { Receiver } from './receiver.js';
import { ModemSupervisor } from './supervisor.js';
import { SerialQueue } from './serial-queue.js';

export const STATUS_META_KEY = 'server.status';
/** Inbox entries still 'new' at start-up are processed when received within this long. */
export const RESUME_NEW_MAX_AGE_MS = 7 * 24 * 3_600_000;

export interface ServerStatus {
  pid: number;
  startedAt: string;
  updatedAt: string;
  device: string;
  modem: {
    state: string;
    manufacturer?: string;
    model?: string;
    revision?: string;
    profile?: string;
    signal?: { rssi: number; dbm?: number };
    operator?: string;
    registration?: string;
    lastFault?: { at: string; step: string; reason: string };
  };
  http?: { host: string; port: number };
}

export interface RunningServer {
  store: LowdbStore;
  supervisor: ModemSupervisor;
  worker: QueueWorker;
  http?: { port: number; close(): Promise<void> };
  stop(): Promise<void>;
}

export async function startServer(cfg: Config, logger: Logger): Promise<RunningServer> {
  const log = moduleLogger(logger, 'server');
  if (!cfg.device) throw new Error('no modem device: pass --device PATH (e.g. /dev/serial/by-id/usb-…), or --simulate');
  // An unknown profile name is a configuration error: refuse to start (UnknownProfileError names
  // the known ones) instead of failing later inside the reconnect loop.
  if (cfg.profile !== 'auto') loadProfile(cfg.profile);
  const store = new LowdbStore(cfg.dataDir, { lockWaitMs: 3000, logger });
  await store.open();
  const key = loadOrCreateKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey });
  const phoneRule = { country: cfg.country };
  const templates = resolveTemplates(cfg.language, cfg.templates);
  const commands = new CommandService({
    store,
    templates,
    phoneRule,
    rateLimiter: new RateLimiter({ limit: cfg.inbound.perSenderPerHour, windowMs: 3_600_000 }),
    decryptPassword: (enc) => decryptSecret(enc, key),
    sealText: (t) => encryptSecret(t, key),
    logger,
  });
  const receiver = new Receiver(store, { multipartTimeoutMs: cfg.inbound.multipartTimeoutHours * 3_600_000, logger });
  const supervisor = new ModemSupervisor({
    device: cfg.device,
    baudRate: cfg.baudRate,
    profile: cfg.profile,
    pin: cfg.pin,
    idleProbeMs: cfg.modem.idleProbeSeconds * 1000,
    sendTimeoutMs: cfg.modem.sendTimeoutSeconds !== undefined ? cfg.modem.sendTimeoutSeconds * 1000 : undefined,
    logger,
  });
  const worker = new QueueWorker({
    store,
    sender: {
      // Waits while the modem is down: the job stays `sending` with nothing written, and the
      // worker is not spun through back-offs for a fault the supervisor is already handling.
      sendPart: async (part, opts) => (await supervisor.whenReady()).send(part, opts),
    },
    policy: {
      maxAttempts: cfg.queue.maxAttempts,
      onUnknown: cfg.queue.onUnknown,
      baseDelayMs: cfg.queue.retryBaseSeconds * 1000,
      unknownResendDelayMs: cfg.queue.unknownResendSeconds * 1000,
    },
    rate: { massPerMinute: cfg.queue.massPerMinute },
    dailyCap: cfg.queue.dailyCap,
    unseal: (t) => decryptSecret(t, key),
    // Replies first: the read of an SMS that arrived during a submit is queued on the modem before
    // the worker's next AT+CMGS; waiting for it lets its reply go next instead of one mass text later.
    beforeJob: () => inbound.idle(),
    logger,
  });

  // Inbound work is serialised: +CMTI bursts, the sweep and calls never race on one SIM slot or
  // on a partial multipart set.
  const inbound = new SerialQueue((err) => log.error({ err: (err as Error).message }, 'inbound task failed'));

  const handleEntry = async (entry: InboxEntry) => {
    try {
      await commands.handleInbound(entry);
      worker.kick();
    } catch (e) {
      // The entry stays 'new' and is retried at the next start.
      log.error({ entry: entry.id, err: (e as Error).message }, 'command processing failed');
    }
  };

  /** Store first, delete after: a crash between the two re-reads the SMS, and dedup drops it. */
  const takeFromSim = async (driver: ModemDriver, memory: string, index: number, pdu?: string) => {
    const sms = pdu ? { pdu } : await driver.read(memory, index);
    if (!sms) return;
    const r = await receiver.ingest(sms.pdu);
    if (r.kind === 'skip') {
      log.debug({ memory, index, reason: r.reason }, 'left on the SIM');
      return;
    }
    // Replies are queued before the delete: AT+CMGD would otherwise wait behind the SUBMIT the
    // worker starts meanwhile, and during a mass text the ack would lose one more send slot.
    if (r.kind === 'stored') {
      log.info({ id: r.entry.id, from: r.entry.from, parts: r.entry.parts, text: r.entry.text }, 'SMS received');
      await handleEntry(r.entry);
    }
    try {
      await driver.delete(memory, index);
    } catch (e) {
      log.warn({ memory, index, err: (e as Error).message }, 'delete from SIM failed; the sweep retries, dedup prevents a duplicate');
    }
    if (r.kind === 'status-report') {
      log.info({ mr: r.mr, status: r.status, delivered: r.delivered, to: r.recipient }, 'status report');
    } else if (r.kind === 'partial') {
      log.info({ key: r.key, have: r.have, total: r.total }, 'multipart part stored');
    }
  };

  const sweep = async (driver: ModemDriver) => {
    const items = await driver.listStored();
    for (const sms of items) {
      if (sms.status > 1) continue; // our own stored SUBMITs (2/3) are not inbound
      await takeFromSim(driver, sms.memory, sms.index, sms.pdu);
    }
    for (const entry of await receiver.resume()) await handleEntry(entry);
  };

  supervisor.on('ready', (driver) => {
    driver.on('sms-stored', ({ memory, index }) => inbound.push(() => takeFromSim(driver, memory, index)));
    driver.on('sms-direct', ({ pdu }) =>
      inbound.push(async () => {
        const r = await receiver.ingest(pdu);
        await driver.ackDirect();
        if (r.kind === 'stored') await handleEntry(r.entry);
      }),
    );
    driver.on('status-report', (sr) => {
      if (sr.kind === 'stored') inbound.push(() => takeFromSim(driver, sr.memory, sr.index));
    });
    driver.on('call', ({ from }) =>
      inbound.push(async () => {
        log.info({ from }, 'incoming call: hanging up');
        await driver.hangup().catch((e) => log.warn({ err: (e as Error).message }, 'hang-up failed'));
        const { entry } = await store.addInbound({
          from,
          text: '[CALL]',
          receivedAt: new Date().toISOString(),
          status: 'call',
          parts: 1,
          dedupKey: `call|${from}|${Date.now()}`,
        });
        log.info({ id: entry.id, from }, '[CALL] logged');
      }),
    );
    driver.on('storage-full', () => {
      log.warn('SIM storage full: sweeping now');
      inbound.push(() => sweep(driver));
    });
    inbound.push(() => sweep(driver));
    worker.kick();
    void publishStatus();
  });
  supervisor.on('state', () => void publishStatus());
  supervisor.on('fault', () => void publishStatus());

  const sweepTimer = setInterval(() => {
    const d = supervisor.driver;
    if (d && supervisor.state === 'ready') inbound.push(() => sweep(d));
  }, cfg.inbound.sweepSeconds * 1000);
  sweepTimer.unref();

  const startedAt = new Date().toISOString();
  let http: { port: number; close(): Promise<void> } | undefined;
  let lastSignal: ServerStatus['modem']['signal'];
  let lastOperator: string | undefined;
  let lastRegistration: string | undefined;
  const publishStatus = async () => {
    const info = supervisor.info;
    const status: ServerStatus = {
      pid: process.pid,
      startedAt,
      updatedAt: new Date().toISOString(),
      device: cfg.device!,
      modem: {
        state: supervisor.state,
        ...(info ? { manufacturer: info.manufacturer, model: info.model, revision: info.revision, profile: info.profile } : {}),
        signal: lastSignal,
        operator: lastOperator,
        registration: lastRegistration,
        lastFault: supervisor.lastFault,
      },
      ...(http ? { http: { host: cfg.http.host, port: http.port } } : {}),
    };
    await store.setMeta(STATUS_META_KEY, status).catch((e) => log.warn({ err: (e as Error).message }, 'status snapshot not written'));
  };
  const pollStatus = async () => {
    const d = supervisor.driver;
    if (d && supervisor.state === 'ready') {
      try {
        const s = await d.status();
        lastSignal = s.signal ? { rssi: s.signal.rssi, dbm: s.signal.dbm } : undefined;
        lastOperator = s.operator;
        lastRegistration = s.registration?.text;
      } catch (e) {
        log.debug({ err: (e as Error).message }, 'status poll failed');
      }
    }
    await publishStatus();
  };
  const statusTimer = setInterval(() => void pollStatus(), 30_000);
  statusTimer.unref();
  supervisor.on('ready', () => void pollStatus());

  // Requests from CLI processes: applied here, by the only writer.
  const ops = makeOps({ dataDir: cfg.dataDir, phoneRule, key, logger, onEnqueued: () => worker.kick() });
  const spool = new SpoolServer(cfg.dataDir, { logger });
  await spool.start(spoolHandlerFor(store, ops));

  if (cfg.http.enabled) {
    http = await startHttpApi({
      port: cfg.http.port,
      host: cfg.http.host,
      token: cfg.http.token!,
      store,
      phoneRule,
      maxBodyBytes: cfg.http.maxBodyBytes,
      onEnqueued: () => worker.kick(),
      logger,
    });
    log.info({ host: cfg.http.host, port: http.port }, 'HTTP API listening');
  }

  // Entries left 'new' by a crash between store and processing. Bounded by age: without `since` the
  // scan reads the whole history when nothing is 'new' (the usual case) — 3.5 s and +100 MB RSS at
  // 1M stored messages (scripts/bench/storage.mjs) — and a request older than a week is stale anyway.
  const resumeSince = new Date(Date.now() - RESUME_NEW_MAX_AGE_MS).toISOString();
  for (const entry of await store.listInbound({ status: 'new', since: resumeSince, limit: 1000 })) await handleEntry(entry);

  await worker.start();
  supervisor.start();
  await publishStatus();
  log.info({ device: cfg.device, data: cfg.dataDir, profile: cfg.profile }, 'server started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      clearInterval(sweepTimer);
      clearInterval(statusTimer);
      await http?.close();
      await spool.stop();
      await worker.stop();
      await inbound.idle();
      await supervisor.stop();
      await publishStatus();
      await store.close();
      log.info('stopped');
    })());
  return { store, supervisor, worker, http, stop };
}

/** Where `serve --simulate` puts the simulated modem's device link and control socket. */
export function simulatorPaths(dataDir: string): { link: string; control: string } {
  return { link: join(dataDir, 'sim-modem'), control: join(dataDir, 'sim-control.sock') };
}
