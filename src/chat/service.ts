/**
 * The web-to-SMS chat (seed 004): sessions, conversations, the SMS out, the reply in, and the
 * event stream a page follows.
 *
 * Rules (issue 12):
 * - A session ends `sessionMinutes` after its last message either way (or its creation). A
 *   message sent or received extends it. At the end an `ended` event goes out and the session's
 *   mobiles are free again; a reply arriving later is not claimed (the normal inbound routes keep
 *   it in the inbox).
 * - One mobile is in at most one live session: with one SIM, a reply could not be told apart
 *   between two visitors (409 `mobile-busy`; Twilio Proxy's one-participant-one-session rule).
 * - The SMS is `chat.template` filled with the name and the text, queued through the outbox
 *   (priority above mass texts). Its job's outcome becomes the message's delivery state.
 *
 * The service is the only writer of its sessions: every change is applied to the in-memory copy
 * first and then written as a whole-session snapshot, writes of one session in order. Decisions
 * that must not race (is this mobile free?) are taken synchronously before the first await.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { InvalidPhoneError, isValidPhone, normalizePhone, normalizeSender, resolvePhoneRule, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { ChatError } from './errors.js';
import { ChatLimits, DEFAULT_CHAT_LIMITS, type ChatLimitsConfig } from './limits.js';
import { DEFAULT_CHAT_TEMPLATE, renderChatSms, validateChatTemplate } from './template.js';
import type {
  ChatConversation,
  ChatDeliveryState,
  ChatEvent,
  ChatEventType,
  ChatMessage,
  ChatOutbox,
  ChatSession,
  ChatSessionRepo,
} from './types.js';

export interface ChatServiceOptions {
  repo: ChatSessionRepo;
  outbox: ChatOutbox;
  /** Longest message a visitor may type, in UTF-16 units like a textarea's maxlength (default 150). */
  maxLength?: number;
  /** Minutes without a message either way before a session ends (default 5; fractions allowed). */
  sessionMinutes?: number;
  /** Default `{name} (web): {text}`. */
  template?: string;
  /** E.164 prefixes a destination must start with (e.g. `+7900`); empty → the home country code. */
  allowedPrefixes?: string[];
  /** National numbering rule for numbers typed without a country code (and for reply senders). */
  phoneRule?: PhoneOptions | PhoneRule;
  limits?: ChatLimitsConfig;
  /** Longest visitor name (default 40). */
  maxNameLength?: number;
  /** To refresh the delivery state of messages still queued when the server stopped. */
  jobs?: { getJob(id: string): Promise<{ state: string } | undefined> };
  /** Ended sessions are deleted after this many days (default 7). */
  retainDays?: number;
  /** Several modems: a conversation keeps to one SIM (`ChatConversation.modem`). */
  pinToModem?: boolean;
  clock?: Clock;
  logger?: Logger;
}

/** A message as the API and the page see it. */
export interface ChatMessageView {
  messageId: string;
  direction: ChatMessage['direction'];
  from: string;
  to: string;
  text: string;
  at: string;
  state: ChatDeliveryState;
}

export interface ChatConversationView {
  conversationId: string;
  to: string;
  name: string;
  startedAt: string;
  messages: ChatMessageView[];
}

/** Checked input of one message (`validate`), ready for `send`. */
export interface ChatDraft {
  name: string;
  mobile: string;
  text: string;
}

export type ChatListener = (event: ChatEvent) => void;

const MAX_EVENTS_KEPT = 500;
// Control characters other than line feed: they have no place in an SMS or a name.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const newId = (prefix: string, bytes: number) => `${prefix}-${randomBytes(bytes).toString('hex')}`;

