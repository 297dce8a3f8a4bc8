/**
 * Publishes the server's status snapshot (each modem's state, identity, signal, operator, last
 * fault, parts sent today; the HTTP address) to the store for `sms-server status`: at once on
 * every supervisor state change or fault, within `sentRefreshMs` of a sent job (`soon()`), and
 * with a fresh signal/operator poll every `pollMs`.
 * Each modem is polled on its own: a hung modem's poll waits out its own timeouts, not the others'.
 */
import type { ModemDriver } from '../modem/driver.js';
import type { ModemStatus, PoolModemStatus, ServerStatus, Store } from '../store/types.js';
import { every, realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { ModemSupervisor } from './supervisor.js';

export type { ServerStatus };

/** What the publisher reads of one modem (a pool member fits). */
export interface StatusSource {
  spec: { id: string; device: string; number?: string; profile: string; massPerMinute: number; dailyCap?: number };
  supervisor: Pick<ModemSupervisor, 'state' | 'info' | 'lastFault' | 'driver' | 'on'>;
  quota?: { sentToday(nowMs: number): number };
  downSince?: () => number | undefined;
}

export interface StatusPublisherOptions {
  store: Store;
  modems: readonly StatusSource[];
  /** The HTTP API's address once it listens. */
  http?: () => { host: string; port: number } | undefined;
  /** Signal/operator poll period (default 30 s). */
  pollMs?: number;
  /** Longest delay of a `soon()` write (default 2 s): one write per period however many jobs were sent. */
  sentRefreshMs?: number;
  logger?: Logger;
  clock?: Clock;
}

type Radio = Pick<ModemStatus, 'signal' | 'operator' | 'registration'>;

export class StatusPublisher {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly startedAt: string;
  private readonly radio = new Map<string, Radio>();
  private readonly polling = new Set<string>();
  private stopPolling: (() => void) | undefined;
  private soonTimer: Timer | undefined;
  private publishing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: StatusPublisherOptions) {
    if (o.modems.length === 0) throw new RangeError('the status publisher needs at least one modem');
    this.log = moduleLogger(o.logger, 'status');
    this.clock = o.clock ?? realClock;
    this.startedAt = new Date(this.clock.now()).toISOString();
  }

  start(): void {
    for (const m of this.o.modems) {
      const sup = m.supervisor;
      sup.on('ready', () => void this.poll(m));
      sup.on('state', () => void this.publish());
      sup.on('fault', () => void this.publish());
    }
    this.stopPolling = every(this.clock, this.o.pollMs ?? 30_000, () => {
      for (const m of this.o.modems) void this.poll(m);
    });
  }

  stop(): void {
    this.stopPolling?.();
    this.stopPolling = undefined;
    if (this.soonTimer) this.clock.clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
  }

  /** A count changed (a job was sent): write within `sentRefreshMs`, so `status` shows "sent today" current, not up to a poll period late. */
  soon(): void {
    if (this.soonTimer || !this.stopPolling) return;
    this.soonTimer = this.clock.setTimeout(() => {
      this.soonTimer = undefined;
      void this.publish();
    }, this.o.sentRefreshMs ?? 2000);
  }

  snapshot(): ServerStatus {
    const now = this.clock.now();
    const modems = this.o.modems.map((m) => this.modemStatus(m, now));
    const first = modems[0]!;
    const http = this.o.http?.();
    const { state, manufacturer, model, revision, profile, signal, operator, registration, lastFault } = first;
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date(now).toISOString(),
      device: first.device,
      modem: { state, manufacturer, model, revision, profile, signal, operator, registration, lastFault },
      modems,
      ...(http ? { http } : {}),
    };
  }

  private modemStatus(m: StatusSource, now: number): PoolModemStatus {
    const { spec, supervisor: sup } = m;
    const info = sup.info;
    const down = m.downSince?.();
    return {
      id: spec.id,
      device: spec.device,
      ...(spec.number ? { number: spec.number } : {}),
      configuredProfile: spec.profile,
      state: sup.state,
      ...(info ? { manufacturer: info.manufacturer, model: info.model, revision: info.revision, profile: info.profile } : {}),
      // Signal and network only while the modem answers: a dead modem's last reading would mislead.
      ...(sup.state === 'ready' ? this.radio.get(spec.id) : {}),
      lastFault: sup.lastFault,
      sentToday: m.quota?.sentToday(now) ?? 0,
      ...(spec.dailyCap !== undefined ? { dailyCap: spec.dailyCap } : {}),
      massPerMinute: spec.massPerMinute,
      ...(down !== undefined ? { downSince: new Date(down).toISOString() } : {}),
    };
  }

  /**
   * Write the snapshot; a failed write is logged, never thrown (status must not stop the server).
   * Calls during a write are folded into one more write after it (sixteen modems changing state
   * at once make two writes, not sixteen); the promise resolves once a write that began after the
   * call is done.
   */
  publish(): Promise<void> {
    if (this.publishing) {
      this.again = true;
      return this.publishing;
    }
    this.publishing = (async () => {
      do {
        this.again = false;
        await this.o.store.putStatus(this.snapshot()).catch((e) => this.log.warn({ err: (e as Error).message }, 'status snapshot not written'));
      } while (this.again);
    })().finally(() => (this.publishing = undefined));
    return this.publishing;
  }

  /** One modem's signal/operator/registration, then a publish. At most one poll per modem in flight. */
  private async poll(m: StatusSource): Promise<void> {
    const id = m.spec.id;
    if (this.polling.has(id)) return;
    this.polling.add(id);
    try {
      const d: ModemDriver | undefined = m.supervisor.driver;
      if (d && m.supervisor.state === 'ready') {
        try {
          const s = await d.status();
          this.radio.set(id, {
            signal: s.signal ? { rssi: s.signal.rssi, dbm: s.signal.dbm } : undefined,
            operator: s.operator,
            registration: s.registration?.text,
          });
        } catch (e) {
          this.log.debug({ modem: id, err: (e as Error).message }, 'status poll failed');
        }
      }
    } finally {
      this.polling.delete(id);
    }
    await this.publish();
  }
}
