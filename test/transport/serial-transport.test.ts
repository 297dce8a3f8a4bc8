import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Duplex } from 'node:stream';
import { SerialTransport } from '../../src/transport/serial-transport.js';
import { DuplexTransport } from '../../src/transport/duplex-transport.js';
import { PortClosedError, PortOpenError } from '../../src/transport/errors.js';
import type { Transport } from '../../src/transport/types.js';
import { PtyModem, sleep } from './pty-modem.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function collect(t: Transport) {
  const items: string[] = [];
  const closes: { disconnected: boolean; error?: Error }[] = [];
  t.on('line', (l) => items.push(l));
  t.on('prompt', () => items.push('<prompt>'));
  t.on('close', (c) => closes.push(c));
  return { items, closes };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

async function setup(o: { link?: string; idleFlushMs?: number } = {}) {
  const modem = await PtyModem.open(o.link ? { link: o.link } : {});
  cleanups.push(() => modem.close());
  const t = new SerialTransport({ path: modem.path, ...(o.idleFlushMs ? { idleFlushMs: o.idleFlushMs } : {}) });
  cleanups.push(() => t.close());
  const c = collect(t);
  await t.open();
  return { modem, t, ...c };
}

describe('SerialTransport on a real pseudo-terminal', () => {
  it('writes bytes to the device and frames split replies and a split prompt', async () => {
    const { modem, t, items } = await setup();
    expect(t.isOpen).toBe(true);
    await t.write('AT+CMGS=23\r');
    await modem.waitFor('AT+CMGS=23\r');
    await modem.send(['AT+CMGS=23\r', '\r\n>', ' ']);
    await until(() => items.length >= 2);
    await modem.send(['\r\n+CM', 'GS: 4\r', '\n\r\nOK\r\n']);
    await until(() => items.length >= 4);
    expect(items).toEqual(['AT+CMGS=23', '<prompt>', '+CMGS: 4', 'OK']);
  });

  it('idle-flushes a line that never gets its terminator', async () => {
    const { modem, items } = await setup({ idleFlushMs: 100 });
    await modem.send('+CSQ: 17,99');
    await until(() => items.length === 1);
    expect(items).toEqual(['+CSQ: 17,99']);
  });

  it('close() emits close (not disconnected) and later writes reject with PortClosedError', async () => {
    const { t, closes } = await setup();
    await t.close();
    expect(t.isOpen).toBe(false);
    expect(closes).toEqual([{ disconnected: false }]);
    await expect(t.write('AT\r')).rejects.toBeInstanceOf(PortClosedError);
  });

  it('reports a vanished device as close {disconnected:true}; writes then reject instead of queueing', async () => {
    const { modem, t, closes } = await setup();
    await modem.close();
    await until(() => closes.length === 1);
    expect(closes[0]!.disconnected).toBe(true);
    expect(t.isOpen).toBe(false);
    await expect(t.write('AT\r')).rejects.toBeInstanceOf(PortClosedError);
  });

  it('takes an exclusive lock: a second transport on the same device fails to open', async () => {
    const { modem } = await setup();
    const second = new SerialTransport({ path: modem.path });
    const err = await second.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortOpenError);
    expect((err as PortOpenError).message).toContain(modem.path);
  });

  it('open() of a missing path fails with PortOpenError naming the path', async () => {
    const t = new SerialTransport({ path: '/dev/does-not-exist-sms-test' });
    await expect(t.open()).rejects.toThrow(/does-not-exist-sms-test/);
    expect(t.isOpen).toBe(false);
  });

  it('follows a re-pointed symlink on reopen (like /dev/serial/by-id after a USB reset)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sms-link-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const link = join(dir, 'usb-modem-if00-port0');
    const a = await PtyModem.open({ link });
    cleanups.push(() => a.close());
    const t = new SerialTransport({ path: link });
    cleanups.push(() => t.close());
    const { items, closes } = collect(t);
    await t.open();
    await t.write('AT\r');
    await a.waitFor('AT\r');

    await a.close(); // unplug: bridge A's device and link vanish
    await until(() => closes.length === 1);
    expect(closes[0]!.disconnected).toBe(true);
    await expect(t.open()).rejects.toBeInstanceOf(PortOpenError); // ENOENT until the device returns

    const b = await PtyModem.open({ link }); // the device returns behind the same link
    cleanups.push(() => b.close());
    await t.open();
    await t.write('ATI\r');
    await b.waitFor('ATI\r');
    await b.send('\r\nOK\r\n');
    await until(() => items.includes('OK'));
    expect(a.rx).toBe('AT\r');
  });

  it('re-resolves the link at each open: after close, a link re-pointed to another device is followed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sms-link-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const link = join(dir, 'usb-modem-if00-port0');
    const a = await PtyModem.open({ link });
    cleanups.push(() => a.close());
    const t = new SerialTransport({ path: link });
    cleanups.push(() => t.close());
    await t.open();
    await t.write('AT\r');
    await a.waitFor('AT\r');
    await t.close();

    const b = await PtyModem.open({ link }); // A still exists; the link now names B's pts
    cleanups.push(() => b.close());
    expect(b.bridge.slavePath).not.toBe(a.bridge.slavePath);
    await t.open();
    await t.write('ATI\r');
    await b.waitFor('ATI\r');
    await sleep(50);
    expect(a.rx).toBe('AT\r');
  });
});

describe('DuplexTransport', () => {
  function pair() {
    const toHost = new PassThrough();
    const fromHost = new PassThrough();
    const stream = Duplex.from({ readable: toHost, writable: fromHost });
    return { toHost, fromHost, stream };
  }

  it('frames lines and prompts like SerialTransport and writes through', async () => {
    const { toHost, fromHost, stream } = pair();
    const t = new DuplexTransport(stream);
    const { items } = collect(t);
    await t.open();
    const written: string[] = [];
    fromHost.on('data', (d: Buffer) => written.push(d.toString()));
    await t.write('AT+CMGS=5\r');
    toHost.write('\r\n>');
    toHost.write(' ');
    toHost.write('\r\n+CMGS: 1\r\n\r\nOK\r\n');
    await until(() => items.length === 3);
    expect(items).toEqual(['<prompt>', '+CMGS: 1', 'OK']);
    expect(written.join('')).toBe('AT+CMGS=5\r');
  });

  it('reports the stream ending as disconnected, and rejects writes afterwards', async () => {
    const { toHost, stream } = pair();
    const t = new DuplexTransport(stream);
    const { closes } = collect(t);
    await t.open();
    toHost.end();
    stream.resume();
    await until(() => closes.length === 1);
    expect(closes[0]!.disconnected).toBe(true);
    await expect(t.write('AT\r')).rejects.toBeInstanceOf(PortClosedError);
  });
});
