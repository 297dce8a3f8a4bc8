/**
 * One SMPP connection: bind, enquire_link both ways, unbind, submit_sm with a window, deliver_sm
 * with response matching and timeouts, generic_nack for what it cannot understand.
 *
 * The package gives framed, decoded PDUs; everything with state or time is here, on the injected
 * clock. Responses are matched by sequence_number in our own table (registered before the write),
 * so a missing deliver_sm_resp times out instead of leaking a callback as the package would.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../util/log.js';
import type { Clock, Timer } from '../util/clock.js';
import { BIND_MODES, type BindCommand, MAX_PASSWORD, MAX_SYSTEM_ID, Status, statusName } from './constants.js';
import { MALFORMED, genericNack, makePdu, type LibPdu, type LibSession } from './library.js';
import type { ConcatAssembler } from './concat.js';
import { InvalidDestinationError, InvalidMessageError, SubmitThrottledError, type DeliverItem, type SmppAccount, type SmppAccounts, type SmppSubmission, type SmppSubmitter } from './ports.js';
import { SmppCodecError, decodeText, encodeDeliverText, readSubmittedBody, type LongMessages, type SubmitFields, type SubmittedBody } from './text-codec.js';
import { receiptFields, smppAddress } from './receipt.js';

export interface SessionLimits {
  windowSize: number;
  /** Send enquire_link after this much silence from the client. */
  enquireLinkMs: number;
  /** Wait this long for any response we asked for (enquire_link_resp, deliver_sm_resp, unbind_resp). */
  responseTimeoutMs: number;
  /** Close a connection that has not bound within this time. */
  bindTimeoutMs: number;
  longMessages: LongMessages;
  /** Our system_id in bind responses. */
  systemId: string;
}

/** What a session needs from the listener that owns it. */
export interface SessionHost {
  accounts: SmppAccounts;
  submitter: SmppSubmitter;
  /** Register a bound session; false when the account has its maximum of sessions. */
  admit(session: SmppSession): boolean;
  assembler(account: SmppAccount): ConcatAssembler<SubmittedPart>;
  clock: Clock;
  logger: Logger;
  limits: SessionLimits;
}

export interface SubmittedPart {
  body: SubmittedBody;
  submission: Omit<SmppSubmission, 'text' | 'parts'>;
}

/** The peer went away (or we closed) while a request waited for its response. */
export class SessionClosedError extends Error {
  readonly code = 'SMPP_SESSION_CLOSED';
  constructor(message = 'the SMPP session closed') {
    super(message);
    this.name = 'SessionClosedError';
  }
}

/** No response within the response timeout. */
export class ResponseTimeoutError extends Error {
  readonly code = 'SMPP_RESPONSE_TIMEOUT';
  constructor(command: string, ms: number) {
    super(`no ${command}_resp within ${ms} ms`);
    this.name = 'ResponseTimeoutError';
  }
}

/** The client answered a deliver_sm with a non-zero command_status. */
export class DeliverRejectedError extends Error {
  readonly code = 'SMPP_DELIVER_REJECTED';
  constructor(readonly status: number) {
    super(`deliver_sm_resp ${statusName(status)}`);
    this.name = 'DeliverRejectedError';
  }
}

type State = 'open' | 'binding' | 'bound' | 'unbinding' | 'closed';

interface Waiter {
  command: string;
  resolve(pdu: LibPdu): void;
  reject(e: Error): void;
  timer: Timer;
}

let nextSessionId = 1;

export class SmppSession extends EventEmitter {
  readonly id = nextSessionId++;
  readonly remote: string;
  account: SmppAccount | undefined;
  canTransmit = false;
  canReceive = false;
  private state: State = 'open';
  private sequence = 0;
  private readonly waiters = new Map<number, Waiter>();
  /** Requests from the client being processed that count against the window. */
  private inflight = 0;
  /** Our deliver_sm awaiting deliver_sm_resp. */
  private delivering = 0;
  private idleTimer: Timer | undefined;
  private bindTimer: Timer | undefined;
  private readonly log: Logger;
  private concatRef = Math.floor(Math.random() * 256);

  constructor(
    private readonly lib: LibSession,
    private readonly host: SessionHost,
  ) {
    super();
    this.remote = `${lib.socket.remoteAddress ?? '?'}:${lib.socket.remotePort ?? '?'}`;
    this.log = host.logger.child({ session: this.id, remote: this.remote });
    lib.on('pdu', (pdu: LibPdu) => this.onPdu(pdu));
    lib.on('error', (e: Error) => {
      // Framing errors (a stream we cannot cut into PDUs) and socket errors: both end the session.
      this.log.warn({ err: e.message }, 'closing session on error');
      if (this.state !== 'closed') this.sendRaw(genericNack(0, Status.ESME_RINVCMDLEN));
      this.close('error');
    });
    lib.on('close', () => this.onClosed());
    this.bindTimer = host.clock.setTimeout(() => {
      if (this.state === 'open') {
        this.log.info('no bind in time: closing');
        this.close('bind timeout');
      }
    }, host.limits.bindTimeoutMs);
    this.armIdle();
  }

