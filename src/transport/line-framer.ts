/**
 * Bytes from a modem → `{kind:'line'}` / `{kind:'prompt'}` objects.
 *
 * Why not `@serialport/parser-readline`: the `AT+CMGS` prompt `> ` has no line end, so a
 * delimiter parser holds it until more data arrives — and the modem sends nothing more until we
 * write the PDU (deadlock, see field-notes). Modems also mix CRLF, bare CR (echo of our `\r`),
 * bare LF and `\r\r\n` after echoes, so any run of CR/LF ends a line and blank lines are dropped.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { silentLogger } from '../util/log.js';
import type { FramedItem } from './types.js';

export interface LineFramerOptions {
  /** Emit a partial line that got no line end after this long (ms); 0 disables. Default 300. */
  idleFlushMs?: number;
  /** Cut a line that grows past this many bytes without a terminator (bounded memory). Default 8192. */
  maxLineBytes?: number;
  clock?: Clock;
  logger?: Logger;
}

export const DEFAULT_IDLE_FLUSH_MS = 300;
export const DEFAULT_MAX_LINE_BYTES = 8192;

const CR = 0x0d;
const LF = 0x0a;

/** Decode one line: UTF-8 when it is valid UTF-8, else latin1 (byte-preserving, never throws). */
export function decodeLine(bytes: Buffer): string {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** True for what a modem sends as the SMS text-entry prompt: `>` optionally followed by spaces. */
export function isPromptText(text: string): boolean {
  return /^>\s*$/.test(text);
}

/**
 * The framing state machine, synchronous and callback-based: transports use it directly so a
 * line read just before a hang-up is delivered before the `close` event. LineFramer wraps it as
 * a stream.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private idleTimer: Timer | undefined;
  private readonly idleFlushMs: number;
  private readonly maxLineBytes: number;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly onItem: (item: FramedItem) => void,
    o: LineFramerOptions = {},
  ) {
    this.idleFlushMs = o.idleFlushMs ?? DEFAULT_IDLE_FLUSH_MS;
    this.maxLineBytes = Math.max(16, o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.clock = o.clock ?? realClock;
    this.log = o.logger ?? silentLogger;
  }

  /** Process bytes read from the modem. */
  feed(data: Buffer): void {
    this.stopIdle();
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (b !== CR && b !== LF) continue;
      if (i > start) this.append(data.subarray(start, i));
      this.emitPending();
      start = i + 1;
    }
    if (start < data.length) this.append(data.subarray(start));
    if (this.pending.length === 0) return;
    // The prompt never gets a line end: recognise it as soon as it is all that is left over.
    // A lone '>' counts too, because '> ' can be split across reads ('>' now, ' ' next time).
    if (isPromptText(this.pending.toString('latin1'))) {
      this.pending = Buffer.alloc(0);
      this.onItem({ kind: 'prompt' });
      return;
    }
    if (this.idleFlushMs > 0) {
      this.idleTimer = this.clock.setTimeout(() => {
        this.idleTimer = undefined;
        if (this.pending.length > 0) {
          this.log.debug({ partial: this.pending.toString('latin1') }, 'idle flush of a line without line end');
          this.emitPending();
        }
      }, this.idleFlushMs);
    }
  }

  /** Emit whatever partial line is left (end of stream). */
  flush(): void {
    this.stopIdle();
    this.emitPending();
  }

  /** Drop buffered bytes and the idle timer (port closed). */
  dispose(): void {
    this.stopIdle();
    this.pending = Buffer.alloc(0);
  }

  private append(bytes: Buffer): void {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    while (this.pending.length >= this.maxLineBytes) {
      const head = this.pending.subarray(0, this.maxLineBytes);
      this.pending = Buffer.from(this.pending.subarray(this.maxLineBytes));
      this.log.warn({ bytes: this.maxLineBytes }, 'line longer than maxLineBytes without a terminator: cut');
      this.emitText(decodeLine(head));
    }
  }

  private emitPending(): void {
    if (this.pending.length === 0) return;
    const text = decodeLine(this.pending);
    this.pending = Buffer.alloc(0);
    this.emitText(text);
  }

  private emitText(raw: string): void {
    const text = raw.trim();
    if (text === '') return;
    // '> ' followed by a line end (some firmwares, or the idle flush) is still the prompt.
    if (isPromptText(text)) this.onItem({ kind: 'prompt' });
    else this.onItem({ kind: 'line', text });
  }

  private stopIdle(): void {
    if (this.idleTimer !== undefined) {
      this.clock.clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }
}

/** Transform: writable side takes Buffers, readable side (object mode) yields FramedItem. */
export class LineFramer extends Transform {
  private readonly splitter: LineSplitter;

  constructor(o: LineFramerOptions = {}) {
    super({ writableObjectMode: false, readableObjectMode: true });
    this.splitter = new LineSplitter((item) => this.push(item), o);
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    this.splitter.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.splitter.flush();
    cb();
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    this.splitter.dispose();
    cb(err);
  }
}
