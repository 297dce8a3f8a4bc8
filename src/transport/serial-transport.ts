/**
 * A real serial port (serialport 13) as a Transport. A new SerialPort is made at every open, so
 * the *path given* is resolved again by the OS: a `/dev/serial/by-id/…` link that now points at
 * `ttyUSB1` after a USB reset is followed on reopen.
 */
import { read as fsRead, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { stat } from 'node:fs/promises';
// serialport's own packages, not the `serialport` wrapper: the wrapper also loads ten parsers and a
// mock binding the server never uses (17 modules).
import { autoDetect, type AutoDetectTypes, type DarwinPortBinding, type LinuxPortBinding } from '@serialport/bindings-cpp';
// Not in the package's index (13.x has no `exports` map, so the file is reachable); test/transport covers it.
import { unixRead } from '@serialport/bindings-cpp/dist/unix-read.js';
import { SerialPortStream } from '@serialport/stream';
import type { Logger } from 'pino';
import { moduleLogger } from '../util/log.js';
import { FramedTransport, type FramingOptions } from './framed-transport.js';
import { PortClosedError, PortOpenError } from './errors.js';

export interface SerialTransportOptions extends FramingOptions {
  /** Device path, preferably `/dev/serial/by-id/…` (stable across re-enumeration). */
  path: string;
  /** Default 115200; USB modems ignore it, real UARTs (SIM800 on a board) do not. */
  baudRate?: number;
  /** Advisory exclusive lock (default true): a second daemon on the same modem fails to open. */
  lock?: boolean;
  logger?: Logger;
  /**
   * Check every this many ms that the device node still exists (and is the same device); 0
   * disables. Default 1000. See watchPresence() for why serialport's own detection is not enough.
   */
  presenceCheckMs?: number;
  /** Longest wait for the OS to close the port before going on without it (default 2000 ms). */
  closeTimeoutMs?: number;
}

/** Write errors that mean the device itself is gone, not a transient failure. */
function isDeviceGone(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EIO' || code === 'ENXIO' || code === 'ENODEV' || code === 'EBADF' || /Input\/output error|No such device|Bad file descriptor/i.test(err.message);
}

/** "Inappropriate ioctl for device": DTR/RTS on a pseudo-terminal (tests, socat, simulator). */
/**
 * Every read of bindings-cpp goes through libuv's thread pool (`fs.read`), a round trip per chunk
 * the modem sends and one more for the EAGAIN before each wait — the largest item of the main
 * thread's profile on a burst (docs/benchmarks.md). The binding opens the device O_NONBLOCK, so its
 * own read loop (`unixRead`, which takes the read function as a parameter) is given a synchronous
 * read: bytes come back at once, EAGAIN still sends it to wait for the poller. A 0-byte read (a
 * hang-up, see watchPresence) goes through the pool as before: the loop retries it, and a
 * synchronous retry loop would never yield to the timers that notice the hang-up.
 */
const readViaPool = promisify(fsRead);
const readNow = (async (fd: number, buffer: Buffer, offset: number, length: number, position: number | null) => {
  const bytesRead = readSync(fd, buffer, offset, length, position);
  if (bytesRead > 0) return { bytesRead, buffer };
  return readViaPool(fd, buffer, offset, length, position);
}) as unknown as typeof readViaPool;

function readSynchronously(port: LinuxPortBinding | DarwinPortBinding): void {
  port.read = async (buffer, offset, length) => {
    if (!port.isOpen) throw new Error('Port is not open');
    return unixRead({ binding: port, buffer, offset, length, fsReadAsync: readNow });
  };
}

function isIoctlError(err: Error): boolean {
  return /inappropriate ioctl|ENOTTY/i.test(err.message);
}

type SerialPort = SerialPortStream<AutoDetectTypes>;
let binding: AutoDetectTypes | undefined;

export class SerialTransport extends FramedTransport {
  private port: SerialPort | undefined;
  private presenceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly opts: SerialTransportOptions;

  constructor(o: SerialTransportOptions) {
    super(o, moduleLogger(o.logger, 'transport').child({ path: o.path }));
    this.opts = o;
  }

  get path(): string {
    return this.opts.path;
  }

  get isOpen(): boolean {
    const p = this.port;
    return p !== undefined && p.isOpen && !p.closing;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    binding ??= autoDetect();
    const port: SerialPort = new SerialPortStream({
      binding,
      path: this.opts.path,
      baudRate: this.opts.baudRate ?? 115200,
      autoOpen: false,
      lock: this.opts.lock ?? true,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(new PortOpenError(this.opts.path, err)) : resolve()));
    });
    const device = await stat(this.opts.path).then((st) => st.rdev, () => undefined);
    if (port.port && (process.platform === 'linux' || process.platform === 'darwin')) readSynchronously(port.port as LinuxPortBinding | DarwinPortBinding);
    this.port = port;
    this.startFraming();
    // Reading keeps serialport's disconnect detection alive: it only notices a vanished device
    // while a read is outstanding (field-notes).
    port.on('data', (d: Buffer) => {
      if (this.port === port) this.received(d);
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.port !== port) return;
      this.stopPresence();
      this.closed({ disconnected: err?.disconnected === true, ...(err ? { error: err } : {}) });
    });
    port.on('error', (err: Error) => {
      if (isIoctlError(err)) this.log.debug({ err: err.message }, 'ignoring ioctl error (pseudo-terminal)');
      else this.failed(err);
    });
    // Assert DTR/RTS like a terminal program: some USB-serial adapters gate the modem on them.
    port.set({ dtr: true, rts: true }, (err) => {
      if (err && !isIoctlError(err)) this.log.warn({ err: err.message }, 'could not set DTR/RTS');
    });
    if (device !== undefined) this.watchPresence(port, device);
    this.log.info({ baudRate: port.baudRate }, 'port open');
  }

  /**
   * serialport 13 (bindings-cpp unixRead) misses some hang-ups: when a read returns 0 bytes —
   * a PTY whose master went away, seen here on Linux 6.x; USB-serial drivers on unplug can do
   * the same — it retries the read forever and never emits `close`. The device node vanishing
   * (or the path now naming another device) is the reliable sign, so poll for it.
   */
  private watchPresence(port: SerialPort, device: number): void {
    const every = this.opts.presenceCheckMs ?? 1000;
    if (every <= 0) return;
    const tick = () => {
      this.presenceTimer = undefined;
      stat(this.opts.path).then(
        (st) => (st.rdev === device ? 'present' : 'replaced'),
        (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENODEV' || err.code === 'ENXIO' ? 'gone' : 'present'),
      ).then((state) => {
        if (this.port !== port || !port.isOpen) return;
        if (state === 'present') return arm();
        this.log.warn({ state }, 'device node vanished: treating as unplugged');
        const err = Object.assign(new Error(`device ${this.opts.path} ${state === 'gone' ? 'vanished' : 'now names another device'}`), { disconnected: true });
        port.close(() => undefined, err);
      }, () => undefined);
    };
    // unref: a presence check alone must not keep the process alive.
    const arm = () => void (this.presenceTimer = setTimeout(tick, every)).unref();
    arm();
  }

  private stopPresence(): void {
    if (this.presenceTimer !== undefined) clearTimeout(this.presenceTimer);
    this.presenceTimer = undefined;
  }

  write(data: string | Buffer): Promise<void> {
    const port = this.port;
    if (!port || !this.isOpen) {
      // serialport would silently queue the bytes until the next open (field-notes): refuse instead.
      return Promise.reject(new PortClosedError(`cannot write to ${this.opts.path}: port is not open`));
    }
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        // EIO/ENXIO/ENODEV on write: the device went away (USB unplug, PTY master closed) before
        // serialport noticed. Report it as the closed port it is, and close as disconnected.
        if (isDeviceGone(err) && this.port === port && port.isOpen) {
          port.close(() => undefined, Object.assign(new Error(`device ${this.opts.path} gone: ${err.message}`), { disconnected: true }));
        }
        reject(this.isOpen && !isDeviceGone(err) ? err : new PortClosedError(`write to ${this.opts.path} failed: port closed (${err.message})`));
      };
      // Done once the bytes are with the OS (the write callback), not after `drain()`: tcdrain is
      // one more round trip through libuv's thread pool per write, and nothing waits for the UART
      // — the modem's answer is what the AT engine waits for, and serialport keeps writes in order.
      // Without it a 200-message burst cost 6.3 instead of 8.0 CPU ms per message (http-cost.mjs).
      port.write(data, (err) => (err ? fail(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.stopPresence();
    if (!port || !port.isOpen) return;
    // Bounded: Linux's tty close() can block up to `closing_wait` (30 s) draining output to a
    // peer that stopped reading — a wedged USB modem, or a PTY relay — and recovery awaits this.
    const limitMs = this.opts.closeTimeoutMs ?? 2000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ limitMs }, 'port close did not complete in time; going on without it');
        resolve();
      }, limitMs);
      port.close((err) => {
        clearTimeout(timer);
        if (err) this.log.warn({ err: err.message }, 'close failed');
        resolve();
      });
    });
    // serialport emits 'close' itself; make sure listeners hear it even if it did not.
    this.closed({ disconnected: false });
  }
}
