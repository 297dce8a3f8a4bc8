/**
 * The AT command executor: one command in flight, the rest queued FIFO. Each incoming line is
 * classified (classify.ts) and either completes the pending command or is routed out as a URC,
 * noise or unsolicited line — even in the middle of a command.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Transport } from '../transport/types.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import {
  BODY_PREFIXES,
  PDU_URC_PREFIXES,
  STANDARD_URC_PREFIXES,
  classifyLine,
  finalKind,
  hasPrefix,
  isHexLine,
  type ClassifierConfig,
} from './classify.js';
import { CTRL_Z, ESC, normalizeCommand, type AtCommand, type AtResponse, type UrcEvent } from './command.js';
import { PortClosedError } from '../transport/errors.js';
import { AtError, AtTimeoutError, errorForFinal } from './errors.js';

export interface AtEngineOptions {
  /** Profile extras beyond OK / ERROR / +CME ERROR / +CMS ERROR. */
  finals?: { ok: string[]; error: string[] };
  /** URC prefixes beyond the standard set. */
  urcPrefixes?: string[];
  /** Unsolicited noise to drop (Huawei `^RSSI:`). */
  noisePrefixes?: string[];
  /** Per-command timeout when the command names none. Default 5000 ms. */
  defaultTimeoutMs?: number;
  /** `infoCompletes` grace after the info line, and the settle time after it. Default 200 ms. */
  infoGraceMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export type AtEngineEvents = {
  urc: [UrcEvent];
  /** A command timed out (also delivered to its caller as the rejection). */
  timeout: [AtTimeoutError];
  noise: [string];
  unsolicited: [string];
};

interface Pending {
  cmd: ReturnType<typeof normalizeCommand>;
  resolve: (r: AtResponse) => void;
  reject: (e: Error) => void;
  lines: string[];
  echoSeen: boolean;
  promptSeen: boolean;
  payloadEcho?: string;
  /** The previous line was a +CMGL:/+CMGR: header: the next one is its PDU. */
  bodyNext: boolean;
  timer?: Timer;
  graceTimer?: Timer;
}

export class AtEngine extends EventEmitter<AtEngineEvents> {
  private cfg: ClassifierConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly defaultTimeoutMs: number;
  private readonly infoGraceMs: number;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  /** A `+CMT:`/`+CDS:` header waiting for its PDU line. */
  private urcAwaitingPdu: string | undefined;
  /** After an `infoCompletes` command resolved without a final: hold the queue briefly… */
  private settleTimer: Timer | undefined;
  /** …and swallow one late final that arrives with no command pending (Wavecom late OK). */
  private strayFinalAllowed = false;
  private readonly handlers: { prefix: string; fn: (e: UrcEvent) => void }[] = [];

  constructor(
    private readonly transport: Transport,
    o: AtEngineOptions = {},
  ) {
    super();
    this.cfg = {
      okFinals: o.finals?.ok ?? [],
      errorFinals: o.finals?.error ?? [],
      urcPrefixes: [...STANDARD_URC_PREFIXES, ...(o.urcPrefixes ?? [])],
      noisePrefixes: o.noisePrefixes ?? [],
    };
    this.log = moduleLogger(o.logger, 'at');
    this.clock = o.clock ?? realClock;
    this.defaultTimeoutMs = o.defaultTimeoutMs ?? 5000;
    this.infoGraceMs = o.infoGraceMs ?? 200;
    transport.on('line', this.lineListener);
    transport.on('prompt', this.promptListener);
    transport.on('close', this.closeListener);
  }

  private readonly lineListener = (line: string) => this.guard(() => this.onLine(line));
  private readonly promptListener = () => this.guard(() => this.onPrompt());
  private readonly closeListener = (info: { disconnected: boolean }) => this.guard(() => this.onClose(info.disconnected));

  /** Stop listening to the transport; pending and queued commands reject with PortClosedError. */
  dispose(): void {
    this.transport.off('line', this.lineListener);
    this.transport.off('prompt', this.promptListener);
    this.transport.off('close', this.closeListener);
    this.onClose(false);
  }

  /** Queue a command; resolves with its info lines, rejects with a typed AtError. */
  run(command: AtCommand | string): Promise<AtResponse> {
    const cmd = normalizeCommand(command);
    if (!this.transport.isOpen) {
      return Promise.reject(new PortClosedError('port is not open', cmd.display));
    }
    return new Promise<AtResponse>((resolve, reject) => {
      this.queue.push({ cmd, resolve, reject, lines: [], echoSeen: false, promptSeen: false, bodyNext: false });
      this.pump();
    });
  }

