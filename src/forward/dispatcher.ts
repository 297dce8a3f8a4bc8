/**
 * Durable delivery of forwards. The store is the truth: a forward is written (pending, due at
 * once) before anything is sent, every attempt is recorded on it, and at start-up every pending
 * forward is loaded again — so a crash at any moment means at-least-once delivery with the same
 * `webhook-id`.
 *
 * Isolation: attempts run in lanes, one per (account, channel), each with at most `concurrency`
 * attempts in flight. A receiver that never answers holds only its own lane's slots (each for at
 * most the timeout); other accounts, e-mail, and the modem side (which never awaits a delivery)
 * go on. Timers come from the injectable clock, so the day-long schedule runs on fake time in tests.
 */
import type { Account, AccountStore, Forward, ForwardAttempt, ForwardStore } from '../store/account-types.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { planForwards, type ForwardEvent } from './events.js';
import { rearmForward } from './retry.js';
import { retryDelay, RETRY_SCHEDULE_MS } from './schedule.js';
import { DeliveryAbortedError, type ChannelSender, type DeliveryOutcome } from './sender.js';

export const DEFAULT_CONCURRENCY = 4;
/** How long stop() lets attempts in flight finish before aborting them. */
const STOP_GRACE_MS = 3000;
/** setTimeout's ceiling (~24.8 days): longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ForwardDispatcherOptions {
  store: AccountStore & ForwardStore;
  /** A channel without a sender fails its forwards with a reason (e.g. e-mail without `smtp`). */
  senders: { webhook?: ChannelSender; email?: ChannelSender };
  /** Attempts in flight per (account, channel). Default 4. */
  concurrency?: number;
  schedule?: readonly number[];
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
  /**
   * Forwards of a pulled channel (`smpp`: the account's bound sessions take them with
   * `claimForwards`) that were just stored or re-armed: the SMPP listener wakes their sessions.
   */
  pulled?: (forwards: readonly Forward[]) => void;
}

/** The channels this dispatcher pushes; the others are pulled by their own consumer (see `pulled`). */
type PushedForward = Forward & { channel: 'webhook' | 'email' };
function isPushed(f: Forward): f is PushedForward {
  return f.channel === 'webhook' || f.channel === 'email';
}

/** The origin only: a webhook URL may carry a token in its path or query. */
function safeTarget(f: { channel: string; target: string }): string {
  if (f.channel !== 'webhook') return f.target;
  try {
    return new URL(f.target).origin;
  } catch {
    return '(invalid URL)';
  }
}

const NO_SENDER_REASON: Record<string, string> = {
  email: 'e-mail forwarding is not configured: set "smtp" {host, port, secure, user, pass, from} in the config, then `forwards retry`',
  webhook: 'webhook forwarding is not available',
};

export class ForwardDispatcher {
  private readonly store: AccountStore & ForwardStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly schedule: readonly number[];
  private readonly random: () => number;
  /** Pending forwards not in flight, by id. */
  private readonly waiting = new Map<string, PushedForward>();
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly laneLoad = new Map<string, number>();
  private timer: Timer | undefined;
  private running = false;
  private stopping = false;

  constructor(private readonly opts: ForwardDispatcherOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? realClock;
    this.log = moduleLogger(opts.logger, 'forward');
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.schedule = opts.schedule ?? RETRY_SCHEDULE_MS;
    this.random = opts.random ?? Math.random;
  }

  /** Loads every pending forward from the store and starts delivering. */
  async start(): Promise<void> {
    const pending = (await this.store.pendingForwards()).filter(isPushed);
    for (const f of pending) this.waiting.set(f.id, f);
    this.running = true;
    if (pending.length) this.log.info({ pending: pending.length }, 'pending forwards loaded');
    this.pump();
  }

  /** Forwards just written to the store by someone else (the inbound pipeline's claim): deliver them. */
  track(forwards: readonly Forward[]): void {
    for (const f of forwards) if (isPushed(f) && f.status === 'pending' && !this.inFlight.has(f.id)) this.waiting.set(f.id, f);
    const pulled = forwards.filter((f) => !isPushed(f) && f.status === 'pending');
    if (pulled.length) this.opts.pulled?.(pulled);
    this.pump();
  }

