/**
 * Typed chat errors. Each carries a stable `code` (the JSON `error` field) and the HTTP status the
 * web layer answers with; messages name the bad input and say what would be accepted.
 */

export type ChatErrorCode =
  | 'empty-name'
  | 'name-too-long'
  | 'empty-text'
  | 'text-too-long'
  | 'bad-number'
  | 'prefix-not-allowed'
  | 'mobile-busy'
  | 'too-many-conversations'
  | 'no-session'
  | 'session-ended'
  | 'limit-ip'
  | 'limit-destination'
  | 'limit-prefix'
  | 'limit-sessions';

const STATUS: Record<ChatErrorCode, number> = {
  'empty-name': 400,
  'name-too-long': 400,
  'empty-text': 400,
  'text-too-long': 400,
  'bad-number': 400,
  'prefix-not-allowed': 400,
  'mobile-busy': 409,
  'too-many-conversations': 429,
  'no-session': 401,
  'session-ended': 410,
  'limit-ip': 429,
  'limit-destination': 429,
  'limit-prefix': 429,
  'limit-sessions': 429,
};

export class ChatError extends Error {
  readonly status: number;
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    /** Seconds after which a limited request may succeed (HTTP Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ChatError';
    this.status = STATUS[code];
  }
}

/** `chat.template` is unusable: a start-up error (the process stops with a non-zero exit). */
export class ChatTemplateError extends Error {
  readonly code = 'CHAT_TEMPLATE';
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateError';
  }
}