  get bound(): boolean {
    return this.state === 'bound';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Room for another deliver_sm in this session's window. */
  get deliverCapacity(): number {
    return this.state === 'bound' && this.canReceive ? Math.max(0, this.host.limits.windowSize - this.delivering) : 0;
  }

  // ---- inbound PDUs ----

  private onPdu(pdu: LibPdu): void {
    if (this.state === 'closed') return;
    this.armIdle();
    if (pdu.command === MALFORMED) {
      this.log.info({ command_id: pdu.command_id, err: pdu.parseError }, 'malformed PDU: generic_nack');
      this.sendRaw(genericNack(pdu.sequence_number, Status.ESME_RINVCMDLEN));
      return;
    }
    if (pdu.isResponse()) {
      this.onResponse(pdu);
      return;
    }
    switch (pdu.command) {
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver':
        void this.onBind(pdu, pdu.command);
        return;
      case 'enquire_link':
        this.respond(pdu);
        return;
      case 'unbind':
        this.respond(pdu);
        this.state = 'unbinding';
        this.close('unbind');
        return;
      case 'submit_sm':
        if (this.state !== 'bound' || !this.canTransmit) {
          this.respond(pdu, Status.ESME_RINVBNDSTS);
          return;
        }
        void this.onSubmit(pdu);
        return;
      case 'unknown':
        this.log.info({ command_id: pdu.command_id }, 'unknown command: generic_nack');
        this.sendRaw(genericNack(pdu.sequence_number, Status.ESME_RINVCMDID));
        return;
      default:
        // A command SMPP defines but this SMSC does not offer (query_sm, data_sm, submit_multi…).
        this.respond(pdu, Status.ESME_RINVCMDID);
    }
  }

  private onResponse(pdu: LibPdu): void {
    const w = this.waiters.get(pdu.sequence_number);
    if (!w) {
      this.log.debug({ command: pdu.command, seq: pdu.sequence_number }, 'response to nothing we sent: ignored');
      return;
    }
    this.waiters.delete(pdu.sequence_number);
    this.host.clock.clearTimeout(w.timer);
    w.resolve(pdu);
  }

  private async onBind(pdu: LibPdu, command: BindCommand): Promise<void> {
    if (this.state !== 'open') {
      this.respond(pdu, this.state === 'bound' ? Status.ESME_RALYBND : Status.ESME_RINVBNDSTS);
      return;
    }
    this.state = 'binding';
    // Hold further PDUs until the bind is decided, so a pipelined submit_sm is judged after it.
    this.lib.pause();
    const systemId = String(pdu.system_id ?? '');
    const password = String(pdu.password ?? '');
    let status: number = Status.ESME_ROK;
    try {
      if (systemId.length === 0 || systemId.length > MAX_SYSTEM_ID) status = Status.ESME_RINVSYSID;
      else if (password.length > MAX_PASSWORD) status = Status.ESME_RINVPASWD;
      else {
        const r = await this.host.accounts.authenticate(systemId.toLowerCase(), password);
        if (this.state !== 'binding') return; // the client went away while we checked
        if (r === 'unknown') status = Status.ESME_RINVSYSID;
        else if (r === 'bad-password') status = Status.ESME_RINVPASWD;
        else {
          this.account = r;
          this.canTransmit = BIND_MODES[command].transmit;
          this.canReceive = BIND_MODES[command].receive;
          if (!this.host.admit(this)) status = Status.ESME_RBINDFAIL;
        }
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'bind check failed');
      status = Status.ESME_RBINDFAIL;
    }
    if (this.state !== 'binding') return; // closed while we checked
    if (status !== Status.ESME_ROK) {
      this.log.info({ systemId: systemId.slice(0, MAX_SYSTEM_ID), command, status: statusName(status) }, 'bind refused');
      this.account = undefined;
      this.respond(pdu, status);
      // A refused bind ends the connection: a password guesser must reconnect for every try.
      this.close('bind refused');
      return;
    }
    this.state = 'bound';
    if (this.bindTimer) this.host.clock.clearTimeout(this.bindTimer);
    this.respond(pdu, Status.ESME_ROK, { system_id: this.host.limits.systemId });
    this.log.info({ login: this.account!.login, command }, 'bound');
    this.lib.resume();
    this.emit('bound');
  }

  private async onSubmit(pdu: LibPdu): Promise<void> {
    const account = this.account!;
    this.takeWindowSlot();
    let slotHeld = true;
    const freeSlot = () => {
      if (slotHeld) {
        slotHeld = false;
        this.releaseWindowSlot();
      }
    };
    try {
      const body = readSubmittedBody(pdu as SubmitFields);
      const submission = readSubmission(pdu);
      let jobId: string;
      if (body.concat) {
        const key = `${submission.to}|${body.concat.ref}|${body.concat.total}`;
        const { completes, result } = this.host.assembler(account).add(key, body.concat.total, body.concat.seq, { body, submission });
        // A part waiting for its siblings does not hold the window: the client needs room to send them.
        if (!completes) freeSlot();
        jobId = await result;
      } else {
        jobId = await this.host.submitter.submit(account, { ...submission, text: decodeText(body.dataCoding, body.data), parts: 1 });
      }
      this.respond(pdu, Status.ESME_ROK, { message_id: jobId });
    } catch (e) {
      const status = submitErrorStatus(e);
      if (status === Status.ESME_RSYSERR) this.log.error({ err: (e as Error).message }, 'submit_sm failed');
      else this.log.info({ status: statusName(status), err: (e as Error).message }, 'submit_sm refused');
      this.respond(pdu, status);
    } finally {
      freeSlot();
    }
  }

  private takeWindowSlot(): void {
    this.inflight++;
    // Back-pressure: stop reading (TCP pushes back on the client) while the window is full.
    if (this.inflight >= this.host.limits.windowSize) this.lib.pause();
  }

  private releaseWindowSlot(): void {
    this.inflight--;
    if (this.inflight < this.host.limits.windowSize && this.lib.paused && this.state === 'bound') this.lib.resume();
  }

  // ---- outbound requests ----

  /**
   * Send one queued item as deliver_sm (several for UDH parts, one after another) and resolve when
   * every part got deliver_sm_resp OK.
   * @throws DeliverRejectedError, ResponseTimeoutError, SessionClosedError
   */
  async deliver(item: DeliverItem): Promise<void> {
    const bodies = this.deliverPdus(item);
    this.delivering++;
    try {
      for (const fields of bodies) {
        const resp = await this.request('deliver_sm', fields);
        if (resp.command_status !== Status.ESME_ROK) throw new DeliverRejectedError(resp.command_status);
      }
    } finally {
      this.delivering--;
    }
  }

  private deliverPdus(item: DeliverItem): Record<string, unknown>[] {
    const m = item.message;
    if (m.kind === 'receipt') return [receiptFields(m)];
    const src = smppAddress(m.from);
    // The SIM's own number is often unknown (most SIMs do not store it), and Kannel refuses a
    // deliver_sm without a destination (ESME_RINVDSTADR): the account's login stands in, alphanumeric.
    const dst = smppAddress(m.to ?? item.account);
    const addr = { source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr };
    this.concatRef = (this.concatRef + 1) & 0xff;
    return encodeDeliverText(m.text, this.host.limits.longMessages, this.concatRef).map((b) => {
      const f: Record<string, unknown> = { ...addr, data_coding: b.data_coding, esm_class: b.esm_class, short_message: b.short_message };
      if (b.message_payload) f.message_payload = b.message_payload;
      return f;
    });
  }

  /** Send a request and wait for its response (any command_status), at most the response timeout. */
  request(command: string, fields: Record<string, unknown> = {}): Promise<LibPdu> {
    if (this.state === 'closed') return Promise.reject(new SessionClosedError());
    this.sequence = this.sequence >= 0x7fffffff ? 1 : this.sequence + 1;
    const seq = this.sequence;
    const pdu = makePdu(command, { ...fields, sequence_number: seq });
    const ms = this.host.limits.responseTimeoutMs;
    return new Promise<LibPdu>((resolve, reject) => {
      const timer = this.host.clock.setTimeout(() => {
        this.waiters.delete(seq);
        reject(new ResponseTimeoutError(command, ms));
      }, ms);
      this.waiters.set(seq, { command, resolve, reject, timer });
      if (!this.sendRaw(pdu)) {
        this.waiters.delete(seq);
        this.host.clock.clearTimeout(timer);
        reject(new SessionClosedError('the SMPP connection is not writable'));
      }
    });
  }

  /** Ask the client to unbind, then close (server shutdown). */
  async unbind(): Promise<void> {
    if (this.state !== 'bound') {
      this.close('stop');
      return;
    }
    this.state = 'unbinding';
    try {
      await this.request('unbind');
    } catch {
      // Closing anyway.
    }
    this.close('unbind');
  }

  // ---- plumbing ----

  private respond(pdu: LibPdu, status: number = Status.ESME_ROK, fields: Record<string, unknown> = {}): void {
    let resp: LibPdu;
    try {
      resp = pdu.response(status === Status.ESME_ROK ? fields : { command_status: status });
    } catch {
      // A command with no _resp form (outbind, alert_notification): generic_nack says we refused it.
      resp = genericNack(pdu.sequence_number, status === Status.ESME_ROK ? Status.ESME_RINVCMDID : status);
    }
    this.sendRaw(resp);
  }

  private sendRaw(pdu: LibPdu): boolean {
    if (!this.lib.socket.writable) return false;
    return this.lib.send(pdu);
  }

  private armIdle(): void {
    if (this.idleTimer) this.host.clock.clearTimeout(this.idleTimer);
    if (this.state === 'closed') return;
    this.idleTimer = this.host.clock.setTimeout(() => void this.probe(), this.host.limits.enquireLinkMs);
  }

  /** Silence from the client: ask it if it is there; no answer in time ends the session. */
  private async probe(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      const resp = await this.request('enquire_link');
      if (resp.command_status !== Status.ESME_ROK) throw new Error(`enquire_link_resp ${statusName(resp.command_status)}`);
      this.armIdle();
    } catch (e) {
      if (this.closed) return;
      this.log.info({ err: (e as Error).message }, 'enquire_link failed: closing');
      this.close('enquire_link timeout');
    }
  }

