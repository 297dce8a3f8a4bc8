/**
 * Moves an account's pending deliver_sm from the durable DeliverQueue into its bound receiver and
 * transceiver sessions, as many as their windows allow, round robin. An item leaves the queue only
 * on deliver_sm_resp OK; a refusal or a missing response puts it back with a growing delay; a
 * session that closes mid-delivery puts it back at once for the next session; a crash leaves it
 * leased, and the lease running out brings it back.
 */
import type { Clock, Timer } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { DeliverItem, DeliverQueue } from './ports.js';
import { DeliverRejectedError, SessionClosedError, type SmppSession } from './session.js';

export interface DeliveryPumpOptions {
  queue: DeliverQueue;
  clock: Clock;
  logger: Logger;
  /** Bound sessions of an account (the pump picks those that can receive). */
  sessionsOf(login: string): readonly SmppSession[];
  /** How long a claimed item stays invisible to other claims: longer than a delivery can take. */
  leaseMs: number;
  /** First retry delay after a refused or unanswered deliver_sm; doubles per attempt. */
  retryBaseMs: number;
  /** Longest retry delay. */
  retryMaxMs: number;
}

interface AccountState {
  running: boolean;
  again: boolean;
  timer?: Timer;
  timerAt?: number;
  rr: number;
}

export class DeliveryPump {
  private readonly accounts = new Map<string, AccountState>();
  private stopped = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly o: DeliveryPumpOptions) {}

  /** Something changed for `login` (an item queued, a session bound, a delivery finished): deliver what is due. */
  wake(login: string): void {
    if (this.stopped) return;
    const st = this.state(login);
    if (st.running) {
      st.again = true;
      return;
    }
    st.running = true;
    void this.run(login, st).finally(() => {
      st.running = false;
      if (st.again && !this.stopped) {
        st.again = false;
        this.wake(login);
      }
    });
  }

  /** Stop claiming; deliveries in flight finish or fail (and are released) on their own. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const st of this.accounts.values()) if (st.timer) this.o.clock.clearTimeout(st.timer);
    await Promise.allSettled([...this.inflight]);
  }

  private state(login: string): AccountState {
    let st = this.accounts.get(login);
    if (!st) {
      st = { running: false, again: false, rr: 0 };
      this.accounts.set(login, st);
    }
    return st;
  }

  private async run(login: string, st: AccountState): Promise<void> {
    try {
      for (;;) {
        const sessions = this.o.sessionsOf(login).filter((s) => s.deliverCapacity > 0);
        if (sessions.length === 0) break;
        const free = sessions.reduce((n, s) => n + s.deliverCapacity, 0);
        const items = await this.o.queue.claim(login, { now: this.o.clock.now(), limit: free, leaseMs: this.o.leaseMs });
        if (items.length === 0) break;
        for (const item of items) {
          const session = this.pick(login, st);
          if (!session) {
            await this.o.queue.release(item.id, { retryAt: this.o.clock.now() });
            continue;
          }
          this.track(this.deliverOne(login, session, item));
        }
      }
      await this.armTimer(login, st);
    } catch (e) {
      this.o.logger.error({ login, err: (e as Error).message }, 'delivery queue failed; retrying later');
      this.setTimer(login, st, this.o.clock.now() + this.o.retryBaseMs);
    }
  }

  private pick(login: string, st: AccountState): SmppSession | undefined {
    const list = this.o.sessionsOf(login);
    for (let i = 0; i < list.length; i++) {
      const s = list[(st.rr + i) % list.length]!;
      if (s.deliverCapacity > 0) {
        st.rr = (st.rr + i + 1) % list.length;
        return s;
      }
    }
    return undefined;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async deliverOne(login: string, session: SmppSession, item: DeliverItem): Promise<void> {
    try {
      await session.deliver(item);
      await this.o.queue.ack(item.id);
      this.o.logger.debug({ login, id: item.id, kind: item.message.kind }, 'delivered');
    } catch (e) {
      const err = e as Error;
      // A closed session is not the client's refusal: the next bound session may take it now.
      const delay = e instanceof SessionClosedError ? 0 : Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(20, item.attempts));
      const level = e instanceof DeliverRejectedError || e instanceof SessionClosedError ? 'info' : 'warn';
      this.o.logger[level]({ login, id: item.id, attempt: item.attempts + 1, retryInMs: delay, err: err.message }, 'deliver_sm not acknowledged; kept for retry');
      try {
        await this.o.queue.release(item.id, { retryAt: this.o.clock.now() + delay, error: err.message });
      } catch (re) {
        // The lease runs out on its own; the item is not lost.
        this.o.logger.error({ id: item.id, err: (re as Error).message }, 'could not release a delivery; its lease will bring it back');
      }
    } finally {
      this.wake(login);
    }
  }

  private async armTimer(login: string, st: AccountState): Promise<void> {
    const at = await this.o.queue.nextDueAt(login);
    // Due now but not claimed: every window is full, and a finishing delivery wakes us.
    if (at === undefined || at <= this.o.clock.now()) return;
    if (!this.o.sessionsOf(login).some((s) => s.canReceive && s.bound)) return; // binding wakes us
    this.setTimer(login, st, at);
  }

  private setTimer(login: string, st: AccountState, at: number): void {
    if (this.stopped) return;
    if (st.timer && st.timerAt !== undefined && st.timerAt <= at) return;
    if (st.timer) this.o.clock.clearTimeout(st.timer);
    st.timerAt = at;
    st.timer = this.o.clock.setTimeout(() => {
      st.timer = undefined;
      st.timerAt = undefined;
      this.wake(login);
    }, Math.max(0, at - this.o.clock.now()));
  }
}
