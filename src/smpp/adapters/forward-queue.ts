/**
 * The DeliverQueue port on the store's forwards: an account's pending deliver_sm are forwards on
 * channel `smpp` (payload: the DeliverMessage). An inbound SMS routed to the account gets its
 * forward in the same write as the route's claim (`Store.routeInbound`, planned by
 * `planForwards`), so nothing is lost between routing and queueing; receipts are added here.
 * Bound sessions pull them with `claimForwards` (a lease), and an item leaves only on `ack`.
 * `forwards` / `forwards --json` list them like webhook and e-mail forwards.
 */
import { newMessageId } from '../../forward/events.js';
import type { Forward, ForwardAttempt, ForwardStore } from '../../store/account-types.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { DeliverItem, DeliverMessage, DeliverQueue } from '../ports.js';

/** Attempts kept on a forward: a client that refuses for days must not grow the record without end. */
const KEEP_ATTEMPTS = 20;

export type ForwardQueueStore = Pick<ForwardStore, 'addForwards' | 'getForward' | 'updateForward' | 'claimForwards'>;

export class ForwardDeliverQueue implements DeliverQueue {
  constructor(
    private readonly store: ForwardQueueStore,
    private readonly clock: Clock = realClock,
  ) {}

  async enqueue(account: string, message: DeliverMessage): Promise<DeliverItem> {
    const now = this.iso(this.clock.now());
    const [f] = await this.store.addForwards([
      {
        messageId: newMessageId(),
        account,
        channel: 'smpp',
        target: account,
        type: message.kind === 'sms' ? 'sms.received' : message.state === 'delivered' ? 'sms.delivered' : 'sms.failed',
        ref: message.kind === 'receipt' ? message.jobId : '',
        payload: message as unknown as Record<string, unknown>,
        status: 'pending',
        tries: 0,
        attempts: [],
        nextAttemptAt: now,
      },
    ]);
    return toItem(f!, 0);
  }

  async claim(account: string, o: { now: number; limit: number; leaseMs: number }): Promise<DeliverItem[]> {
    const r = await this.store.claimForwards({ account, channel: 'smpp', now: new Date(o.now), limit: o.limit, leaseMs: o.leaseMs });
    return r.forwards.map((f) => toItem(f, f.tries - 1));
  }

  async ack(id: string): Promise<void> {
    const f = await this.store.getForward(id);
    if (!f || f.status !== 'pending') return;
    const at = this.iso(this.clock.now());
    await this.store.updateForward(id, { status: 'delivered', deliveredAt: at, nextAttemptAt: undefined, attempts: kept(f, { at, ms: 0 }) });
  }

  async release(id: string, o: { retryAt: number; error?: string }): Promise<void> {
    const f = await this.store.getForward(id);
    if (!f || f.status !== 'pending') return;
    const attempt: ForwardAttempt = { at: this.iso(this.clock.now()), ms: 0, ...(o.error ? { error: o.error } : {}) };
    await this.store.updateForward(id, { nextAttemptAt: this.iso(o.retryAt), attempts: kept(f, attempt) });
  }

  async nextDueAt(account: string): Promise<number | undefined> {
    const r = await this.store.claimForwards({ account, channel: 'smpp', now: new Date(this.clock.now()), limit: 0, leaseMs: 0 });
    return r.nextDueAt === undefined ? undefined : Date.parse(r.nextDueAt);
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }
}

function kept(f: Forward, a: ForwardAttempt): ForwardAttempt[] {
  return [...f.attempts, a].slice(-KEEP_ATTEMPTS);
}

function toItem(f: Forward, attempts: number): DeliverItem {
  const lastError = f.attempts.at(-1)?.error;
  return { id: f.id, account: f.account, message: f.payload as unknown as DeliverMessage, createdAt: f.createdAt, attempts, ...(lastError ? { lastError } : {}) };
}
