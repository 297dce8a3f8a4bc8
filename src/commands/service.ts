/**
 * Runs inbound texts through the keyword commands and queues the answers (seed 000): every accepted
 * request gets an acknowledgement, then its result — both as 'reply' jobs, ahead of notifications
 * and mass texts.
 *
 * Decisions:
 * - Not a command → status 'ignored', no reply (seed 000: such texts get no answer).
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
 * call, and only then is the entry marked 'processed' with the job ids. A run that finds an intent
 * (a crash came after it) looks for jobs already queued with `inReplyTo` = the entry and queues only
 * the missing ones. So the double-send window is zero when `enqueue` stores its batch atomically,
 * and at most one reply otherwise.
 */
import type { Logger } from 'pino';
import type { InboxEntry, InboxStatus, Job, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { isValidPhone, normalizeSender, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { COMMAND_NAMES, parseCommand, type ParsedCommand } from './parser.js';
import { setOptIn } from '../store/optout.js';
import { renderTemplate, validateTemplates, type TemplateSet } from './templates.js';

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
  logger?: Logger;
  clock?: Clock;
}

export interface HandleResult {
  status: InboxStatus;
  /** 'info' | 'sms stop' | 'sms start' when the text was a command. */
  command?: string;
  /** The reply jobs (ack first, then the result); empty when nothing is sent. */
  replies: Job[];
}

export class CommandService {
  private readonly store: Store;
  private readonly templates: TemplateSet;
  private readonly limiter?: SenderLimiter;
  private readonly rule: PhoneOptions | PhoneRule;
  private readonly decryptPassword: (enc: string) => string;
  private readonly sealText?: (text: string) => string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(opts: CommandServiceOptions) {
    validateTemplates(opts.templates); // a bad override fails at start-up, not at a customer's SMS
    this.store = opts.store;
    this.templates = { ...opts.templates };
    this.limiter = opts.rateLimiter;
    this.rule = opts.phoneRule ?? {};
    this.decryptPassword = opts.decryptPassword;
    this.sealText = opts.sealText;
    this.log = moduleLogger(opts.logger, 'commands');
    this.clock = opts.clock ?? realClock;
  }

  /**
   * Handle one inbox entry: parse, check, queue ack + result, update the entry. Calls are
   * serialised (opt-in changes are read-modify-write); safe to call again for the same entry.
   * Store errors propagate and leave the entry 'new' for a later retry.
   */
  handleInbound(entry: InboxEntry): Promise<HandleResult> {
    const run = this.tail.then(() => this.handle(entry));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async handle(given: InboxEntry): Promise<HandleResult> {
    // The caller's copy may be stale (handled already by an earlier run): the store decides.
    const entry = (await this.store.getInbound(given.id)) ?? given;
    if (entry.status !== 'new') {
      return { status: entry.status, command: entry.command, replies: await this.jobsById(entry.replies ?? []) };
    }
    const parsed = parseCommand(entry.text);
    if (!parsed) {
      await this.store.updateInbound(entry.id, { status: 'ignored' });
      this.log.debug({ entry: entry.id }, 'not a command: ignored');
      return { status: 'ignored', replies: [] };
    }
    const command = COMMAND_NAMES[parsed.kind];
    const sender = normalizeSender(entry.from, this.rule);
    const resumed = entry.command !== undefined; // an earlier run recorded its intent, then stopped

    // normalizeSender passes through what it cannot read (names, short codes, malformed numbers).
    if (!isValidPhone(sender, this.rule)) {
      return this.reject(entry, command, 'sender is not a phone number that can receive SMS replies (alphanumeric name, short code or malformed)', 'info');
    }
    if (!resumed && this.limiter && !this.limiter.allow(sender, this.clock.now())) {
      return this.reject(entry, command, 'rate limited', 'warn', sender);
    }

    const plan = await this.plan(parsed, sender, entry);
    if ('reject' in plan) return this.reject(entry, command, plan.reject, 'warn', sender);
    if ('error' in plan) {
      await this.store.updateInbound(entry.id, { status: 'error', command, error: plan.error });
      this.log.error({ entry: entry.id, command, err: plan.error }, 'cannot answer command');
      return { status: 'error', command, replies: [] };
    }

    if (!resumed) await this.store.updateInbound(entry.id, { command });
    const texts = [this.templates.ack, plan.result];
    const slots = matchQueued(texts, resumed ? await this.repliesQueuedFor(entry) : []);
    const missing = texts.filter((_, k) => !slots[k]);
    const nowIso = new Date(this.clock.now()).toISOString();
    const queued = missing.length
      ? await this.store.enqueue(
          missing.map((text) => {
            const seal = this.sealText && text === plan.result && parsed.kind === 'info';
            return {
              to: plan.to,
              text: seal ? this.sealText!(text) : text,
              ...(seal ? { sealed: true } : {}),
              priority: 'reply' as const,
              state: 'queued' as const,
              attempts: 0,
              nextAttemptAt: nowIso,
              inReplyTo: entry.id,
            };
          }),
        )
      : [];
    const replies = slots.map((j) => j ?? (queued.shift() as Job));
    await this.store.updateInbound(entry.id, { status: 'processed', command, replies: replies.map((j) => j.id) });
    // Never log the reply texts: the info result carries the password.
    this.log.info({ entry: entry.id, command, to: plan.to, jobs: replies.map((j) => j.id), resumed }, 'command accepted, replies queued');
    return { status: 'processed', command, replies };
  }

  /** Decide the recipient and result text, applying the command's effect. */
  private async plan(
    cmd: ParsedCommand,
    sender: string,
    entry: InboxEntry,
  ): Promise<{ to: string; result: string } | { reject: string } | { error: string }> {
    if (cmd.kind === 'info') {
      const client = await this.store.getClient(sender);
      if (!client) return { reject: 'sender is not a registered client' };
      let password: string;
      try {
        password = this.decryptPassword(client.passwordEnc);
      } catch (e) {
        // SecretError messages never contain the secret; answering without a password is no answer.
        return { error: `cannot decrypt the client's password: ${(e as Error).message}` };
      }
      return { to: client.phone, result: renderTemplate(this.templates.info, { code: client.code, login: client.login, password }) };
    }
    const optIn = cmd.kind === 'sms-start';
    const { changed, client } = await this.setOptIn(sender, optIn);
    this.log.info({ entry: entry.id, phone: sender, optIn, changed, client }, 'opt-in set by SMS');
    const registered = await this.store.getClient(sender);
    return { to: registered?.phone ?? sender, result: optIn ? this.templates.smsStart : this.templates.smsStop };
  }

  private setOptIn(phone: string, optIn: boolean) {
    return setOptIn(this.store, phone, optIn, new Date(this.clock.now()));
  }

  private async reject(entry: InboxEntry, command: string, reason: string, level: 'info' | 'warn', sender?: string): Promise<HandleResult> {
    await this.store.updateInbound(entry.id, { status: 'rejected', command, error: reason });
    this.log[level]({ entry: entry.id, from: sender ?? entry.from, command, reason }, 'command rejected, no reply');
    return { status: 'rejected', command, replies: [] };
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