export class ChatService {
  readonly maxLength: number;
  readonly sessionMs: number;
  readonly maxNameLength: number;
  readonly allowedPrefixes: readonly string[];
  private readonly template: string;
  private readonly rule: PhoneOptions | PhoneRule;
  private readonly repo: ChatSessionRepo;
  private readonly outbox: ChatOutbox;
  private readonly limits: ChatLimits;
  private readonly jobs?: ChatServiceOptions['jobs'];
  private readonly retainMs: number;
  private readonly pinToModem: boolean;
  private readonly clock: Clock;
  private readonly log: Logger;

  /** Live sessions by id (the authoritative copy; the store has their last snapshot). */
  private readonly live = new Map<string, ChatSession>();
  private readonly timers = new Map<string, Timer>();
  /** mobile (E.164) → the live session and conversation it belongs to. */
  private readonly byMobile = new Map<string, { sessionId: string; conversationId: string }>();
  /** job id → the outgoing message it carries (live sessions only). */
  private readonly byJob = new Map<string, { sessionId: string; conversationId: string; messageId: string }>();
  private readonly listeners = new Map<string, Set<ChatListener>>();
  /** Per live session: the highest event id written and published (subscribers replay up to it). */
  private readonly published = new Map<string, number>();
  private readonly writes = new Map<string, Promise<void>>();

  constructor(o: ChatServiceOptions) {
    this.repo = o.repo;
    this.outbox = o.outbox;
    this.pinToModem = o.pinToModem ?? false;
    this.maxLength = o.maxLength ?? 150;
    this.sessionMs = Math.round((o.sessionMinutes ?? 5) * 60_000);
    if (!(this.sessionMs >= 1000)) throw new RangeError(`chat.sessionMinutes must be at least 1 second, got ${o.sessionMinutes} minutes`);
    this.maxNameLength = o.maxNameLength ?? 40;
    this.template = o.template ?? DEFAULT_CHAT_TEMPLATE;
    validateChatTemplate(this.template);
    this.rule = o.phoneRule ?? {};
    this.allowedPrefixes = o.allowedPrefixes?.length ? [...o.allowedPrefixes] : ['+' + resolvePhoneRule(this.rule).countryCode];
    this.clock = o.clock ?? realClock;
    this.limits = new ChatLimits(o.limits ?? DEFAULT_CHAT_LIMITS, { clock: this.clock });
    this.jobs = o.jobs;
    this.retainMs = (o.retainDays ?? 7) * 86_400_000;
    this.log = moduleLogger(o.logger, 'chat');
  }

  /**
   * Loads the live sessions (a restart keeps live conversations): ends those whose time ran out
   * while the server was down, re-arms the others, refreshes delivery states of queued messages,
   * seeds today's per-destination counts and deletes ended sessions past retention.
   */
  async start(): Promise<void> {
    const now = this.clock.now();
    const since = new Date(Math.min(this.limits.startOfDay(), now - this.retainMs)).toISOString();
    for (const s of await this.repo.listChatSessions({ since })) {
      for (const c of s.conversations) {
        for (const m of c.messages) if (m.direction === 'out' && Date.parse(m.at) >= this.limits.startOfDay()) this.limits.seedDestination(c.mobile, Date.parse(m.at));
      }
    }
    for (const s of await this.repo.listChatSessions({ live: true })) {
      this.adopt(s);
      if (Date.parse(s.expiresAt) <= now) this.end(s.id, 'expired while the server was down');
      else await this.refreshJobStates(s);
    }
    const cutoff = now - this.retainMs;
    for (const s of await this.repo.listChatSessions()) {
      if (s.endedAt && Date.parse(s.endedAt) < cutoff) await this.repo.deleteChatSession(s.id);
    }
    this.log.info({ live: this.live.size }, 'chat sessions loaded');
  }

