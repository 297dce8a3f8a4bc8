/**
 * The SMPP listener: accepts connections, keeps the bound sessions per account (at most
 * `maxSessionsPerAccount`), reassembles concatenated submissions per account and drives the
 * delivery pump that feeds deliver_sm into receiver sessions.
 */
import type { AddressInfo } from 'node:net';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { ConcatAssembler } from './concat.js';
import { DeliveryPump } from './delivery-pump.js';
import { createLibServer, type LibServer } from './library.js';
import type { DeliverQueue, SmppAccount, SmppAccounts, SmppSubmitter } from './ports.js';
import { SessionClosedError, SmppSession, joinSubmittedParts, type SessionHost, type SessionLimits, type SubmittedPart } from './session.js';
import type { Config } from '../config/config.js';

/** The `smpp` config section (defaults in `src/config/config.ts`). */
export type SmppConfig = Config['smpp'];

/** The listener could not bind its address (a port in use, an address not on this host). */
export class SmppListenError extends Error {
  readonly code = 'SMPP_LISTEN';
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'the port is in use' : cause.code === 'EADDRNOTAVAIL' ? 'no such address on this host' : cause.code === 'EACCES' ? 'permission denied (a port below 1024)' : cause.message;
    super(`the SMPP listener cannot listen on ${host}:${port}: ${why} (config "smpp.host" / "smpp.port")`);
    this.name = 'SmppListenError';
  }
}

export interface SmppServerOptions {
  config: SmppConfig;
  accounts: SmppAccounts;
  submitter: SmppSubmitter;
  deliverQueue: DeliverQueue;
  clock?: Clock;
  logger?: Logger;
  /** Tuning that is not configuration (tests shorten these). */
  tuning?: Partial<{ bindTimeoutMs: number; concatTimeoutMs: number; maxConcatSets: number; retryBaseMs: number; retryMaxMs: number; leaseMs: number; maxConnections: number; systemId: string }>;
}

export interface SessionInfo {
  id: number;
  login: string;
  remote: string;
  transmit: boolean;
  receive: boolean;
}

export class SmppServer {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly bySession = new Set<SmppSession>();
  private readonly byAccount = new Map<string, SmppSession[]>();
  private readonly assemblers = new Map<string, ConcatAssembler<SubmittedPart>>();
  private readonly pump: DeliveryPump;
  private readonly host: SessionHost;
  private readonly tuning: Required<NonNullable<SmppServerOptions['tuning']>>;
  private net: LibServer | undefined;

  constructor(private readonly o: SmppServerOptions) {
    this.clock = o.clock ?? realClock;
    this.log = moduleLogger(o.logger, 'smpp');
    const c = o.config;
    this.tuning = {
      bindTimeoutMs: 30_000,
      concatTimeoutMs: 60_000,
      maxConcatSets: 100,
      retryBaseMs: 5_000,
      retryMaxMs: 10 * 60_000,
      leaseMs: Math.max(60_000, 4 * c.responseTimeoutSeconds * 1000),
      maxConnections: 256,
      systemId: 'sms-server',
      ...o.tuning,
    };
    const limits: SessionLimits = {
      windowSize: c.windowSize,
      enquireLinkMs: c.enquireLinkSeconds * 1000,
      responseTimeoutMs: c.responseTimeoutSeconds * 1000,
      bindTimeoutMs: this.tuning.bindTimeoutMs,
      longMessages: c.longMessages,
      systemId: this.tuning.systemId,
    };
    this.host = {
      accounts: o.accounts,
      submitter: o.submitter,
      clock: this.clock,
      logger: this.log,
      limits,
      admit: (s) => this.admit(s),
      assembler: (account) => this.assembler(account),
    };
    this.pump = new DeliveryPump({
      queue: o.deliverQueue,
      clock: this.clock,
      logger: this.log,
      sessionsOf: (login) => this.byAccount.get(login) ?? [],
      leaseMs: this.tuning.leaseMs,
      retryBaseMs: this.tuning.retryBaseMs,
      retryMaxMs: this.tuning.retryMaxMs,
    });
  }

  /** Listen; resolves with the bound address (port 0 picks a free one). */
  async start(): Promise<{ host: string; port: number }> {
    const net = createLibServer((lib) => this.accept(lib));
    net.maxConnections = this.tuning.maxConnections;
    const { host, port } = this.o.config;
    await new Promise<void>((resolve, reject) => {
      net.once('error', (e: NodeJS.ErrnoException) => reject(new SmppListenError(host, port, e)));
      net.listen(port, host, () => {
        net.removeAllListeners('error');
        net.on('error', (e: Error) => this.log.error({ err: e.message }, 'listener error'));
        resolve();
      });
    });
    this.net = net;
    const a = net.address() as AddressInfo;
    this.log.info({ host: a.address, port: a.port }, 'SMPP listening');
    return { host: a.address, port: a.port };
  }

  /** Unbind every session (each gets the response timeout to answer), stop listening. */
  async stop(): Promise<void> {
    const net = this.net;
    this.net = undefined;
    const closed = net ? new Promise<void>((r) => net.close(() => r())) : Promise.resolve();
    await this.pump.stop();
    for (const a of this.assemblers.values()) a.clear(new SessionClosedError('the SMPP listener is stopping'));
    await Promise.all(
      [...this.bySession].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.closed) return resolve();
            s.once('closed', () => resolve());
            void s.unbind();
          }),
      ),
    );
    await closed;
  }

  /** An item was queued for `login`: deliver it if a receiver is bound. */
  notify(login: string): void {
    this.pump.wake(login);
  }

  sessions(login?: string): SessionInfo[] {
    return [...this.bySession]
      .filter((s) => s.bound && s.account && (!login || s.account.login === login))
      .map((s) => ({ id: s.id, login: s.account!.login, remote: s.remote, transmit: s.canTransmit, receive: s.canReceive }));
  }

  private accept(lib: ConstructorParameters<typeof SmppSession>[0]): void {
    const session = new SmppSession(lib, this.host);
    this.bySession.add(session);
    session.on('bound', () => {
      if (session.canReceive) this.pump.wake(session.account!.login);
    });
    session.once('closed', () => {
      this.bySession.delete(session);
      const login = session.account?.login;
      if (!login) return;
      const list = this.byAccount.get(login);
      if (!list) return;
      const i = list.indexOf(session);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byAccount.delete(login);
      this.log.info({ login, session: session.id }, 'session closed');
    });
  }

  private admit(session: SmppSession): boolean {
    const login = session.account!.login;
    const list = this.byAccount.get(login) ?? [];
    if (list.length >= this.o.config.maxSessionsPerAccount) return false;
    list.push(session);
    this.byAccount.set(login, list);
    return true;
  }

  private assembler(account: SmppAccount): ConcatAssembler<SubmittedPart> {
    let a = this.assemblers.get(account.login);
    if (!a) {
      a = new ConcatAssembler<SubmittedPart>({
        clock: this.clock,
        timeoutMs: this.tuning.concatTimeoutMs,
        maxSets: this.tuning.maxConcatSets,
        complete: async (parts) => this.o.submitter.submit(account, joinSubmittedParts(parts)),
      });
      this.assemblers.set(account.login, a);
    }
    return a;
  }
}