  /** End the connection; pending requests fail with SessionClosedError. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.log.debug({ reason }, 'closing');
    this.state = 'closed';
    this.cleanup();
    // Let queued responses (a bind refusal, unbind_resp) reach the client, then end the socket.
    this.lib.socket.end();
    const sock = this.lib.socket;
    const t = this.host.clock.setTimeout(() => sock.destroy(), this.host.limits.responseTimeoutMs);
    sock.once('close', () => this.host.clock.clearTimeout(t));
  }

  private onClosed(): void {
    if (!this.closed) {
      this.state = 'closed';
      this.cleanup();
    }
    this.emit('closed');
  }

  private cleanup(): void {
    if (this.idleTimer) this.host.clock.clearTimeout(this.idleTimer);
    if (this.bindTimer) this.host.clock.clearTimeout(this.bindTimer);
    for (const [seq, w] of this.waiters) {
      this.waiters.delete(seq);
      this.host.clock.clearTimeout(w.timer);
      w.reject(new SessionClosedError());
    }
  }
}

/** Addresses and flags of a submit_sm, checked. @throws SmppCodecError with ESME_RINVDSTADR */
function readSubmission(pdu: LibPdu): Omit<SmppSubmission, 'text' | 'parts'> {
  const dest = String(pdu.destination_addr ?? '').trim();
  const ton = typeof pdu.dest_addr_ton === 'number' ? pdu.dest_addr_ton : 0;
  if (!/^\+?\d{3,20}$/.test(dest) || ton === 5) {
    throw new SmppCodecError(`destination_addr ${JSON.stringify(dest)} is not a phone number`, Status.ESME_RINVDSTADR);
  }
  const to = ton === 1 && !dest.startsWith('+') ? `+${dest}` : dest;
  const rd = (typeof pdu.registered_delivery === 'number' ? pdu.registered_delivery : 0) & 0x03;
  const srcTon = typeof pdu.source_addr_ton === 'number' ? pdu.source_addr_ton : 0;
  const src = String(pdu.source_addr ?? '');
  return {
    to,
    from: srcTon === 1 && src && !src.startsWith('+') ? `+${src}` : src,
    registeredDelivery: rd === 3 ? 1 : (rd as 0 | 1 | 2),
    dataCoding: typeof pdu.data_coding === 'number' ? pdu.data_coding : 0,
  };
}

/** command_status for a failed submit. */
export function submitErrorStatus(e: unknown): number {
  if (e instanceof SubmitThrottledError) return Status.ESME_RTHROTTLED;
  if (e instanceof InvalidDestinationError) return Status.ESME_RINVDSTADR;
  if (e instanceof InvalidMessageError) return Status.ESME_RINVMSGLEN;
  if (e instanceof SmppCodecError) return e.status;
  return Status.ESME_RSYSERR;
}

/** Decode the reassembled parts of one message into a submission (raw user data joined first). */
export function joinSubmittedParts(parts: SubmittedPart[]): SmppSubmission {
  const first = parts[0]!;
  const codings = new Set(parts.map((p) => p.body.dataCoding));
  if (codings.size > 1) throw new SmppCodecError(`parts of one message use different data_coding values (${[...codings].join(', ')})`, Status.ESME_RINVDCS);
  // Join octets before decoding: a UCS2 surrogate pair or a GSM-7 escape may straddle two parts.
  const text = decodeText(first.body.dataCoding, Buffer.concat(parts.map((p) => p.body.data)));
  return { ...first.submission, text, parts: parts.length };
}