  /** Stops the timers and waits for pending writes. Live sessions stay live in the store. */
  async stop(): Promise<void> {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.writes.values()]);
  }

  /** Opens a session for a client IP. The token (`<id>.<secret>`) goes into the cookie only. */
  async createSession(ip: string): Promise<{ session: ChatSession; token: string }> {
    this.limits.takeSession(ip);
    const secret = randomBytes(24).toString('base64url');
    const nowIso = this.nowIso();
    const session: ChatSession = {
      id: newId('cs', 12),
      tokenHash: sha256(secret),
      createdAt: nowIso,
      lastActivityAt: nowIso,
      expiresAt: new Date(this.clock.now() + this.sessionMs).toISOString(),
      conversations: [],
      events: [],
      nextEventId: 1,
    };
    this.adopt(session);
    await this.write(session);
    this.log.info({ session: session.id }, 'chat session opened');
    return { session, token: `${session.id}.${secret}` };
  }

  /**
   * The live session a token names. Throws `no-session` (unknown, malformed, wrong secret) or
   * `session-ended`.
   */
  async authenticate(token: string | undefined): Promise<ChatSession> {
    const m = token ? /^(cs-[0-9a-f]{24})\.([A-Za-z0-9_-]{32})$/.exec(token) : null;
    if (!m) throw new ChatError('no-session', 'no chat session: start one with POST /chat/api/session');
    const [, id, secret] = m;
    const s = this.live.get(id!) ?? (await this.repo.getChatSession(id!));
    const given = Buffer.from(sha256(secret!), 'hex');
    if (!s || !timingSafeEqual(given, Buffer.from(s.tokenHash, 'hex'))) {
      throw new ChatError('no-session', 'unknown chat session: start a new one with POST /chat/api/session');
    }
    if (s.endedAt || !this.live.has(s.id)) throw new ChatError('session-ended', `this chat session ended at ${s.endedAt ?? s.expiresAt}; start a new one`);
    if (Date.parse(s.expiresAt) <= this.clock.now()) {
      this.end(s.id, 'expired');
      throw new ChatError('session-ended', `this chat session ended at ${s.expiresAt}; start a new one`);
    }
    return s;
  }

  /** Checks and normalises one message's input (400 errors name what is wrong). */
  validate(input: { name?: unknown; to?: unknown; text?: unknown }): ChatDraft {
    const name = typeof input.name === 'string' ? input.name.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim() : '';
    if (!name) throw new ChatError('empty-name', 'enter your name: the mobile user sees it with your message');
    if (name.length > this.maxNameLength) throw new ChatError('name-too-long', `the name is ${name.length} characters; at most ${this.maxNameLength}`);
    const text = typeof input.text === 'string' ? input.text.replace(CONTROL, ' ').trim() : '';
    if (!text) throw new ChatError('empty-text', 'the message is empty');
    if (text.length > this.maxLength) throw new ChatError('text-too-long', `the message is ${text.length} characters; at most ${this.maxLength}`);
    const raw = typeof input.to === 'string' ? input.to : '';
    let mobile: string;
    try {
      mobile = normalizePhone(raw, this.rule);
    } catch (e) {
      if (e instanceof InvalidPhoneError) throw new ChatError('bad-number', e.message);
      throw e;
    }
    if (!this.allowedPrefixes.some((p) => mobile.startsWith(p))) {
      throw new ChatError('prefix-not-allowed', `${mobile} cannot be texted from this page: numbers must start with ${this.allowedPrefixes.join(', ')}`);
    }
    return { name, mobile, text };
  }

  /**
   * Sends a checked message from a live session: 409 when the mobile is in another live
   * session, 429 on a limit; queues the SMS, records the message, extends the session.
   */
  async send(session: ChatSession, draft: ChatDraft, ip: string): Promise<{ conversationId: string; messageId: string }> {
    const s = this.requireLive(session.id);
    const owner = this.byMobile.get(draft.mobile);
    if (owner && owner.sessionId !== s.id) {
      const other = this.live.get(owner.sessionId);
      const left = other ? Math.max(1, Math.ceil((Date.parse(other.expiresAt) - this.clock.now()) / 1000)) : 0;
      throw new ChatError(
        'mobile-busy',
        `${draft.mobile} is in a live conversation with another visitor. With one SIM a reply from that number could not be ` +
          `told apart between two conversations, so only one visitor at a time can text it; try again in ${left} s or later.`,
        left,
      );
    }
    let conv = s.conversations.find((c) => c.mobile === draft.mobile);
    if (!conv && s.conversations.length >= this.limits.cfg.conversationsPerSession) {
      throw new ChatError('too-many-conversations', `a session can hold ${this.limits.cfg.conversationsPerSession} conversations; wait until it ends to text another number`);
    }
    this.limits.takeMessage(ip, draft.mobile);
    // Claimed before the first await: a second visitor's request cannot slip in between.
    if (!conv) {
      conv = { id: newId('cv', 10), mobile: draft.mobile, name: draft.name, startedAt: this.nowIso(), messages: [] };
      s.conversations.push(conv);
    }
    this.byMobile.set(draft.mobile, { sessionId: s.id, conversationId: conv.id });
    const msg: ChatMessage = {
      id: `${conv.id}.${conv.messages.length + 1}`,
      direction: 'out',
      from: draft.name,
      to: draft.mobile,
      text: draft.text,
      at: this.nowIso(),
      state: 'queued',
    };
    conv.messages.push(msg);
    try {
      const { jobId } = await this.outbox.send(draft.mobile, renderChatSms(this.template, draft.name, draft.text), conv.modem);
      msg.jobId = jobId;
      this.byJob.set(jobId, { sessionId: s.id, conversationId: conv.id, messageId: msg.id });
    } catch (e) {
      conv.messages.pop();
      if (conv.messages.length === 0) {
        s.conversations.splice(s.conversations.indexOf(conv), 1);
        this.byMobile.delete(draft.mobile);
      }
      throw e;
    }
    this.touch(s);
    await this.emit(s, 'message', messageEvent(conv, msg, s));
    this.log.info({ session: s.id, conversation: conv.id, job: msg.jobId, to: draft.mobile }, 'chat message queued');
    return { conversationId: conv.id, messageId: msg.id };
  }

  /**
   * Claims an inbound SMS for the live conversation with its sender, if there is one: records it,
   * pushes it to the page and extends the session. Idempotent per inbox entry.
   */
  async receive(entry: { id: string; from: string; text: string; receivedAt?: string; modem?: string }): Promise<{ sessionId: string; conversationId: string } | undefined> {
    const mobile = normalizeSender(entry.from, this.rule);
    if (!isValidPhone(mobile, this.rule)) return undefined;
    const ref = this.byMobile.get(mobile);
    const s = ref && this.live.get(ref.sessionId);
    if (!ref || !s) return undefined;
    if (Date.parse(s.expiresAt) <= this.clock.now()) {
      this.end(s.id, 'expired');
      return undefined;
    }
    const conv = s.conversations.find((c) => c.id === ref.conversationId)!;
    // The SIM the mobile answered: the conversation's next SMS leave through it.
    if (this.pinToModem && entry.modem !== undefined) conv.modem = entry.modem;
    if (!conv.messages.some((m) => m.inboxId === entry.id)) {
      const msg: ChatMessage = {
        id: `${conv.id}.${conv.messages.length + 1}`,
        direction: 'in',
        from: mobile,
        to: conv.name,
        text: entry.text,
        at: this.nowIso(),
        state: 'received',
        inboxId: entry.id,
      };
      conv.messages.push(msg);
      this.touch(s);
      await this.emit(s, 'message', messageEvent(conv, msg, s));
      this.log.info({ session: s.id, conversation: conv.id, entry: entry.id }, 'reply routed to a chat conversation');
    }
    return { sessionId: s.id, conversationId: conv.id };
  }

  /**
   * A queue job finished (or will be retried): the message's delivery state follows it (resolves
   * once written and pushed). `via`: the modem it left through — the conversation's SIM from then
   * on, if it has none yet.
   */
  jobUpdate(jobId: string, state: ChatDeliveryState, via?: string): Promise<void> {
    const ref = this.byJob.get(jobId);
    const s = ref && this.live.get(ref.sessionId);
    if (!ref || !s) return Promise.resolve();
    const conv = s.conversations.find((c) => c.id === ref.conversationId);
    const msg = conv?.messages.find((m) => m.id === ref.messageId);
    if (!conv || !msg || msg.state === state) return Promise.resolve();
    if (this.pinToModem && state === 'sent' && via !== undefined) conv.modem ??= via;
    msg.state = state;
    if (state !== 'queued') this.byJob.delete(jobId);
    return this.emit(s, 'status', { conversationId: conv.id, messageId: msg.id, state, at: this.nowIso() });
  }

  /** Every conversation of a session, oldest first. */
  conversations(session: ChatSession): ChatConversationView[] {
    return (this.live.get(session.id) ?? session).conversations.map((c) => ({
      conversationId: c.id,
      to: c.mobile,
      name: c.name,
      startedAt: c.startedAt,
      messages: c.messages.map((m) => ({ messageId: m.id, direction: m.direction, from: m.from, to: m.to, text: m.text, at: m.at, state: m.state })),
    }));
  }

  /**
   * Follows a session's events: first those after `afterId` still kept (all when undefined), then
   * live ones. Returns the unsubscribe function. An ended session replays up to its `ended` event.
   */
  subscribe(sessionId: string, afterId: number | undefined, listener: ChatListener): () => void {
    const s = this.live.get(sessionId);
    if (!s) throw new ChatError('session-ended', 'this chat session ended; start a new one');
    const published = this.published.get(sessionId) ?? 0;
    for (const ev of s.events) if ((afterId === undefined || ev.id > afterId) && ev.id <= published) listener(ev);
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  /** A number the page can show as an example: the first allowed prefix filled to a full number. */
  exampleNumber(): string {
    const prefix = this.allowedPrefixes[0]!;
    const rule = resolvePhoneRule(this.rule);
    const digits = prefix.startsWith('+' + rule.countryCode) && rule.nationalLength ? rule.countryCode.length + rule.nationalLength : 11;
    return prefix + '1234567890123'.slice(0, Math.max(0, digits - (prefix.length - 1)));
  }

  /** Number of live sessions (status, tests). */
  get liveCount(): number {
    return this.live.size;
  }

  // -- internals ------------------------------------------------------------------------------

  private requireLive(id: string): ChatSession {
    const s = this.live.get(id);
    if (!s) throw new ChatError('session-ended', 'this chat session ended; start a new one');
    return s;
  }

  /** Takes a session into the live set: indexes its mobiles and queued jobs, arms its timer. */
  private adopt(s: ChatSession): void {
    this.live.set(s.id, s);
    this.published.set(s.id, s.nextEventId - 1);
    for (const c of s.conversations) {
      // A mobile held by two sessions can only come from a hand-edited store: the newer wins.
      this.byMobile.set(c.mobile, { sessionId: s.id, conversationId: c.id });
      for (const m of c.messages) if (m.jobId && m.state === 'queued') this.byJob.set(m.jobId, { sessionId: s.id, conversationId: c.id, messageId: m.id });
    }
    this.arm(s);
  }

  private async refreshJobStates(s: ChatSession): Promise<void> {
    if (!this.jobs) return;
    for (const c of s.conversations) {
      for (const m of c.messages) {
        if (!m.jobId || m.state !== 'queued') continue;
        const job = await this.jobs.getJob(m.jobId);
        const state = job && jobStateToDelivery(job.state);
        if (state && state !== 'queued') await this.jobUpdate(m.jobId, state);
      }
    }
  }

  private touch(s: ChatSession): void {
    const now = this.clock.now();
    s.lastActivityAt = new Date(now).toISOString();
    s.expiresAt = new Date(now + this.sessionMs).toISOString();
    this.arm(s);
  }

  private arm(s: ChatSession): void {
    const old = this.timers.get(s.id);
    if (old) this.clock.clearTimeout(old);
    const ms = Math.max(0, Date.parse(s.expiresAt) - this.clock.now());
    this.timers.set(s.id, this.clock.setTimeout(() => this.end(s.id, 'expired'), ms));
  }

  /** Ends a live session: `ended` event, mobiles freed, listeners dropped, kept or deleted. */
  private end(id: string, reason: string): void {
    const s = this.live.get(id);
    if (!s) return;
    const t = this.timers.get(id);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(id);
    s.endedAt = this.nowIso();
    // Told at once, not after the write: a page must stop even if the write fails, and at a
    // restart an unwritten end is found again (the session is past its expiry).
    this.publish(id, this.record(s, 'ended', { sessionId: s.id, at: s.endedAt }));
    this.live.delete(id);
    this.listeners.delete(id);
    this.published.delete(id);
    for (const c of s.conversations) {
      if (this.byMobile.get(c.mobile)?.sessionId === id) this.byMobile.delete(c.mobile);
      for (const m of c.messages) if (m.jobId) this.byJob.delete(m.jobId);
    }
    this.log.info({ session: id, conversations: s.conversations.length, reason }, 'chat session ended');
    // A session that never sent anything has nothing worth keeping.
    if (s.conversations.length === 0) this.chain(id, () => this.repo.deleteChatSession(id));
    else void this.write(s);
  }

  /**
   * Records an event with the session and publishes it once the snapshot holding it is written:
   * an event id a page has seen (and sends back as Last-Event-ID) is never reused after a crash.
   */
  private emit(s: ChatSession, type: ChatEventType, data: Record<string, unknown>): Promise<void> {
    const ev = this.record(s, type, data);
    return this.write(s).then(() => this.publish(s.id, ev));
  }

  private record(s: ChatSession, type: ChatEventType, data: Record<string, unknown>): ChatEvent {
    const ev: ChatEvent = { id: s.nextEventId++, type, data };
    s.events.push(ev);
    if (s.events.length > MAX_EVENTS_KEPT) s.events.splice(0, s.events.length - MAX_EVENTS_KEPT);
    return ev;
  }

  private publish(sessionId: string, ev: ChatEvent): void {
    if (ev.id > (this.published.get(sessionId) ?? 0)) this.published.set(sessionId, ev.id);
    for (const l of [...(this.listeners.get(sessionId) ?? [])]) {
      try {
        l(ev);
      } catch (e) {
        this.log.warn({ session: sessionId, err: (e as Error).message }, 'chat listener failed');
      }
    }
  }

  /** Writes the session's current state after the writes already queued for it. */
  private write(s: ChatSession): Promise<void> {
    return this.chain(s.id, () => this.repo.putChatSession(structuredClone(s)));
  }

  private chain(id: string, op: () => Promise<void>): Promise<void> {
    const p = (this.writes.get(id) ?? Promise.resolve()).then(op).catch((e) => {
      this.log.error({ session: id, err: (e as Error).message }, 'chat session not written');
    });
    this.writes.set(id, p);
    void p.then(() => {
      if (this.writes.get(id) === p) this.writes.delete(id);
    });
    return p;
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** The job states of the queue as delivery states of a chat message (undefined: not final yet). */
export function jobStateToDelivery(state: string): ChatDeliveryState | undefined {
  switch (state) {
    case 'queued':
    case 'sending':
      return 'queued';
    case 'sent':
    case 'failed':
    case 'unknown':
      return state;
    default:
      return undefined;
  }
}

function messageEvent(conv: ChatConversation, m: ChatMessage, s: ChatSession): Record<string, unknown> {
  return {
    conversationId: conv.id,
    messageId: m.id,
    direction: m.direction,
    from: m.from,
    to: m.to,
    text: m.text,
    at: m.at,
    state: m.state,
    expiresAt: s.expiresAt,
  };
}

