/**
 * What is forwarded: the event payloads (the JSON body of a webhook, the facts of an e-mail) and
 * the forwards one event makes for an account — one per channel it has (webhook, e-mail).
 */
import { randomBytes } from 'node:crypto';
import type { DeliveryFinal } from '../delivery/index.js';
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

/**
 * The webhook body when a job of the account reached its final delivery state (issue 15):
 * `{type, id, account, to, state, at, parts: [{seq, mr, state, status, at}], event}`. `event` is
 * stable per job (`<job>.delivery`): the tracker emits at least once, so a receiver drops a repeat
 * by it.
 */
export function deliveryEvent(e: DeliveryFinal): ForwardEvent {
  return {
    type: e.type,
    ref: e.job.id,
    payload: {
      type: e.type,
      id: e.job.id,
      event: e.id,
      account: e.job.account ?? null,
      to: e.job.to,
      state: e.delivery.state,
      at: e.delivery.at ?? null,
      parts: e.delivery.parts.map((p) => ({ seq: p.seq, mr: p.mr, state: p.state, status: p.status ?? null, at: p.at ?? null })),
    },
  };
}

/** A globally unique id (`webhook-id`, e-mail Message-ID): a forward keeps it across retries and restarts. */
export function newMessageId(): string {
  return 'msg_' + randomBytes(16).toString('base64url');
}

/**
 * The channels an account receives on now: a webhook unless disabled after 410, an e-mail address,
 * and its SMPP sessions when it has an SMPP password (target: the login).
 */
export function channelsOf(account: Account): { channel: ForwardChannel; target: string }[] {
  const out: { channel: ForwardChannel; target: string }[] = [];
  if (account.webhook && !account.webhookDisabled) out.push({ channel: 'webhook', target: account.webhook });
  if (account.email) out.push({ channel: 'email', target: account.email });
  if (account.smppPasswordHash) out.push({ channel: 'smpp', target: account.login });
  return out;
}

/**
 * What an `smpp` forward carries: the deliver_sm to send (`src/smpp/ports.ts` DeliverMessage). An
 * inbound SMS goes over SMPP; a call has no deliver_sm, and a delivery receipt is made by the SMPP
 * layer only for jobs submitted over SMPP with registered_delivery (so not from these events).
 */
export function smppPayload(event: ForwardEvent): Record<string, unknown> | undefined {
  if (event.type !== 'sms.received') return undefined;
  const p = event.payload;
  return { kind: 'sms', from: p.from, ...(typeof p.to === 'string' ? { to: p.to } : {}), text: p.text, receivedAt: p.receivedAt };
}

/** The forwards to store for one event of one account: due at once, nothing tried yet. */
export function planForwards(account: Account, event: ForwardEvent, nowIso: string): NewForward[] {
  const smpp = smppPayload(event);
  const out: NewForward[] = [];
  for (const { channel, target } of channelsOf(account)) {
    if (channel === 'smpp' && !smpp) continue;
    out.push({
      messageId: newMessageId(),
      account: account.login,
      channel,
      target,
      type: event.type,
      ref: event.ref,
      payload: channel === 'smpp' ? smpp! : event.payload,
      status: 'pending',
      tries: 0,
      attempts: [],
      nextAttemptAt: nowIso,
    });
  }
  return out;
}
