/**
 * Webhook delivery: one signed POST per attempt (Standard Webhooks headers), 2xx within the timeout
 * = delivered, 410 = gone, anything else (other status, redirect, timeout, refused) = retry.
 * Redirects are never followed: a signed body must reach the URL the account configured, not
 * wherever a compromised or misconfigured receiver points. Only http: and https: are sent to.
 */
import type { Account } from '../store/account-types.js';
import { realClock, type Clock } from '../util/clock.js';
import { DeliveryAbortedError, type ChannelSender, type DeliveryOutcome, type DeliveryRequest } from './sender.js';
import { webhookHeaders } from './signature.js';

export const WEBHOOK_TIMEOUT_MS = 15_000;
/** How much of a non-2xx answer is kept in the attempt record (for the operator). */
const REPLY_SNIPPET = 200;

export interface WebhookSenderOptions {
  /** The account's current signing secrets (`whsec_…`): the new one first, a rotated one during its grace. */
  secretsOf: (account: Account) => string[];
  /** No answer (status line) within this long = a failed attempt. Default 15 s. */
  timeoutMs?: number;
  clock?: Clock;
  userAgent?: string;
}

function errorText(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? `: ${cause.message}` : ''}`;
  return cause?.message ?? err.message ?? String(e);
}

export class WebhookSender implements ChannelSender {
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly userAgent: string;

  constructor(private readonly opts: WebhookSenderOptions) {
    this.timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    this.clock = opts.clock ?? realClock;
    this.userAgent = opts.userAgent ?? 'sms-server-webhooks/1';
  }

  async deliver(req: DeliveryRequest, stop: AbortSignal): Promise<DeliveryOutcome> {
    let url: URL;
    try {
      url = new URL(req.target);
    } catch {
      return { result: 'failed', error: `not a URL: ${JSON.stringify(req.target)}` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { result: 'failed', error: `only http and https webhooks are sent, not ${url.protocol}` };
    const body = JSON.stringify(req.forward.payload);
    const ts = Math.floor(this.clock.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      ...webhookHeaders(this.opts.secretsOf(req.account), req.forward.messageId, ts, body),
    };
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => timeout.abort(), this.timeoutMs);
    const signal = AbortSignal.any([stop, timeout.signal]);
    try {
      const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
      const status = res.status;
      if (status >= 200 && status < 300) {
        await res.body?.cancel().catch(() => {});
        return { result: 'delivered', status };
      }
      const reply = await this.snippet(res);
      if (status === 410) return { result: 'gone', status: 410, reply, error: 'receiver answered 410 Gone' };
      if (status >= 300 && status < 400) {
        return { result: 'retry', status, reply, error: `redirect to ${res.headers.get('location') ?? '(no location)'} not followed` };
      }
      return { result: 'retry', status, reply, error: `HTTP ${status}` };
    } catch (e) {
      if (stop.aborted) throw new DeliveryAbortedError();
      if (timeout.signal.aborted) return { result: 'retry', error: `no answer within ${this.timeoutMs / 1000} s` };
      return { result: 'retry', error: errorText(e) };
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** The start of the answer body (never more than a few KiB read: a receiver may answer with anything). */
  private async snippet(res: Response): Promise<string | undefined> {
    const reader = res.body?.getReader();
    if (!reader) return undefined;
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      while (size < 4 * REPLY_SNIPPET) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
      }
    } catch {
      /* the answer broke off or the attempt timed out: keep what came */
    } finally {
      await reader.cancel().catch(() => {});
    }
    const text = Buffer.concat(chunks).toString('utf8').trim();
    return text ? text.slice(0, REPLY_SNIPPET) : undefined;
  }
}
