/**
 * Stored documents of the web-to-SMS chat (issue 12, seed 004 "SMS interactivo") and single-use
 * keys (captcha challenges). The chat service (src/chat) is their only writer; the model is here
 * because the Store contract names it. A session holds one conversation per mobile number; every
 * message either way is kept with its delivery state, and every change is also an event of the
 * session's Server-Sent-Events stream, kept with the session so a reconnecting page resumes with
 * `Last-Event-ID`, even across a server restart.
 */

export type ChatDirection = 'in' | 'out';

/**
 * Delivery state of a message: outgoing ones follow their queue job (`queued` → `sent` |
 * `failed` | `unknown`); an incoming one is `received`.
 */
export type ChatDeliveryState = 'queued' | 'sent' | 'failed' | 'unknown' | 'received';

export interface ChatMessage {
  /** `<conversationId>.<n>`, n from 1 in order. */
  id: string;
  direction: ChatDirection;
  /** Outgoing: the visitor's name; incoming: the mobile (E.164). */
  from: string;
  /** Outgoing: the mobile (E.164); incoming: the visitor's name. */
  to: string;
  /** What the visitor typed, or what the mobile answered (never the templated SMS). */
  text: string;
  /** ISO 8601. */
  at: string;
  state: ChatDeliveryState;
  /** Outgoing: the queue job carrying the SMS. */
  jobId?: string;
  /** Incoming: the inbox entry the reply is stored as. */
  inboxId?: string;
}

export interface ChatConversation {
  /** `cv-<hex>`: unguessable, it appears in URLs and events. */
  id: string;
  /** The mobile number (E.164). */
  mobile: string;
  /** The visitor's name as given with the first message. */
  name: string;
  startedAt: string;
  messages: ChatMessage[];
  /**
   * With several modems: the modem of the conversation's SIM — the one its first SMS left through,
   * or the mobile's latest reply came in on. Its next SMS are pinned to it, so the mobile sees one
   * number and its replies reach this conversation's SIM.
   */
  modem?: string;
}

export type ChatEventType = 'message' | 'status' | 'ended';

/** One event of a session's stream; `id` grows by one per event within the session. */
export interface ChatEvent {
  id: number;
  type: ChatEventType;
  data: Record<string, unknown>;
}

export interface ChatSession {
  /** `cs-<hex>`: the public id (responses, logs). */
  id: string;
  /** SHA-256 (hex) of the cookie secret: the secret itself is never stored. */
  tokenHash: string;
  createdAt: string;
  /** Last message either way (or the creation). */
  lastActivityAt: string;
  /** lastActivityAt + chat.sessionMinutes; the session ends then unless a message extends it. */
  expiresAt: string;
  /** Set when the session ended (timer or found past expiresAt at start-up). */
  endedAt?: string;
  conversations: ChatConversation[];
  /** The most recent events (bounded), for `Last-Event-ID` resume. */
  events: ChatEvent[];
  /** Id of the next event. */
  nextEventId: number;
}

export interface ChatSessionFilter {
  /** Only sessions without `endedAt`. */
  live?: boolean;
  /** Only sessions created at or after this ISO time. */
  since?: string;
}

/** Web chat sessions: whole-session snapshots, one writer (the chat service). */
export interface ChatSessionStore {
  /** Durably stores the session (replacing the previous snapshot). */
  putChatSession(session: ChatSession): Promise<void>;
  getChatSession(id: string): Promise<ChatSession | undefined>;
  /** Oldest first (by createdAt). */
  listChatSessions(filter?: ChatSessionFilter): Promise<ChatSession[]>;
  deleteChatSession(id: string): Promise<void>;
}

/** Single-use keys with an expiry (an accepted captcha challenge must never be accepted again). */
export interface OnceStore {
  /**
   * Records `key` until `expiresAt` (ISO) and answers true, durably; answers false when the key is
   * already recorded and not expired. Expired keys are forgotten.
   */
  useOnce(key: string, expiresAt: string): Promise<boolean>;
}
