/** AtEngine on an in-process Duplex with a manual clock: timer logic without real waiting. */
import { describe, it, expect } from 'vitest';
import { PassThrough, Duplex } from 'node:stream';
import { AtEngine } from '../../src/at/engine.js';
import { AtTimeoutError } from '../../src/at/errors.js';
import { PortClosedError } from '../../src/transport/errors.js';
import { DuplexTransport } from '../../src/transport/duplex-transport.js';
import { FakeClock } from '../helpers/fake-clock.js';

const tick = () => new Promise((r) => setImmediate(r));

async function setup(infoGraceMs = 200) {
  const toHost = new PassThrough();
  const fromHost = new PassThrough();
  const written: string[] = [];
  fromHost.on('data', (d: Buffer) => written.push(d.toString('latin1')));
  const transport = new DuplexTransport(Duplex.from({ readable: toHost, writable: fromHost }));
  await transport.open();
  const clock = new FakeClock(0);
  const engine = new AtEngine(transport, { clock, infoGraceMs });
  const unsolicited: string[] = [];
  engine.on('unsolicited', (l) => unsolicited.push(l));
  const reply = async (s: string) => {
    toHost.write(s);
    await tick();
  };
  return { toHost, written, transport, clock, engine, reply, unsolicited };
}

describe('AtEngine timers on an injected clock', () => {
  it('times out exactly at timeoutMs with the partial lines', async () => {
    const { clock, engine, reply } = await setup();
    let err: unknown;
    engine.run({ text: 'AT+COPS?', timeoutMs: 1000 }).catch((e: unknown) => (err = e));
    await tick();
    await reply('\r\n+COPS: 0\r\n');
    clock.advance(999);
    await tick();
    expect(err).toBeUndefined();
    clock.advance(1);
    await tick();
    expect(err).toBeInstanceOf(AtTimeoutError);
    expect((err as AtTimeoutError).partial).toEqual(['+COPS: 0']);
  });

  it('infoCompletes: holds the queue for the settle window and swallows a late OK there', async () => {
    const { clock, engine, reply, written, unsolicited } = await setup(200);
    const cpin = engine.run({ text: 'AT+CPIN?', infoCompletes: true });
    const csq = engine.run('AT+CSQ');
    await tick();
    expect(written.join('')).toBe('AT+CPIN?\r');
    await reply('\r\n+CPIN: READY\r\n');
    clock.advance(200); // grace over: AT+CPIN? resolves without OK
    expect((await cpin).final).toBe('');
    clock.advance(100);
    await tick();
    expect(written.join('')).toBe('AT+CPIN?\r'); // still settling
    await reply('\r\nOK\r\n'); // the late OK
    clock.advance(100);
    await tick();
    expect(written.join('')).toBe('AT+CPIN?\rAT+CSQ\r');
    await reply('\r\n+CSQ: 9,99\r\n\r\nOK\r\n');
    expect((await csq).lines).toEqual(['+CSQ: 9,99']);
    expect(unsolicited).toEqual([]);
  });

  it('with echo OFF and no command pending, a second stray OK is reported as unsolicited', async () => {
    const { reply, unsolicited } = await setup();
    await reply('\r\nOK\r\n');
    expect(unsolicited).toEqual(['OK']);
  });

  it('run() before open and after the stream ends rejects with PortClosedError', async () => {
    const { toHost, engine, transport } = await setup();
    const pending = engine.run('AT').catch((e: unknown) => e);
    await tick();
    toHost.end();
    await tick();
    expect(transport.isOpen).toBe(false);
    expect(await pending).toBeInstanceOf(PortClosedError);
    await expect(engine.run('AT')).rejects.toBeInstanceOf(PortClosedError);
  });

  it('dispose() rejects the pending command and stops listening to the transport', async () => {
    const { engine, reply, transport } = await setup();
    const pending = engine.run('AT').catch((e: unknown) => e);
    await tick();
    engine.dispose();
    expect(await pending).toBeInstanceOf(PortClosedError);
    expect(transport.listenerCount('line')).toBe(0);
    await reply('\r\nOK\r\n'); // no crash, nobody listening
  });
});
