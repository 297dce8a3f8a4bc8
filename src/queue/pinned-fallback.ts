/**
 * Jobs pinned to a modem that is down (config `pool.pinnedWaitMinutes`, `pool.pinnedFallback`).
 * A pinned job — a reply to a subscriber who texted that SIM, an account's job on its dedicated
 * number, a multipart text already started there — can go out through no other modem without the
 * subscriber seeing another number. Once its modem has been down for the wait:
 * - `wait`: it keeps waiting for its modem (logged once per outage);
 * - `any`: it is unpinned (`repin: {from, reason: 'modem-down'}`) and the next ready modem sends it.
 *   A multipart text whose first parts already left through the dead modem starts again whole
 *   (new concatenation reference, `duplicates + 1`): the phone cannot join parts from two numbers.
 * A modem id no longer in the config counts as down since the server started.
 */
import type { Job, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';

export type PinnedFallbackMode = 'wait' | 'any';

export interface PinnedFallbackOptions {
  store: Store;
  waitMs: number;
  fallback: PinnedFallbackMode;
  /** Epoch ms since when the modem has not been ready; undefined while it is ready. */
  downSince: (modem: string) => number | undefined;
  clock?: Clock;
  logger?: Logger;
}

export class PinnedFallback {
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Modem → the outage (downSince) already reported as waiting, so `wait` logs once per outage. */
  private readonly reported = new Map<string, number>();

  constructor(private readonly o: PinnedFallbackOptions) {
    this.clock = o.clock ?? realClock;
    this.log = moduleLogger(o.logger, 'pinned-fallback');
  }

  /** Applies the fallback to the queued jobs of every modem down longer than the wait; answers the jobs unpinned. */
  async check(): Promise<Job[]> {
    const now = this.clock.now();
    const { pinned } = await this.o.store.queuedByModem();
    const released: Job[] = [];
    for (const [modem, count] of Object.entries(pinned)) {
      const since = this.o.downSince(modem);
      if (since === undefined || now - since < this.o.waitMs) continue;
      if (this.o.fallback === 'wait') {
        if (this.reported.get(modem) !== since) {
          this.reported.set(modem, since);
          this.log.warn({ modem, jobs: count, downSince: new Date(since).toISOString() }, 'jobs pinned to a modem that is down wait for it (pool.pinnedFallback "wait")');
        }
        continue;
      }
      const jobs = await this.o.store.listJobs({ state: 'queued', modem });
      for (const job of jobs) released.push(await this.release(job, modem, now));
      this.log.warn({ modem, jobs: jobs.length, downSince: new Date(since).toISOString() }, 'modem down longer than pool.pinnedWaitMinutes: its pinned jobs go out through any modem');
    }
    return released;
  }

  private async release(job: Job, modem: string, now: number): Promise<Job> {
    const started = job.parts?.some((p) => p.mr !== undefined) ?? false;
    return this.o.store.updateJob(job.id, {
      modem: undefined,
      repin: { from: modem, reason: 'modem-down', at: new Date(now).toISOString() },
      // Parts already on the phone from the dead modem's number cannot be joined with the rest.
      ...(started ? { parts: undefined, concatRef: undefined, duplicates: (job.duplicates ?? 0) + 1 } : {}),
    });
  }
}
