/**
 * The command route (routedBy `command`, the first inbound route): runs inbound texts through the
 * keyword-command registry and queues the answers (seed 000): every accepted request gets an
 * acknowledgement, then its result — both as 'reply' jobs, ahead of notifications and mass texts.
 * What a command matches and answers lives in its handler (registry.ts, client-commands.ts); the
 * checks, the rate limit and the crash-safe queueing below are shared by all handlers.
 *
 * Decisions:
 * - Not a command → passed on to the next route; nothing claiming it ends 'ignored', no reply
 *   (seed 000: such texts get no answer).
 * - `CLIENT info` from a number that is not a client → 'rejected', no reply at all: credentials only
 *   ever go to the number they are registered to, and a stranger learns nothing, not even that the
 *   service exists. The sender is matched by normalised phone, and the answer is addressed to the
 *   client's stored number, never to the raw sender string.
 * - `CLIENT sms stop` / `start` from a non-client → accepted (ack + confirmation). Mass texts go to
 *   recipient files, not only to clients, so a stranger's stop must be honoured; it is kept in the
 *   non-client opt-out list (optout.ts).
 * - A registered client who opted out still gets answers to `CLIENT info`: a reply is not a
 *   notification.
 * - Senders that cannot receive SMS (alphanumeric names, short codes) → 'rejected', no reply.
 * - Rate limit per sender (normalised) on commands only → 'rejected', error 'rate limited'.
 *
 * Idempotency: handling an entry twice never queues its replies twice. The entry's current state is
 * re-read from the store; only status 'new' is handled. Before queueing, the recognised command is
 * written to the entry (still 'new') as an intent; the two replies are then queued in ONE enqueue
 * call, and only then is the claim returned; the pipeline records it ('processed', the job ids,
 * `routedBy: 'command'`) in one write. A run that finds an intent
 * (a crash came after it) looks for jobs already queued with `inReplyTo` = the entry and queues only
 * the missing ones. So the double-send window is zero when `enqueue` stores its batch atomically,
 * and at most one reply otherwise.
 */
