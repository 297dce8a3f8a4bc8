/**
 * A pseudo-terminal whose slave side looks like a USB modem's tty (`/dev/pts/N`, optionally
 * reached through a symlink the way `/dev/serial/by-id/…` is). The master side is relayed to
 * this process over pipes by a tiny Python helper, because Node has no openpty() and the
 * alternatives (node-pty, socat) either spawn a shell or are not on a fresh machine; python3 is.
 *
 * Closing the bridge closes the master: a program holding the slave (serialport, gammu) sees a
 * hang-up exactly like an unplugged USB modem, and the symlink is removed like a vanished device.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';

const RELAY = String.raw`
import os, pty, sys, tty, select, signal, errno
link = sys.argv[1] if len(sys.argv) > 1 else ''
master, slave = pty.openpty()
tty.setraw(slave)
name = os.ttyname(slave)
if link:
    tmp = '%s.tmp%d' % (link, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(name, tmp)
    os.replace(tmp, link)
def stop(*_):
    if link:
        try:
            if os.readlink(link) == name:
                os.unlink(link)
        except OSError:
            pass
    os._exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
sys.stderr.write('PTY %s\n' % name)
sys.stderr.flush()
os.set_blocking(master, False)
to_master = b''
to_host = b''
stdin_open = True
while True:
    rl = [master]
    if stdin_open:
        rl.append(0)
    wl = []
    if to_master:
        wl.append(master)
    if to_host:
        wl.append(1)
    r, w, _ = select.select(rl, wl, [])
    if master in r:
        try:
            to_host += os.read(master, 65536)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EIO):
                raise
    if 0 in r:
        d = os.read(0, 65536)
        if not d:
            stop()
        to_master += d
    if master in w and to_master:
        try:
            n = os.write(master, to_master)
            to_master = to_master[n:]
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
    if 1 in w and to_host:
        n = os.write(1, to_host)
        to_host = to_host[n:]
`;

/** The system interpreter when there is one: a pyenv/asdf `python3` shim costs ~60 ms per start. */
function defaultPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export interface PtyBridgeOptions {
  /** Create this symlink to the slave (like /dev/serial/by-id/…); removed on close. */
  link?: string;
  /** Python interpreter; default /usr/bin/python3, else `python3` on the PATH. */
  python?: string;
}

/**
 * Emits `data` (bytes the program on the slave wrote) and `close`. `write()` sends bytes to that
 * program as if the modem had sent them.
 */
export class PtyBridge extends EventEmitter {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  /** The slave device, e.g. `/dev/pts/7`. */
  slavePath = '';
  /** What clients should open: the link when one was asked for, else the slave. */
  path = '';
  private closed = false;

  private constructor(private readonly opts: PtyBridgeOptions) {
    super();
  }

  static async open(opts: PtyBridgeOptions = {}): Promise<PtyBridge> {
    const bridge = new PtyBridge(opts);
    await bridge.start();
    return bridge;
  }

  private start(): Promise<void> {
    const args = ['-u', '-c', RELAY];
    if (this.opts.link) args.push(this.opts.link);
    // Own process group: Ctrl-C / SIGTERM to the terminal's group must not pull the "modem" out
    // before the server has shut down. The relay still ends with us: it exits on stdin EOF.
    const child = spawn(this.opts.python ?? defaultPython(), args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => this.emit('data', d));
    child.stdin.on('error', () => undefined); // EPIPE after the relay exits: reported via 'close'
    return new Promise((resolve, reject) => {
      let err = '';
      const onStderr = (d: Buffer) => {
        err += d.toString();
        const m = /^PTY (\S+)\n/m.exec(err);
        if (m && !this.slavePath) {
          this.slavePath = m[1]!;
          this.path = this.opts.link ?? this.slavePath;
          resolve();
        }
      };
      child.stderr.on('data', onStderr);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (!this.slavePath) reject(new Error(`pty relay exited (${code ?? signal}): ${err.trim()}`));
        this.closed = true;
        this.emit('close');
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  write(data: Buffer | string): void {
    if (this.closed || !this.child) return;
    this.child.stdin.write(data);
  }

  /** Close the master: the slave side sees a hang-up, the link disappears. */
  close(): Promise<void> {
    if (this.closed || !this.child) return Promise.resolve();
    const child = this.child;
    return new Promise((resolve) => {
      // Bounded: a relay stuck in the kernel closing a tty (seen under load) must not hang the
      // caller; SIGKILL after 2 s, and give up waiting after 3 s.
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      const giveUp = setTimeout(done, 3000);
      function done() {
        clearTimeout(kill);
        clearTimeout(giveUp);
        resolve();
      }
      child.once('exit', done);
      child.kill('SIGTERM');
    });
  }
}