  /**
   * Forward one event to an account on each channel it has (the hook for delivery reports:
   * `sms.delivered` / `sms.failed`). Stored first, then delivered. Returns the stored forwards.
   */
  async emit(account: Account | string, event: ForwardEvent): Promise<Forward[]> {
    const a = typeof account === 'string' ? await this.store.getAccount(account) : account;
    const planned = a ? planForwards(a, event, new Date(this.clock.now()).toISOString()) : [];
    if (planned.length === 0) return [];
    const stored = await this.store.addForwards(planned);
    this.track(stored);
    return stored;
  }

  /** Re-arms a failed forward (`forwards retry`): due at once, the schedule starts over, its attempts are kept. */
  async retry(id: string): Promise<Forward> {
    const updated = await rearmForward(this.store, id, new Date(this.clock.now()).toISOString());
    this.track([updated]);
    return updated;
  }

  /** Lets attempts in flight finish (briefly), aborts the rest; they stay pending for the next start. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.inFlight.values()];
    if (all.length === 0) return;
    let t: Timer | undefined;
    const grace = new Promise<void>((r) => (t = this.clock.setTimeout(r, graceMs)));
    await Promise.race([Promise.all(all.map((x) => x.done)), grace]);
    if (t) this.clock.clearTimeout(t);
    for (const x of this.inFlight.values()) x.controller.abort();
    await Promise.all([...this.inFlight.values()].map((x) => x.done));
  }

  /** Counts for status output and tests. */
  get stats(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.size, inFlight: this.inFlight.size };
  }

  // --- scheduling -----------------------------------------------------------------------------

  private lane(f: Forward): string {
    return `${f.account}\u0000${f.channel}`;
  }

  private dueAt(f: Forward): number {
    return Date.parse(f.nextAttemptAt ?? f.createdAt);
  }

  /** Starts every due forward whose lane has room; sleeps until the next one falls due. */
  private pump(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const due: PushedForward[] = [];
    let next = Infinity;
    for (const f of this.waiting.values()) {
      const at = this.dueAt(f);
      if (at <= now) due.push(f);
      else if (at < next) next = at;
    }
    due.sort((a, b) => this.dueAt(a) - this.dueAt(b) || seq(a.id) - seq(b.id));
    for (const f of due) {
      const lane = this.lane(f);
      const load = this.laneLoad.get(lane) ?? 0;
      if (load >= this.concurrency) continue; // picked up when a slot of this lane frees
      this.waiting.delete(f.id);
      this.laneLoad.set(lane, load + 1);
      this.launch(f, lane);
    }
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (next !== Infinity) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.min(Math.max(0, next - now), MAX_TIMER_MS));
    }
  }

  private launch(f: PushedForward, lane: string): void {
    const controller = new AbortController();
    const done = this.attempt(f, controller.signal)
      .catch((e) => {
        // A store error: keep the forward due again shortly rather than lose it (it is still pending on disk).
        this.log.error({ forward: f.id, err: (e as Error).message }, 'forward attempt could not be recorded; retrying in 30 s');
        if (!this.stopping) this.waiting.set(f.id, { ...f, nextAttemptAt: new Date(this.clock.now() + 30_000).toISOString() });
      })
      .finally(() => {
        this.inFlight.delete(f.id);
        const load = (this.laneLoad.get(lane) ?? 1) - 1;
        if (load <= 0) this.laneLoad.delete(lane);
        else this.laneLoad.set(lane, load);
        this.pump();
      });
    this.inFlight.set(f.id, { controller, done });
  }

  // --- one attempt ----------------------------------------------------------------------------

  private async attempt(f: PushedForward, signal: AbortSignal): Promise<void> {
    const account = await this.store.getAccount(f.account);
    const started = this.clock.now();
    let outcome: DeliveryOutcome;
    let target = f.target;
    if (!account) outcome = { result: 'failed', error: `account "${f.account}" no longer exists` };
    else {
      const current = f.channel === 'webhook' ? account.webhook : account.email;
      const sender = this.opts.senders[f.channel];
      if (!current) outcome = { result: 'failed', error: `account "${f.account}" has no ${f.channel === 'webhook' ? 'webhook' : 'e-mail address'} any more` };
      else if (f.channel === 'webhook' && account.webhookDisabled) {
        outcome = { result: 'failed', error: `webhook disabled since ${account.webhookDisabled.at}: ${account.webhookDisabled.reason}` };
      } else if (!sender) outcome = { result: 'failed', error: NO_SENDER_REASON[f.channel]! };
      else {
        // An operator who fixed the URL or address meanwhile wants the retries to go there.
        target = current;
        try {
          outcome = await sender.deliver({ forward: { ...f, target }, account, target }, signal);
        } catch (e) {
          if (e instanceof DeliveryAbortedError) return; // not an attempt: stays pending for the next start
          outcome = { result: 'retry', error: (e as Error).message };
        }
      }
    }
    const end = this.clock.now();
    await this.record(f, target, outcome, new Date(started).toISOString(), end - started);
  }

  private async record(f: Forward, target: string, o: DeliveryOutcome, at: string, ms: number): Promise<void> {
    const attempt: ForwardAttempt = {
      at,
      ms,
      ...(o.status !== undefined ? { status: o.status } : {}),
      ...(o.reply !== undefined ? { reply: o.reply } : {}),
      ...(o.result !== 'delivered' ? { error: o.error } : {}),
    };
    const tries = f.tries + 1;
    const base = { tries, attempts: [...f.attempts, attempt], ...(target !== f.target ? { target } : {}) };
    const nowIso = new Date(this.clock.now()).toISOString();
    const ctx = { forward: f.id, messageId: f.messageId, account: f.account, channel: f.channel, target: safeTarget({ channel: f.channel, target }), tries, ms };
    let patch: Partial<Forward>;
    switch (o.result) {
      case 'delivered':
        patch = { ...base, status: 'delivered', deliveredAt: nowIso, nextAttemptAt: undefined };
        this.log.info({ ...ctx, status: o.status }, 'forward delivered');
        break;
      case 'gone':
      case 'failed':
        patch = { ...base, status: 'failed', reason: o.error, nextAttemptAt: undefined };
        this.log.warn({ ...ctx, status: o.status, err: o.error }, 'forward failed');
        break;
      case 'retry': {
        const delay = retryDelay(tries, this.random, this.schedule);
        if (delay === undefined) {
          patch = { ...base, status: 'failed', reason: `gave up after ${tries} attempts; last: ${o.error}`, nextAttemptAt: undefined };
          this.log.warn({ ...ctx, status: o.status, err: o.error }, 'forward failed: retry schedule used up');
        } else {
          const next = new Date(this.clock.now() + delay).toISOString();
          patch = { ...base, nextAttemptAt: next };
          this.log.info({ ...ctx, status: o.status, err: o.error, next }, 'forward attempt failed; will retry');
        }
        break;
      }
    }
    // The webhook is disabled before the forward shows failed: whoever sees the 410 sees why.
    if (o.result === 'gone') await this.disableWebhook(f.account, `receiver answered 410 Gone to ${f.id}`, nowIso);
    const updated = await this.store.updateForward(f.id, patch);
    if (updated.status === 'pending' && !this.stopping && isPushed(updated)) this.waiting.set(updated.id, updated);
  }

  /**
   * 410 Gone: the receiver asks to be left alone. The account's webhook is disabled (shown by
   * `accounts list`; `accounts set --webhook URL` enables it again) and its other waiting webhook
   * forwards fail with that reason instead of knocking for three days.
   */
  private async disableWebhook(login: string, reason: string, at: string): Promise<void> {
    const a = await this.store.getAccount(login);
    if (a && a.webhook && !a.webhookDisabled) {
      await this.store.putAccount({ ...a, webhookDisabled: { at, reason }, updatedAt: at });
      this.log.warn({ account: login, reason }, 'webhook disabled');
    }
    for (const f of [...this.waiting.values()]) {
      if (f.account !== login || f.channel !== 'webhook') continue;
      this.waiting.delete(f.id);
      await this.store.updateForward(f.id, { status: 'failed', reason: `webhook disabled: ${reason}`, nextAttemptAt: undefined });
    }
  }
}

function seq(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1)) || 0;
}
