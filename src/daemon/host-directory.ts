/**
 * The other servers sharing the database (several hosts, issue 17). Each host writes its status
 * row (its modems) with a heartbeat every `heartbeatMs`; this keeps the last list read, so the
 * pool can tell whether a modem it does not drive is alive on another host. A host whose last
 * heartbeat is older than three beats counts as dead since then: jobs pinned to its modems follow
 * `pool.pinnedFallback` like a local modem that is down. Modem ids name one SIM across all hosts:
 * a host refuses to start while a live other host drives a modem with one of its ids (a reply
 * pinned to `m1` must have one owner).
 */
import { ConfigError } from '../config/config.js';
import type { HostStatus, SharedStore } from '../store/types.js';
import { every, realClock, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';

/** Missed heartbeats after which a host counts as dead. */
export const STALE_BEATS = 3;

export interface HostDirectoryOptions {
  store: SharedStore;
  /** The ids of the modems this host drives. */
  modems: readonly string[];
  heartbeatMs: number;
  /** Writes this host's status row (the status publisher's publish). */
  beat: () => Promise<void>;
  clock?: Clock;
  logger?: Logger;
}

export class HostDirectory {
  private hosts: HostStatus[] = [];
  private readAt = 0;
  private stopTimer: (() => void) | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly o: HostDirectoryOptions) {
    this.clock = o.clock ?? realClock;
    this.log = moduleLogger(o.logger, 'hosts');
  }

  private isLive(h: HostStatus): boolean {
    return h.ageSeconds * 1000 < STALE_BEATS * this.o.heartbeatMs;
  }

  /** Refuses a modem id a live other host drives, then beats now and every `heartbeatMs`. */
  async start(): Promise<void> {
    await this.refresh();
    for (const h of this.hosts) {
      if (h.host === this.o.store.host || !this.isLive(h)) continue;
      const taken = (h.status.modems ?? []).map((m) => m.id).filter((id) => this.o.modems.includes(id));
      if (taken.length > 0) {
        throw new ConfigError(
          `host "${h.host}" (heartbeat ${Math.round(h.ageSeconds)} s ago) drives modem ${taken.map((t) => `"${t}"`).join(', ')}: modem ids must be unique across the hosts sharing the database (set "modems": [{"id": …}] or "store.host")`,
        );
      }
    }
    await this.o.beat();
    this.stopTimer = every(this.clock, this.o.heartbeatMs, () => void this.tick());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  private async tick(): Promise<void> {
    try {
      await this.o.beat();
      await this.refresh();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'heartbeat failed');
    }
  }

  async refresh(): Promise<void> {
    this.hosts = await this.o.store.listHosts();
    this.readAt = this.clock.now();
  }

  /** True when another host lists the modem; the list is read again first when it does not (a host started since the last beat). */
  async knows(modem: string): Promise<boolean> {
    if (this.elsewhere(modem) !== null) return true;
    await this.refresh();
    return this.elsewhere(modem) !== null;
  }

  /** The modem of a live other host whose SIM has this number (an account's dedicated number there); read again on a miss. */
  async modemForNumber(number: string): Promise<string | undefined> {
    return this.numberElsewhere(number) ?? (await this.refresh(), this.numberElsewhere(number));
  }

  private numberElsewhere(number: string): string | undefined {
    for (const h of this.hosts) {
      if (h.host === this.o.store.host || !this.isLive(h)) continue;
      const m = h.status.modems?.find((x) => x.number === number);
      if (m) return m.id;
    }
    return undefined;
  }

  /**
   * A modem another host drives: since when it is down (epoch ms, this clock), undefined while it
   * is up. A dead host's modems are down since its last heartbeat. `null`: no other host has it.
   */
  elsewhere(modem: string): { downSince: number | undefined } | null {
    for (const h of this.hosts) {
      if (h.host === this.o.store.host) continue;
      const m = h.status.modems?.find((x) => x.id === modem);
      if (!m) continue;
      if (!this.isLive(h)) return { downSince: this.readAt - h.ageSeconds * 1000 };
      return { downSince: m.downSince !== undefined ? Date.parse(m.downSince) : undefined };
    }
    return null;
  }
}
