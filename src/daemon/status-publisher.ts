/**
 * Publishes the server's status snapshot (modem state, identity, signal, operator, last fault,
 * HTTP address) to the store for `sms-server status`: at once on every supervisor state change or
 * fault, and with a fresh signal/operator poll every `pollMs` while the modem is ready.
 */
import type { ModemDriver } from '../modem/driver.js';
import type { ServerStatus, Store } from '../store/types.js';
import { every, realClock, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { ModemSupervisor } from './supervisor.js';

export type { ServerStatus };

export interface StatusPublisherOptions {
  store: Store;
  supervisor: Pick<ModemSupervisor, 'state' | 'info' | 'lastFault' | 'driver' | 'on'>;
  device: string;
  /** The HTTP API's address once it listens. */
  http?: () => { host: string; port: number } | undefined;
  /** Signal/operator poll period (default 30 s). */
  pollMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export class StatusPublisher {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly startedAt: string;
  private radio: Pick<ServerStatus['modem'], 'signal' | 'operator' | 'registration'> = {};
  private stopPolling: (() => void) | undefined;

  constructor(private readonly o: StatusPublisherOptions) {
    this.log = moduleLogger(o.logger, 'status');
    this.clock = o.clock ?? realClock;
    this.startedAt = new Date(this.clock.now()).toISOString();
  }

  start(): void {
    const sup = this.o.supervisor;
    sup.on('ready', () => void this.poll());
    sup.on('state', () => void this.publish());
    sup.on('fault', () => void this.publish());
    this.stopPolling = every(this.clock, this.o.pollMs ?? 30_000, () => void this.poll());
  }

  stop(): void {
    this.stopPolling?.();
    this.stopPolling = undefined;
  }

  snapshot(): ServerStatus {
    const { supervisor: sup } = this.o;
    const info = sup.info;
    const http = this.o.http?.();
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date(this.clock.now()).toISOString(),
      device: this.o.device,
      modem: {
        state: sup.state,
        ...(info ? { manufacturer: info.manufacturer, model: info.model, revision: info.revision, profile: info.profile } : {}),
        ...this.radio,
        lastFault: sup.lastFault,
      },
      ...(http ? { http } : {}),
    };
  }

  /** Write the snapshot; a failed write is logged, never thrown (status must not stop the server). */
  async publish(): Promise<void> {
    await this.o.store.putStatus(this.snapshot()).catch((e) => this.log.warn({ err: (e as Error).message }, 'status snapshot not written'));
  }

  private async poll(): Promise<void> {
    const d: ModemDriver | undefined = this.o.supervisor.driver;
    if (d && this.o.supervisor.state === 'ready') {
      try {
        const s = await d.status();
        this.radio = {
          signal: s.signal ? { rssi: s.signal.rssi, dbm: s.signal.dbm } : undefined,
          operator: s.operator,
          registration: s.registration?.text,
        };
      } catch (e) {
        this.log.debug({ err: (e as Error).message }, 'status poll failed');
      }
    }
    await this.publish();
  }
}
