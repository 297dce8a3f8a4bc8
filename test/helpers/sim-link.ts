/**
 * An in-process link between the host's transport and a SimulatedModem, for unit tests on the
 * fake clock: the real line framing (FramedTransport) over direct calls instead of a PTY. Bytes
 * cross on the next macrotask in each direction, as they would through the kernel. `unplug()`
 * closes every open transport as a pulled USB cable does (and the device path disappears
 * until `replug()`).
 */
import { PortClosedError } from '../../src/transport/errors.js';
import { SimulatedModem } from '../../src/sim/index.js';
import { FramedTransport } from '../../src/transport/framed-transport.js';
import type { Clock } from '../../src/util/clock.js';
import { moduleLogger } from '../../src/util/log.js';

export class SimLink {
  present = true;
  opens = 0;
  private readonly open = new Set<SimLinkTransport>();

  constructor(
    readonly modem: SimulatedModem,
    private readonly clock: Clock,
  ) {}

  /** A transport factory for ModemSupervisor. */
  readonly factory = (): SimLinkTransport => new SimLinkTransport(this, this.clock);
  /** A device probe for ModemSupervisor. */
  readonly exists = (): boolean => this.present;

  unplug(): void {
    this.present = false;
    for (const t of [...this.open]) t.lose();
  }

  replug(): void {
    this.present = true;
  }

  attach(t: SimLinkTransport): void {
    if (!this.present) throw new Error('ENOENT: no such device');
    this.opens++;
    this.open.add(t);
  }

  detach(t: SimLinkTransport): void {
    this.open.delete(t);
  }
}

export class SimLinkTransport extends FramedTransport {
  private isOpen_ = false;
  private readonly onOutput = (b: Buffer) => setImmediate(() => this.isOpen_ && this.received(b));

  constructor(
    private readonly link: SimLink,
    clock: Clock,
  ) {
    super({ clock }, moduleLogger(undefined, 'transport'));
  }

  get isOpen(): boolean {
    return this.isOpen_;
  }

  async open(): Promise<void> {
    this.link.attach(this);
    this.isOpen_ = true;
    this.startFraming();
    this.link.modem.on('output', this.onOutput);
  }

  async write(data: string | Buffer): Promise<void> {
    if (!this.isOpen_) throw new PortClosedError('sim link is not open');
    setImmediate(() => this.isOpen_ && this.link.modem.input(data));
  }

  async close(): Promise<void> {
    if (!this.isOpen_) return;
    this.detach();
    this.closed({ disconnected: false });
  }

  /** The cable was pulled. */
  lose(): void {
    if (!this.isOpen_) return;
    this.detach();
    this.closed({ disconnected: true });
  }

  private detach(): void {
    this.isOpen_ = false;
    this.link.modem.off('output', this.onOutput);
    this.link.detach(this);
  }
}