  /**
   * Swap the profile-dependent classification (finals, URC and noise prefixes) on a live engine:
   * the driver detects the modem family from AT+CGMI/AT+CGMM only after talking to it.
   */
  configure(o: Pick<AtEngineOptions, 'finals' | 'urcPrefixes' | 'noisePrefixes'>): void {
    this.cfg = {
      okFinals: o.finals?.ok ?? this.cfg.okFinals,
      errorFinals: o.finals?.error ?? this.cfg.errorFinals,
      urcPrefixes: o.urcPrefixes ? [...STANDARD_URC_PREFIXES, ...o.urcPrefixes] : this.cfg.urcPrefixes,
      noisePrefixes: o.noisePrefixes ?? this.cfg.noisePrefixes,
    };
  }

  /** Commands queued or running. */
  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  /**
   * Subscribe to URCs starting with `prefix` (e.g. '+CMTI:'). Returns an unsubscribe function.
   * Handlers must not write to the port; they enqueue commands with run() (architecture practice 2).
   */
  onUrc(prefix: string, handler: (e: UrcEvent) => void): () => void {
    const entry = { prefix, fn: handler };
    this.handlers.push(entry);
    return () => {
      const i = this.handlers.indexOf(entry);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** Write ESC: cancels a dangling SMS entry (a `> ` prompt nobody answered), as gammu does before each command. */
  escape(): Promise<void> {
    this.log.debug({ tx: '<ESC>' }, 'AT tx');
    return this.transport.write(ESC);
  }

  /** Alias of escape(). */
  abort(): Promise<void> {
    return this.escape();
  }

  private pump(): void {
    if (this.current || this.settleTimer !== undefined) return;
    const next = this.queue.shift();
    if (!next) return;
    if (!this.transport.isOpen) {
      next.reject(new PortClosedError('port is not open', next.cmd.display));
      return this.pump();
    }
    this.current = next;
    this.strayFinalAllowed = false;
    // The waiter (this.current) is in place before the bytes go out (architecture practice 1).
    const promptMs = next.cmd.prompt ? (next.cmd.prompt.timeoutMs ?? next.cmd.timeoutMs ?? this.defaultTimeoutMs) : undefined;
    this.arm(next, promptMs ?? next.cmd.timeoutMs ?? this.defaultTimeoutMs);
    this.log.debug({ tx: next.cmd.display }, 'AT tx');
    this.send(next, `${next.cmd.text}\r`);
  }

  private send(p: Pending, data: string | Buffer): void {
    this.transport.write(data).catch((err: Error) => {
      if (this.current !== p) return;
      this.fail(p, (err as { code?: string }).code === 'PORT_CLOSED' ? new PortClosedError(err.message, p.cmd.display, p.cmd.prompt ? (p.promptSeen ? 'final' : 'prompt') : undefined) : err);
    });
  }

  private arm(p: Pending, ms: number): void {
    if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
    p.timer = this.clock.setTimeout(() => this.onTimeout(p, ms), ms);
  }

  private onTimeout(p: Pending, ms: number): void {
    if (this.current !== p) return;
    const stage = p.cmd.prompt && !p.promptSeen ? 'prompt' : 'final';
    this.log.warn({ command: p.cmd.display, stage, partial: p.lines }, 'AT command timed out');
    // A prompt that shows up late would swallow our next command as PDU text: cancel it up front,
    // before fail() lets the next command out (writes keep their order).
    if (stage === 'prompt') this.escape().catch(() => undefined);
    const err = new AtTimeoutError(p.cmd.display, stage, ms, [...p.lines]);
    this.fail(p, err);
    // The supervisor climbs its recovery ladder on this (probe → re-init → reopen).
    this.emit('timeout', err);
  }

  private onPrompt(): void {
    const p = this.current;
    if (!p || !p.cmd.prompt || p.promptSeen) {
      this.log.debug('unexpected "> " prompt: sending ESC so it cannot eat the next command');
      if (this.transport.isOpen) this.escape().catch(() => undefined);
      return;
    }
    p.promptSeen = true;
    let payload = p.cmd.prompt.payload;
    // Ctrl-Z in the same write as the PDU: some modems need it so (smstools3 does this too).
    if (typeof payload === 'string') {
      if (!payload.endsWith(CTRL_Z) && !payload.endsWith(ESC)) payload += CTRL_Z;
    } else if (payload.length === 0 || (payload[payload.length - 1] !== 0x1a && payload[payload.length - 1] !== 0x1b)) {
      payload = Buffer.concat([payload, Buffer.from([0x1a])]);
    }
    const text = typeof payload === 'string' ? payload : payload.toString('latin1');
    p.payloadEcho = text.replace(/[\x1a\x1b]/g, '');
    this.arm(p, p.cmd.timeoutMs ?? this.defaultTimeoutMs);
    this.log.debug({ tx: p.cmd.redact ? `<redacted PDU, ${p.payloadEcho.length / 2} octets>` : p.payloadEcho + '<CTRL-Z>' }, 'AT tx payload');
    this.send(p, payload);
  }

  private onLine(line: string): void {
    this.log.debug({ rx: line }, 'AT rx');
    if (this.urcAwaitingPdu !== undefined) {
      const head = this.urcAwaitingPdu;
      this.urcAwaitingPdu = undefined;
      if (isHexLine(line)) return this.emitUrc({ line: head, pdu: line });
      this.log.warn({ urc: head, got: line }, 'PDU URC without its PDU line');
      this.emitUrc({ line: head });
    }
    const p = this.current;
    if (p?.bodyNext) {
      // The line after +CMGL:/+CMGR: is the stored PDU (lower-case hex on some firmwares) — it
      // belongs to the response unless it is a final (empty slot) or a recognisable URC/noise.
      if (finalKind(line, this.cfg, p.cmd.text)) {
        p.bodyNext = false;
      } else if (isHexLine(line) || classifyLine(line, undefined, this.cfg) === 'unsolicited') {
        p.bodyNext = false;
        p.lines.push(line);
        return;
      }
    }
    const view = p && { text: p.cmd.text, expect: p.cmd.expect, echoSeen: p.echoSeen, payloadEcho: p.payloadEcho };
    switch (classifyLine(line, view, this.cfg)) {
      case 'echo':
        if (p && line.toUpperCase() === p.cmd.text.toUpperCase()) p.echoSeen = true;
        return;
      case 'ok':
        return this.complete(p!, line);
      case 'error':
        return this.fail(p!, errorForFinal(line, p!.cmd.display));
      case 'info':
        return this.info(p!, line);
      case 'noise':
        this.log.trace({ line }, 'noise dropped');
        this.emit('noise', line);
        return;
      case 'urc':
        if (hasPrefix(line, PDU_URC_PREFIXES)) this.urcAwaitingPdu = line;
        else this.emitUrc({ line });
        return;
      case 'unsolicited':
        if (this.strayFinalAllowed && finalKind(line, this.cfg)) {
          this.strayFinalAllowed = false;
          this.log.debug({ line }, 'late final after an infoCompletes command: swallowed');
          return;
        }
        this.log.debug({ line }, 'unsolicited line with no command pending');
        this.emit('unsolicited', line);
        return;
    }
  }

  private info(p: Pending, line: string): void {
    p.lines.push(line);
    if (hasPrefix(line, BODY_PREFIXES)) p.bodyNext = true;
    if (p.cmd.infoCompletes && hasPrefix(line, p.cmd.expect)) {
      if (p.graceTimer !== undefined) this.clock.clearTimeout(p.graceTimer);
      p.graceTimer = this.clock.setTimeout(() => this.graceOver(p), this.infoGraceMs);
    }
  }

  /** Wavecom `+CPIN: READY` with no OK: complete, then hold the queue so a late OK is not the next command's. */
  private graceOver(p: Pending): void {
    if (this.current !== p) return;
    this.complete(p, '', true);
    this.strayFinalAllowed = true;
    this.settleTimer = this.clock.setTimeout(() => {
      this.settleTimer = undefined;
      this.pump();
    }, this.infoGraceMs);
  }

  private complete(p: Pending, final: string, holdQueue = false): void {
    this.settle(p);
    p.resolve({ command: p.cmd.display, lines: p.lines, final });
    if (!holdQueue) this.pump();
  }

  private fail(p: Pending, err: Error): void {
    this.settle(p);
    if (err instanceof AtError) this.log.debug({ command: p.cmd.display, code: err.code }, err.message);
    p.reject(err);
    this.pump();
  }

  private settle(p: Pending): void {
    if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
    if (p.graceTimer !== undefined) this.clock.clearTimeout(p.graceTimer);
    p.timer = p.graceTimer = undefined;
    if (this.current === p) this.current = undefined;
  }

  private onClose(disconnected: boolean): void {
    if (this.urcAwaitingPdu !== undefined) {
      this.emitUrc({ line: this.urcAwaitingPdu });
      this.urcAwaitingPdu = undefined;
    }
    if (this.settleTimer !== undefined) this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const detail = disconnected ? 'port closed: device disconnected' : 'port closed';
    const all = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    if (this.current) this.settle(this.current);
    for (const p of all) {
      this.settle(p);
      // After the PDU went out the network may have the message: say so, the queue decides.
      p.reject(new PortClosedError(detail, p.cmd.display, p.cmd.prompt ? (p.promptSeen ? 'final' : 'prompt') : undefined));
    }
  }

  private emitUrc(e: UrcEvent): void {
    this.log.debug({ urc: e.line, pdu: e.pdu }, 'URC');
    this.emit('urc', e);
    for (const h of [...this.handlers]) {
      if (hasPrefix(e.line, [h.prefix])) this.guard(() => h.fn(e));
    }
  }

  /** A bug in a listener must not take the serial read loop down with it. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'AT engine listener threw');
    }
  }
}
