/** The contract between the dispatcher and one delivery channel (webhook, e-mail). */
import type { Account, Forward } from '../store/account-types.js';

export type DeliveryOutcome =
  /** The receiver took it (HTTP 2xx in time, SMTP 2xx). */
  | { result: 'delivered'; status?: number; reply?: string }
  /** Try again on the schedule (HTTP non-2xx, timeout, connection error, SMTP 4xx). */
  | { result: 'retry'; status?: number; reply?: string; error: string }
  /** Give up now (SMTP 5xx, a target that can never work). */
  | { result: 'failed'; status?: number; reply?: string; error: string }
  /** HTTP 410: the receiver asks never to be called again; its webhook is disabled. */
  | { result: 'gone'; status: 410; reply?: string; error: string };

export interface DeliveryRequest {
  forward: Forward;
  account: Account;
  /** Where to deliver now (the account's current webhook URL or address). */
  target: string;
}

export interface ChannelSender {
  /**
   * One attempt. Resolves with the outcome; rejects only when `signal` aborted it (server
   * stopping): the attempt is then not recorded and the forward stays due.
   */
  deliver(req: DeliveryRequest, signal: AbortSignal): Promise<DeliveryOutcome>;
  close?(): Promise<void>;
}

/** Thrown by a sender when the dispatcher's stop signal aborted an attempt. */
export class DeliveryAbortedError extends Error {
  readonly code = 'FORWARD_ABORTED';
  constructor() {
    super('delivery attempt aborted: the server is stopping');
  }
}
