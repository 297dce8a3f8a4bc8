/**
 * What SerialTransport and DuplexTransport share: one LineSplitter (the LineFramer core) per open, `line`/`prompt`
 * events, a `close` event exactly once per open, and `error` that never crashes the process.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { LineSplitter, type LineFramerOptions } from './line-framer.js';
import type { Transport, TransportEvents } from './types.js';

export interface FramingOptions {
  /** See LineFramerOptions.idleFlushMs (default 300 ms). */
  idleFlushMs?: number;
  /** See LineFramerOptions.maxLineBytes (default 8 KiB). */
  maxLineBytes?: number;
  clock?: LineFramerOptions['clock'];
}

export abstract class FramedTransport extends EventEmitter<TransportEvents> implements Transport {
  private framer: LineSplitter | undefined;
  private closeEmitted = true;

  protected constructor(
    private readonly framing: FramingOptions,
    protected readonly log: Logger,
  ) {
    super();
  }

  abstract open(): Promise<void>;
  abstract write(data: string | Buffer): Promise<void>;
  abstract close(): Promise<void>;
  abstract get isOpen(): boolean;

  /** Call once the underlying channel is open: fresh framer, so no bytes leak across opens. */
  protected startFraming(): void {
    this.framer?.dispose();
    this.framer = new LineSplitter(
      (item) => (item.kind === 'prompt' ? this.emit('prompt') : this.emit('line', item.text)),
      { ...this.framing, logger: this.log },
    );
    this.closeEmitted = false;
  }

  /** Bytes read from the modem. Framing is synchronous, so lines come out before a later `close`. */
  protected received(data: Buffer): void {
    // Guarded: the latin1 copy of every chunk would be made even with trace off.
    if (this.log.isLevelEnabled('trace')) this.log.trace({ rx: data.toString('latin1') }, 'rx bytes');
    this.framer?.feed(data);
  }

  /** Emit `close` once for this open and drop the framer (and its idle timer). */
  protected closed(info: { disconnected: boolean; error?: Error }): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.framer?.dispose();
    this.framer = undefined;
    this.log.info({ disconnected: info.disconnected, err: info.error?.message }, 'port closed');
    this.emit('close', info);
  }

  /** An `error` with no listener would throw from EventEmitter; log it instead. */
  protected failed(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.log.error({ err }, 'transport error');
  }
}
