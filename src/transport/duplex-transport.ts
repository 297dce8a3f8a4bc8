/**
 * Any Node Duplex as a Transport — the in-process simulator (`serve --simulate`) and tests use
 * it instead of a PTY. Same framing and events as SerialTransport.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { moduleLogger } from '../util/log.js';
import { FramedTransport, type FramingOptions } from './framed-transport.js';
import { PortClosedError, PortOpenError } from './errors.js';

export interface DuplexTransportOptions extends FramingOptions {
  logger?: Logger;
  /** Destroy the stream on close() (default false: whoever made the stream owns it). */
  destroyOnClose?: boolean;
  /** Name for logs and errors. Default 'duplex'. */
  name?: string;
}

export class DuplexTransport extends FramedTransport {
  private open_ = false;
  private readonly name: string;
  private readonly onData = (d: Buffer | string) => this.received(typeof d === 'string' ? Buffer.from(d, 'latin1') : d);
  private readonly onEnd = () => this.lost();
  private readonly onError = (err: Error) => this.failed(err);

  constructor(
    private readonly stream: Duplex,
    private readonly o: DuplexTransportOptions = {},
  ) {
    super(o, moduleLogger(o.logger, 'transport').child({ path: o.name ?? 'duplex' }));
    this.name = o.name ?? 'duplex';
  }

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    if (this.open_) return;
    if (this.stream.destroyed || this.stream.writableEnded) {
      throw new PortOpenError(this.name, new Error('stream is already ended or destroyed'));
    }
    this.open_ = true;
    this.startFraming();
    this.stream.on('data', this.onData);
    this.stream.on('end', this.onEnd);
    this.stream.on('close', this.onEnd);
    this.stream.on('error', this.onError);
  }

  write(data: string | Buffer): Promise<void> {
    if (!this.open_) return Promise.reject(new PortClosedError(`cannot write to ${this.name}: port is not open`));
    return new Promise<void>((resolve, reject) => {
      this.stream.write(data, (err) => (err ? reject(this.open_ ? err : new PortClosedError(`write to ${this.name} failed: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    this.detach();
    if (this.o.destroyOnClose) this.stream.destroy();
    this.closed({ disconnected: false });
  }

  /** The other end went away: like an unplugged modem. */
  private lost(): void {
    if (!this.open_) return;
    this.detach();
    this.closed({ disconnected: true });
  }

  private detach(): void {
    this.open_ = false;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
  }
}
