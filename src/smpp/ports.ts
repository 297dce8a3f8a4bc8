/**
 * The narrow ports the SMPP layer needs from the rest of the application. The layer never touches
 * the store, the queue or the accounts module directly: the composition root hands it these.
 */

/** The account an SMPP session is bound as (system_id = login). */
export interface SmppAccount {
  login: string;
}

export type AuthResult = SmppAccount | 'unknown' | 'bad-password';

export interface SmppAccounts {
  /** Check a bind's system_id and password. `unknown`: no such login or no SMPP password set. */
  authenticate(systemId: string, password: string): Promise<AuthResult>;
}

/** One complete message from submit_sm (parts already reassembled). */
export interface SmppSubmission {
  /** destination_addr as given, with `+` added for an international TON (1). */
  to: string;
  text: string;
  /** registered_delivery bits 0..1: 0 none, 1 on success or failure, 2 on failure only. */
  registeredDelivery: 0 | 1 | 2;
  /** source_addr as given by the client (kept for the receipt's destination). */
  from: string;
  /** data_coding the client used (0, 3 or 8). */
  dataCoding: number;
  /** Parts the client sent it in (1 when not concatenated, or sent as one message_payload). */
  parts: number;
}

export interface SmppSubmitter {
  /**
   * Store the message as an outbound job attributed to `account` and return the job id (the
   * submit_sm_resp message_id). Resolve only once the job is durably stored.
   * @throws SubmitThrottledError over the account's rate (→ ESME_RTHROTTLED)
   * @throws InvalidDestinationError for a destination that is not a phone number (→ ESME_RINVDSTADR)
   */
  submit(account: SmppAccount, message: SmppSubmission): Promise<string>;
}

/** An inbound SMS routed to an account, to be sent as deliver_sm. */
export interface InboundForSmpp {
  kind: 'sms';
  /** The subscriber, E.164 with `+` when international. */
  from: string;
  /** The SIM's number when known. */
  to?: string;
  text: string;
  receivedAt: string;
}

/** The final (or intermediate) state of a job the account asked a receipt for. */
export type ReceiptState = 'delivered' | 'undeliverable' | 'expired' | 'rejected' | 'enroute' | 'accepted' | 'unknown' | 'deleted';

export interface ReceiptForSmpp {
  kind: 'receipt';
  /** The job id (= the message_id the client got in submit_sm_resp). */
  jobId: string;
  /** The recipient of the original message (the receipt's source_addr). */
  recipient: string;
  /** The client's source_addr of the original message (the receipt's destination_addr). */
  originator?: string;
  state: ReceiptState;
  submittedAt: string;
  doneAt: string;
  /** Parts submitted and parts delivered (the receipt's `sub:` and `dlvrd:`). */
  parts: number;
  delivered: number;
  /** Network or TP-Status error code, 0 when none (the receipt's `err:`). */
  error: number;
  /** The first characters of the original text (the receipt's `text:`). */
  text: string;
}

export type DeliverMessage = InboundForSmpp | ReceiptForSmpp;

export interface DeliverItem {
  id: string;
  account: string;
  message: DeliverMessage;
  createdAt: string;
  /** Times it was handed to a session so far (before this claim). */
  attempts: number;
  lastError?: string;
}

/**
 * Durable per-account queue of pending deliver_sm: nothing in it is lost, a claimed item comes back
 * when its lease runs out (a crash or a missing deliver_sm_resp), and it leaves only on `ack`.
 */
export interface DeliverQueue {
  enqueue(account: string, message: DeliverMessage): Promise<DeliverItem>;
  /**
   * Up to `limit` items of `account` that are due at `now` (never acked, not leased), oldest first;
   * each is leased until `now + leaseMs` and its attempts counted, in one write.
   */
  claim(account: string, o: { now: number; limit: number; leaseMs: number }): Promise<DeliverItem[]>;
  /** The client answered deliver_sm_resp OK: the item is done. */
  ack(id: string): Promise<void>;
  /** Hand the item back for another try at `retryAt` (epoch ms), noting why. */
  release(id: string, o: { retryAt: number; error?: string }): Promise<void>;
  /** When `account`'s next leased or delayed item falls due (epoch ms), or undefined when none waits. */
  nextDueAt(account: string): Promise<number | undefined>;
}

/** Over the account's rate: the client should slow down (ESME_RTHROTTLED). */
export class SubmitThrottledError extends Error {
  readonly code = 'SMPP_THROTTLED';
  constructor(message: string) {
    super(message);
    this.name = 'SubmitThrottledError';
  }
}

/** The destination is not a phone number we can send to (ESME_RINVDSTADR). */
export class InvalidDestinationError extends Error {
  readonly code = 'SMPP_INVALID_DESTINATION';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDestinationError';
  }
}

/** The text is empty or too long for one job (ESME_RINVMSGLEN). */
export class InvalidMessageError extends Error {
  readonly code = 'SMPP_INVALID_MESSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMessageError';
  }
}
