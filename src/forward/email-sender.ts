/**
 * E-mail delivery with nodemailer: one plain-text UTF-8 mail per event to the account's address,
 * subject `SMS from +7…` / `Call from +7…`. The Message-ID is the forward's message id, the same
 * on every retry, so a mailbox that got a copy before a crash can tell the second one apart.
 * SMTP 4xx replies and connection errors are retried on the schedule, 5xx replies fail at once.
 */
import { createTransport } from 'nodemailer';
import { DeliveryAbortedError, type ChannelSender, type DeliveryOutcome, type DeliveryRequest } from './sender.js';

export interface SmtpConfig {
  host: string;
  port: number;
  /** true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when offered. */
  secure: boolean;
  user?: string;
  pass?: string;
  /** The From address, e.g. `"SMS server" <sms@example.com>`. */
  from: string;
}

export interface EmailSenderOptions {
  /** Connection, greeting and idle-socket limit per attempt. Default 30 s. */
  timeoutMs?: number;
}

/** Subject line: who wrote (or what happened), never the message text. */
export function mailSubject(payload: Record<string, unknown>): string {
  const from = String(payload.from ?? 'unknown');
  switch (payload.type) {
    case 'call.received':
      return `Call from ${from}`;
    case 'sms.delivered':
      return `SMS to ${String(payload.to ?? 'unknown')} delivered`;
    case 'sms.failed':
      return `SMS to ${String(payload.to ?? 'unknown')} not delivered`;
    default:
      return `SMS from ${from}`;
  }
}

/** Body: the text first, then the facts a person (or a mail filter) needs. */
export function mailBody(payload: Record<string, unknown>): string {
  const line = (label: string, v: unknown) => (v === undefined || v === null || v === '' ? [] : [`${label}: ${String(v)}`]);
  const text = typeof payload.text === 'string' ? payload.text : '';
  return [
    text,
    '',
    '--',
    ...line('Type', payload.type),
    ...line('From', payload.from),
    ...line('To', payload.to),
    ...line('Received', payload.receivedAt),
    ...line('Parts', payload.parts),
    ...line('Account', payload.account),
    ...line('Routed by', payload.routedBy),
    ...line('Message id', payload.id),
    '',
  ].join('\n');
}

export class EmailSender implements ChannelSender {
  private readonly transport: ReturnType<typeof createTransport>;

  constructor(
    private readonly smtp: SmtpConfig,
    opts: EmailSenderOptions = {},
  ) {
    const timeout = opts.timeoutMs ?? 30_000;
    this.transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  async deliver(req: DeliveryRequest, stop: AbortSignal): Promise<DeliveryOutcome> {
    const p = req.forward.payload;
    const sending = this.transport.sendMail({
      from: this.smtp.from,
      to: req.target,
      subject: mailSubject(p),
      text: mailBody(p),
      messageId: `<${req.forward.messageId}@sms-server>`,
      headers: { 'X-SMS-Server-Event': String(p.type ?? req.forward.type) },
    });
    // nodemailer takes no AbortSignal: on stop, stop waiting (a mail sent meanwhile carries the
    // same Message-ID as its re-delivery after the restart).
    let onStop!: () => void;
    const stopped = new Promise<never>((_, reject) => {
      onStop = () => reject(new DeliveryAbortedError());
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
    });
    try {
      const info = (await Promise.race([sending, stopped])) as { response?: string };
      const reply = info.response ?? '';
      const code = Number(reply.slice(0, 3));
      return { result: 'delivered', ...(Number.isInteger(code) && code > 0 ? { status: code } : {}), reply: reply.slice(0, 200) };
    } catch (e) {
      if (e instanceof DeliveryAbortedError) {
        sending.catch(() => {});
        throw e;
      }
      const err = e as Error & { responseCode?: number; response?: string; code?: string };
      const status = err.responseCode;
      const reply = err.response?.slice(0, 200);
      const error = `${err.code ? `${err.code}: ` : ''}${err.message}`.slice(0, 300);
      if (status !== undefined && status >= 500) return { result: 'failed', status, ...(reply ? { reply } : {}), error };
      return { result: 'retry', ...(status !== undefined ? { status } : {}), ...(reply ? { reply } : {}), error };
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