import type { Logger } from 'pino';
import { InboundPipeline } from '../inbound/pipeline.js';
import type { InboundRoute, RouteClaim } from '../inbound/route.js';
import type { InboxEntry, InboxStatus, Job, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { isValidPhone, normalizeSender, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { clientCommands } from './client-commands.js';
import { CommandRegistry, type CommandHandler } from './registry.js';
import { validateTemplates, type TemplateSet } from './templates.js';

/** What CommandService needs from a rate limiter (src/util/rate-limit.ts RateLimiter fits). */
export interface SenderLimiter {
  allow(key: string, now?: number): boolean;
}

export interface CommandServiceOptions {
  store: Store;
  /** A complete set, e.g. from resolveTemplates(config.language, config.templates). */
  templates: TemplateSet;
  rateLimiter?: SenderLimiter;
  /** National numbering rule for matching senders to clients (default Russia). */
  phoneRule?: PhoneOptions | PhoneRule;
  /** Decrypts Client.passwordEnc, e.g. `(enc) => decryptSecret(enc, key)`. */
  decryptPassword: (enc: string) => string;
  /**
   * Encrypts a reply that carries credentials before it is queued (the job is marked `sealed`),
   * e.g. `(t) => encryptSecret(t, key)`. Unset: stored as plain text (unit tests).
   */
  sealText?: (text: string) => string;
  /** Handlers registered after the built-in `CLIENT …` commands (more with `registry.register`). */
  handlers?: CommandHandler[];
  logger?: Logger;
  clock?: Clock;
}

export interface HandleResult {
  status: InboxStatus;
  /** The handler's name ('info' | 'sms stop' | 'sms start' | …) when the text was a command. */
  command?: string;
  /** The reply jobs (ack first, then the result); empty when nothing is sent. */
  replies: Job[];
}

/** `routedBy` of entries the command route claimed. */
export const COMMAND_ROUTE = 'command';

export class CommandService implements InboundRoute {
  readonly name = COMMAND_ROUTE;
  /** The keyword commands; the composition root may register more before the first SMS. */
  readonly registry: CommandRegistry;
  private readonly store: Store;
  private readonly templates: TemplateSet;
  private readonly limiter?: SenderLimiter;
  private readonly rule: PhoneOptions | PhoneRule;
  private readonly sealText?: (text: string) => string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private tail: Promise<unknown> = Promise.resolve();
  private standalone: InboundPipeline | undefined;

  constructor(opts: CommandServiceOptions) {
    validateTemplates(opts.templates); // a bad override fails at start-up, not at a customer's SMS
    this.store = opts.store;
    this.templates = { ...opts.templates };
    this.limiter = opts.rateLimiter;
    this.rule = opts.phoneRule ?? {};
    this.sealText = opts.sealText;
    this.log = moduleLogger(opts.logger, 'commands');
    this.clock = opts.clock ?? realClock;
    this.registry = new CommandRegistry([
      ...clientCommands({ store: this.store, templates: this.templates, decryptPassword: opts.decryptPassword, clock: this.clock, log: this.log }),
      ...(opts.handlers ?? []),
    ]);
  }

  /**
   * The route: claim a text that is a registered command (queueing its replies), pass anything
   * else. Calls are serialised (opt-in changes are read-modify-write); safe to run again for the
   * same entry. Store errors propagate and leave the entry unrouted for a later retry.
   */
  route(entry: InboxEntry): Promise<RouteClaim | undefined> {
    const run = this.tail.then(() => this.claim(entry));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * This route alone, recorded: a command is handled, anything else ends 'ignored'. For callers
   * without a pipeline (unit tests, tools); the server routes through its InboundPipeline.
   */
  async handleInbound(entry: InboxEntry): Promise<HandleResult> {
    this.standalone ??= new InboundPipeline({ store: this.store, routes: [this], logger: this.log });
    const e = await this.standalone.route(entry);
    return { status: e.status, ...(e.command !== undefined ? { command: e.command } : {}), replies: await this.jobsById(e.replies ?? []) };
  }

  private async claim(entry: InboxEntry): Promise<RouteClaim | undefined> {
    if (entry.status !== 'new') return undefined; // calls and decode errors are not commands
    const found = this.registry.match(entry.text);
    if (!found) return undefined;
    const { handler, match } = found;
    const command = handler.name;
    const sender = normalizeSender(entry.from, this.rule);
    const resumed = entry.command !== undefined; // an earlier run recorded its intent, then stopped

    // normalizeSender passes through what it cannot read (names, short codes, malformed numbers).
    if (!isValidPhone(sender, this.rule)) {
      return this.reject(entry, command, 'sender is not a phone number that can receive SMS replies (alphanumeric name, short code or malformed)', 'info');
    }
    if (!resumed && handler.rateLimited !== false && this.limiter && !this.limiter.allow(sender, this.clock.now())) {
      return this.reject(entry, command, 'rate limited', 'warn', sender);
    }

    const plan = await handler.plan({ entry, sender, match });
    if ('reject' in plan) return this.reject(entry, command, plan.reject, 'warn', sender);
    if ('error' in plan) {
      this.log.error({ entry: entry.id, command, err: plan.error }, 'cannot answer command');
      return { routedBy: COMMAND_ROUTE, status: 'error', patch: { command, error: plan.error } };
    }

    if (!resumed) await this.store.updateInbound(entry.id, { command });
    const texts = plan.ack === false ? [plan.result] : [this.templates.ack, plan.result];
    const resultAt = texts.length - 1;
    const slots = matchQueued(texts, resumed ? await this.repliesQueuedFor(entry) : []);
    const nowIso = new Date(this.clock.now()).toISOString();
    const missing = texts.map((text, k) => ({ text, k })).filter(({ k }) => !slots[k]);
    const queued = missing.length
      ? await this.store.enqueue(
          missing.map(({ text, k }) => {
            const seal = this.sealText && plan.seal && k === resultAt;
            return {
              to: plan.to,
              text: seal ? this.sealText!(text) : text,
              ...(seal ? { sealed: true } : {}),
              priority: 'reply' as const,
              state: 'queued' as const,
              attempts: 0,
              nextAttemptAt: nowIso,
              inReplyTo: entry.id,
              // Affinity: the answer leaves through the modem the request came in on.
              ...(entry.modem !== undefined ? { modem: entry.modem } : {}),
            };
          }),
        )
      : [];
    const replies = slots.map((j) => j ?? (queued.shift() as Job));
    // Never log the reply texts: the info result carries the password.
    this.log.info({ entry: entry.id, command, to: plan.to, jobs: replies.map((j) => j.id), resumed }, 'command accepted, replies queued');
    return { routedBy: COMMAND_ROUTE, status: 'processed', patch: { command, replies: replies.map((j) => j.id) } };
  }

  private reject(entry: InboxEntry, command: string, reason: string, level: 'info' | 'warn', sender?: string): RouteClaim {
    this.log[level]({ entry: entry.id, from: sender ?? entry.from, command, reason }, 'command rejected, no reply');
    return { routedBy: COMMAND_ROUTE, status: 'rejected', patch: { command, error: reason } };
  }

  /** Jobs already queued for this entry by an interrupted run. */
  private async repliesQueuedFor(entry: InboxEntry): Promise<Job[]> {
    if (entry.replies?.length) return this.jobsById(entry.replies);
    const jobs = await this.store.listJobs({ priority: 'reply' });
    return jobs.filter((j) => j.inReplyTo === entry.id);
  }

  private async jobsById(ids: string[]): Promise<Job[]> {
    const jobs = await Promise.all(ids.map((id) => this.store.getJob(id)));
    return jobs.filter((j): j is Job => j !== undefined);
  }
}

/**
 * Pair planned reply texts with jobs an interrupted run already queued: same text first; a result
 * whose text changed since (e.g. the password was reset in between) takes any leftover job, so at
 * most the planned number of replies ever exists.
 */
function matchQueued(texts: string[], queued: Job[]): (Job | undefined)[] {
  const left = [...queued];
  const take = (pred: (j: Job) => boolean) => {
    const k = left.findIndex(pred);
    return k < 0 ? undefined : left.splice(k, 1)[0];
  };
  const slots = texts.map((t) => take((j) => j.text === t));
  return slots.map((j) => j ?? take(() => true));
}
