/**
 * What is forwarded: the event payloads (the JSON body of a webhook, the facts of an e-mail) and
 * the forwards one event makes for an account — one per channel it has (webhook, e-mail).
 */
import { randomBytes } from 'node:crypto';
import type { Account, ForwardChannel, ForwardEventType, NewForward } from '../store/account-types.js';

export interface ForwardEvent {
  type: ForwardEventType;
  /** The inbox entry or job it is about. */
  ref: string;
  payload: Record<string, unknown>;
}

/** The fields of an inbox entry a `sms.received` / `call.received` event carries. */
export interface ReceivedMessage {
  id: string;
  from: string;
  /** The SIM's own number when known. */
  to?: string | null;
  text: string;
  receivedAt: string;
  parts: number;
  status: string;
}

/**
 * The webhook body for an inbound SMS or call (issue 11 contract):
 * `{type, id, account, from, to, text, receivedAt, parts, routedBy}`.
 */
export function receivedEvent(m: ReceivedMessage, account: string, routedBy: string): ForwardEvent {
  const type: ForwardEventType = m.status === 'call' ? 'call.received' : 'sms.received';
  return {
    type,
    ref: m.id,
    payload: { type, id: m.id, account, from: m.from, to: m.to ?? null, text: m.text, receivedAt: m.receivedAt, parts: m.parts, routedBy },
  };
}

/** A globally unique id (`webhook-id`, e-mail Message-ID): a forward keeps it across retries and restarts. */
export function newMessageId(): string {
  return 'msg_' + randomBytes(16).toString('base64url');
}

/** The channels an account receives on now: a webhook unless disabled after 410, an e-mail address. */
export function channelsOf(account: Account): { channel: ForwardChannel; target: string }[] {
  const out: { channel: ForwardChannel; target: string }[] = [];
  if (account.webhook && !account.webhookDisabled) out.push({ channel: 'webhook', target: account.webhook });
  if (account.email) out.push({ channel: 'email', target: account.email });
  return out;
}

/** The forwards to store for one event of one account: due at once, nothing tried yet. */
export function planForwards(account: Account, event: ForwardEvent, nowIso: string): NewForward[] {
  return channelsOf(account).map(({ channel, target }) => ({
    messageId: newMessageId(),
    account: account.login,
    channel,
    target,
    type: event.type,
    ref: event.ref,
    payload: event.payload,
    status: 'pending',
    tries: 0,
    attempts: [],
    nextAttemptAt: nowIso,
  }));
}
