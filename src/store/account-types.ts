/**
 * Accounts (the company's own systems that send through this server and get their inbound back)
 * and forwards (durable deliveries of one event to one account's webhook or e-mail address).
 * Part of the Store contract (types.ts re-exports this file).
 */

export interface Account {
  /** `[a-z0-9._-]{2,32}`, stored lower-case (logins are case-insensitive). */
  login: string;
  name?: string;
  /** http(s) URL that receives signed webhooks. */
  webhook?: string;
  /** Set when the receiver answered 410 Gone: no more webhooks until `accounts set --webhook` again. */
  webhookDisabled?: { at: string; reason: string };
  /** Address that receives one e-mail per inbound message. */
  email?: string;
  /** E.164 number of the SIM dedicated to this account (route `number`). */
  number?: string;
  /**
   * scrypt hash of the SMPP password (`src/util/password-hash.ts`); unset: the account cannot bind
   * over SMPP and gets no `smpp` forwards. Set with `accounts set --smpp-password`.
   */
  smppPasswordHash?: string;
  /** SHA-256 (hex) of the API token: the token itself is shown once and never stored. */
  tokenHash: string;
  /** The `whsec_…` signing secret, AES-256-GCM encrypted (it must be readable to sign). */
  webhookSecretEnc: string;
  /** After `accounts rotate`: the previous secret, still signed with until `previousSecretUntil`. */
  previousSecretEnc?: string;
  previousSecretUntil?: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * `webhook` and `email` are pushed by the ForwardDispatcher; `smpp` is pulled by the account's bound
 * SMPP sessions (`claimForwards`), its payload being the deliver_sm to send (src/smpp/ports.ts).
 */
export type ForwardChannel = 'webhook' | 'email' | 'smpp';
export type ForwardStatus = 'pending' | 'delivered' | 'failed';
export const FORWARD_STATUSES: readonly ForwardStatus[] = ['pending', 'delivered', 'failed'];
export type ForwardEventType = 'sms.received' | 'call.received' | 'sms.delivered' | 'sms.failed';

/** One try: when, how long, and what the receiver said (HTTP status or SMTP reply) or the error. */
export interface ForwardAttempt {
  at: string;
  ms: number;
  /** HTTP status (webhook) or SMTP reply code (e-mail). */
  status?: number;
  /** SMTP reply text, or the start of a non-2xx HTTP body. */
  reply?: string;
  error?: string;
}

export interface Forward {
  /** Store id, `fwd-<seq>` (what `forwards retry --id` takes). */
  id: string;
  /**
   * Globally unique message id: the `webhook-id` header and the e-mail Message-ID. Fixed at creation,
   * so every retry (and a re-delivery after a crash) carries the same one and receivers can de-duplicate.
   */
  messageId: string;
  account: string;
  channel: ForwardChannel;
  /** URL or e-mail address, as configured when the forward was made. */
  target: string;
  type: ForwardEventType;
  /** The inbox entry (`in-…`) or job (`job-…`) it is about. */
  ref: string;
  /** The JSON body, fixed at creation: every attempt sends the same bytes. */
  payload: Record<string, unknown>;
  status: ForwardStatus;
  /** Attempts since the forward was (re-)armed: picks the next delay of the schedule. */
  tries: number;
  /** Every attempt, oldest first. */
  attempts: ForwardAttempt[];
  /** When the next attempt is due (pending only). */
  nextAttemptAt?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
  /** Why it failed (status failed). */
  reason?: string;
}

export type NewForward = Omit<Forward, 'id' | 'createdAt' | 'updatedAt'>;

export interface ForwardFilter {
  account?: string;
  status?: ForwardStatus;
  /** Only forwards about this inbox entry or job. */
  ref?: string;
  limit?: number;
}

export interface AccountStore {
  getAccount(login: string): Promise<Account | undefined>;
  /** The account whose API token hashes to `tokenHash` (SHA-256 hex). */
  findAccountByTokenHash(tokenHash: string): Promise<Account | undefined>;
  /** Sorted by login. */
  listAccounts(): Promise<Account[]>;
  /** Insert or replace (by login). */
  putAccount(account: Account): Promise<void>;
  removeAccount(login: string): Promise<boolean>;
}

export interface ForwardStore {
  /** Assigns ids, stores durably (one write); returns them in order. */
  addForwards(forwards: NewForward[]): Promise<Forward[]>;
  getForward(id: string): Promise<Forward | undefined>;
  updateForward(id: string, patch: Partial<Omit<Forward, 'id'>>): Promise<Forward>;
  /** Newest first. */
  listForwards(filter?: ForwardFilter): Promise<Forward[]>;
  /** Every pending forward, oldest first (the dispatcher's work list at start-up). */
  pendingForwards(): Promise<Forward[]>;
  /**
   * The pull side of a channel whose deliveries a session takes (SMPP): up to `limit` pending
   * forwards of `account` on `channel` whose `nextAttemptAt <= now`, oldest due first (then by id),
   * each leased in the same durable write — `nextAttemptAt = now + leaseMs`, `tries + 1` — so no
   * other claim sees it until the lease runs out (a crash, a missing response). Done with
   * `updateForward` (status `delivered`, or a new `nextAttemptAt` to retry). `nextDueAt`: the
   * earliest `nextAttemptAt` of that account's pending forwards on that channel after the claim
   * (undefined when none is pending); `limit: 0` only asks that.
   */
  claimForwards(q: ForwardClaimQuery): Promise<{ forwards: Forward[]; nextDueAt?: string }>;
}

export interface ForwardClaimQuery {
  account: string;
  channel: ForwardChannel;
  now: Date;
  limit: number;
  leaseMs: number;
}
