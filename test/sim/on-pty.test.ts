import { describe, it, expect, afterEach } from 'vitest';
import { existsSync, mkdtempSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { SerialPort } from 'serialport';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/on-pty.js';
import { SimControlClient } from '../../src/sim/control.js';
import { runSimulateCommand } from '../../src/sim/simulate-command.js';

/** Opens the device and reports when it hangs up (poll HUP / EOF, as Linux gives a PTY slave). */
const HOLDER = `
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
print('open', flush=True)
p = select.poll(); p.register(fd, select.POLLIN)
while True:
    ev = p.poll(10000)
    if not ev: continue
    try:
        d = os.read(fd, 100)
    except OSError:
        d = b''
    if not d or ev[0][1] & select.POLLHUP:
        print('hangup', flush=True); break
`;

// Note: the unplug is observed from a separate process on purpose: serialport 13 in-process
// spins on the 0-byte reads of a hung-up PTY and may never emit 'close' (a transport concern).
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openPort(path: string): Promise<{ port: SerialPort; read(until: RegExp): Promise<string> }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  let buf = '';
  const waiters: Array<() => void> = [];
  port.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  port.on('error', () => undefined);
  const read = (until: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for ${until}; got ${JSON.stringify(buf)}`)), 5000);
      const check = () => {
        const m = until.exec(buf);
        if (m) {
          clearTimeout(timer);
          const out = buf.slice(0, m.index + m[0].length);
          buf = buf.slice(m.index + m[0].length);
          resolve(out);
        } else waiters.push(check);
      };
      check();
    });
  return { port, read };
}

function closePort(port: SerialPort): Promise<void> {
  return new Promise((res) => (port.isOpen ? port.close(() => res()) : res()));
}

describe('simulator on a PTY', () => {
  it('answers a serial port opened on the link path, and keeps that path across unplug/replug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-pty-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const link = join(dir, 'usb-Generic_Modem-if00-port0');
    const sim: RunningSimulator = await startSimulatorOnPty({ link, noise: 0, bootOnOpen: false });
    cleanups.push(() => sim.close());
    expect(sim.path).toBe(link);

    const a = await openPort(link);
    cleanups.push(() => closePort(a.port));
    a.port.write('AT+CGMM\r');
    expect(await a.read(/OK\r\n/)).toBe('AT+CGMM\r\r\nGSM Modem\r\n\r\nOK\r\n');

    await closePort(a.port);

    // A process holding the device sees the hang-up of a pulled stick (EOF/POLLHUP on the tty).
    const holder = spawn('/usr/bin/python3', ['-c', HOLDER, link], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void holder.kill());
    let said = '';
    const waiters: Array<() => void> = [];
    holder.stdout.on('data', (d: Buffer) => {
      said += d.toString();
      for (const w of waiters.splice(0)) w();
    });
    const saw = (what: string) =>
      new Promise<void>((res) => {
        const check = () => (said.includes(what) ? res() : waiters.push(check));
        check();
      });
    await saw('open');
    await sim.unplug();
    expect(existsSync(link)).toBe(false);
    await saw('hangup');
    await sim.replug();
    expect(realpathSync(link)).toMatch(/^\/dev\/pts\/\d+$/);
    const b = await openPort(link);
    cleanups.push(() => closePort(b.port));
    b.port.write('AT\r');
    expect(await b.read(/OK\r\n/)).toContain('OK');
  });

  it('runSimulateCommand prints the device and control paths and serves control requests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cmd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lines: string[] = [];
    const ac = new AbortController();
    let printed!: () => void;
    const ready = new Promise<void>((r) => (printed = r));
    const done = runSimulateCommand({
      profile: 'sim800',
      link: join(dir, 'modem'),
      control: join(dir, 'ctl.sock'),
      signal: ac.signal,
      print: (l) => {
        lines.push(l);
        if (l.startsWith('profile:')) printed();
      },
    });
    await ready;
    expect(lines).toEqual([`device: ${join(dir, 'modem')}`, `control: ${join(dir, 'ctl.sock')}`, 'profile: sim800']);
    const client = await SimControlClient.connect(join(dir, 'ctl.sock'));
    expect(await client.request({ cmd: 'status' })).toMatchObject({ ok: true, profile: 'sim800', path: join(dir, 'modem') });
    client.close();
    ac.abort();
    await done;
    expect(existsSync(join(dir, 'modem'))).toBe(false);
  });
});
