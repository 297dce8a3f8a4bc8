/**
 * AtEngine over the REAL serialport path: SerialTransport on a pseudo-terminal, with the test
 * playing the modem byte for byte (PtyModem).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { AtEngine, type AtEngineOptions } from '../../src/at/engine.js';
import { engineOptionsFromProfile } from '../../src/at/profile-options.js';
import { AtTimeoutError, CmeError, CmsError, CommandError } from '../../src/at/errors.js';
import { PortClosedError } from '../../src/transport/errors.js';
import type { UrcEvent } from '../../src/at/command.js';
import { SerialTransport } from '../../src/transport/serial-transport.js';
import { loadProfile } from '../../src/modem/profile.js';
import { PtyModem, sleep } from '../transport/pty-modem.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(o: AtEngineOptions = {}) {
  const modem = await PtyModem.open();
  cleanups.push(() => modem.close());
  const transport = new SerialTransport({ path: modem.path });
  cleanups.push(() => transport.close());
  await transport.open();
  const engine = new AtEngine(transport, o);
  const urcs: UrcEvent[] = [];
  const noise: string[] = [];
  const unsolicited: string[] = [];
  engine.on('urc', (u) => urcs.push(u));
  engine.on('noise', (l) => noise.push(l));
  engine.on('unsolicited', (l) => unsolicited.push(l));
  return { modem, transport, engine, urcs, noise, unsolicited };
}

const PDU = '0011000B919700214365F70000AA05E8329BFD06';

describe('AtEngine on a real PTY', () => {
  it('writes text+CR and collects info lines of a reply split mid-line and mid-CRLF', async () => {
    const { modem, engine } = await setup();
    const res = engine.run('AT+CSQ');
    await modem.waitFor('AT+CSQ\r');
    await modem.send(['\r\n+CS', 'Q: 17,99\r', '\n\r\nO', 'K\r\n']);
    expect(await res).toEqual({ command: 'AT+CSQ', lines: ['+CSQ: 17,99'], final: 'OK' });
  });

  it('keeps one command in flight and runs the queue FIFO', async () => {
    const { modem, engine } = await setup();
    const a = engine.run('AT+CGMI');
    const b = engine.run('AT+CGMM');
    await modem.waitFor('AT+CGMI\r');
    await sleep(80);
    expect(modem.unread()).toBe(''); // AT+CGMM waits for AT+CGMI's final
    await modem.send('\r\nhuawei\r\n\r\nOK\r\n');
    await modem.waitFor('AT+CGMM\r');
    await modem.send('\r\nE173\r\n\r\nOK\r\n');
    expect((await a).lines).toEqual(['huawei']);
    expect((await b).lines).toEqual(['E173']);
  });

  it('sends an SMS: URCs before the echo, between echo and prompt, and between "> " and +CMGS: are routed out (echo ON, split prompt)', async () => {
    const { modem, engine, urcs } = await setup();
    const res = engine.run({ text: 'AT+CMGS=19', expect: ['+CMGS:'], prompt: { payload: PDU + '\x1a' }, timeoutMs: 3000 });
    await modem.waitFor('AT+CMGS=19\r');
    await modem.send(['\r\n+CMTI: "SM",1\r\n', 'AT+CMGS=19\r', '\r\nRING\r\n', '\r\n>', ' ']);
    const before = await modem.waitFor('\x1a');
    expect(before).toBe(PDU); // PDU and Ctrl-Z in one write, only once
    await modem.send([PDU + '\x1a', '\r\n+CMTI: "SM",2\r\n', '\r\n+CMGS: 12\r\n\r\nOK\r\n']);
    expect(await res).toEqual({ command: 'AT+CMGS=19', lines: ['+CMGS: 12'], final: 'OK' });
    expect(urcs.map((u) => u.line)).toEqual(['+CMTI: "SM",1', 'RING', '+CMTI: "SM",2']);
  });

  it('appends Ctrl-Z to a payload that lacks it', async () => {
    const { modem, engine } = await setup();
    const res = engine.run({ text: 'AT+CMGS=19', prompt: { payload: PDU } });
    await modem.waitFor('AT+CMGS=19\r');
    await modem.send('\r\n> ');
    expect(await modem.waitFor('\x1a')).toBe(PDU);
    await modem.send('\r\n+CMGS: 3\r\n\r\nOK\r\n');
    expect((await res).lines).toEqual(['+CMGS: 3']);
  });

  it('rejects with typed errors carrying codes: CME numeric, CMS numeric, CME text', async () => {
    const { modem, engine } = await setup();
    const r1 = engine.run('AT+CPIN?').catch((e: unknown) => e);
    await modem.waitFor('AT+CPIN?\r');
    await modem.send('\r\n+CME ERROR: 10\r\n');
    const e1 = await r1;
    expect(e1).toBeInstanceOf(CmeError);
    expect((e1 as CmeError).cme).toBe(10);
    expect((e1 as CmeError).message).toContain('AT+CPIN?');

    const r2 = engine.run({ text: 'AT+CMGS=19', prompt: { payload: PDU } }).catch((e: unknown) => e);
    await modem.waitFor('AT+CMGS=19\r');
    await modem.send('\r\n> ');
    await modem.waitFor('\x1a');
    await modem.send('\r\n+CMS ERROR: 500\r\n');
    const e2 = await r2;
    expect(e2).toBeInstanceOf(CmsError);
    expect((e2 as CmsError).cms).toBe(500);

    const r3 = engine.run('AT+CPIN?').catch((e: unknown) => e);
    await modem.waitFor('AT+CPIN?\r');
    await modem.send('\r\n+CME ERROR: SIM not inserted\r\n');
    expect((await r3 as CmeError).cme).toBe('SIM not inserted');
  });

  it("treats the Huawei profile's COMMAND NOT SUPPORT as an error final and drops ^RSSI noise", async () => {
    const { modem, engine, noise } = await setup(engineOptionsFromProfile(loadProfile('huawei')));
    const r = engine.run('AT+CNMI=2,1,0,2,0').catch((e: unknown) => e);
    await modem.waitFor('AT+CNMI=2,1,0,2,0\r');
    await modem.send('\r\n^RSSI:18\r\n\r\nCOMMAND NOT SUPPORT\r\n');
    const e = await r;
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).final).toBe('COMMAND NOT SUPPORT');
    expect(noise).toEqual(['^RSSI:18']);
  });

  it('infoCompletes: Wavecom +CPIN: READY with no OK resolves, and a late OK is not given to the next command', async () => {
    const { modem, engine, unsolicited } = await setup({ infoGraceMs: 300 });
    const cpin = engine.run({ text: 'AT+CPIN?', infoCompletes: true });
    await modem.waitFor('AT+CPIN?\r');
    await modem.send('\r\n+CPIN: READY\r\n');
    const csq = engine.run('AT+CSQ'); // queued behind AT+CPIN?
    await sleep(400); // grace (300) over, settle window (300 more) running
    expect(modem.unread()).toBe('');
    await modem.send('\r\nOK\r\n'); // late OK of AT+CPIN? — must not end AT+CSQ
    await modem.waitFor('AT+CSQ\r');
    await modem.send('\r\n+CSQ: 5,99\r\n\r\nOK\r\n');
    expect(await cpin).toEqual({ command: 'AT+CPIN?', lines: ['+CPIN: READY'], final: '' });
    expect(await csq).toEqual({ command: 'AT+CSQ', lines: ['+CSQ: 5,99'], final: 'OK' });
    expect(unsolicited).toEqual([]);
  });

  it('infoCompletes still takes an OK that arrives within the grace', async () => {
    const { modem, engine } = await setup();
    const cpin = engine.run({ text: 'AT+CPIN?', infoCompletes: true });
    await modem.waitFor('AT+CPIN?\r');
    await modem.send(['\r\n+CPIN: READY\r\n', '\r\nOK\r\n']);
    expect(await cpin).toEqual({ command: 'AT+CPIN?', lines: ['+CPIN: READY'], final: 'OK' });
  });

  it('+CMGL: keeps headers with empty fields and lower-case PDU lines intact; a +CMTI between entries is a URC', async () => {
    const { modem, engine, urcs } = await setup();
    const res = engine.run({ text: 'AT+CMGL=4', expect: ['+CMGL:'] });
    await modem.waitFor('AT+CMGL=4\r');
    const pduLower = '07919761989901f0040b919700214365f70000621121000000210ae8329bfd4697d9ec37';
    await modem.send([
      '\r\n+CMGL: 1,1,,23\r\n' + pduLower + '\r\n',
      '+CMTI: "SM",3\r\n',
      '+CMGL: 2,0,,\r\n',
      '07919761989901F0040B919700214365F70000621121000000210AE8329BFD4697D9EC37\r\n\r\nOK\r\n',
    ]);
    const r = await res;
    expect(r.lines).toEqual([
      '+CMGL: 1,1,,23',
      pduLower,
      '+CMGL: 2,0,,',
      pduLower.toUpperCase(),
    ]);
    expect(urcs).toEqual([{ line: '+CMTI: "SM",3' }]);
  });

  it('+CMGR of an empty slot (header then OK, no PDU) completes', async () => {
    const { modem, engine } = await setup();
    const res = engine.run('AT+CMGR=5');
    await modem.waitFor('AT+CMGR=5\r');
    await modem.send('\r\n+CMGR: 0,,0\r\n\r\nOK\r\n');
    expect(await res).toEqual({ command: 'AT+CMGR=5', lines: ['+CMGR: 0,,0'], final: 'OK' });
  });

  it('+CREG: is info during AT+CREG? but a URC otherwise; +CMT: carries the next line as pdu', async () => {
    const { modem, engine, urcs } = await setup();
    const res = engine.run('AT+CREG?');
    await modem.waitFor('AT+CREG?\r');
    await modem.send('\r\n+CMT: ,24\r\n' + PDU + '\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n');
    expect((await res).lines).toEqual(['+CREG: 0,1']);
    await modem.send('\r\n+CREG: 5\r\n');
    await waitUntil(() => urcs.length === 2);
    expect(urcs).toEqual([{ line: '+CMT: ,24', pdu: PDU }, { line: '+CREG: 5' }]);
  });

  it('onUrc handlers get matching URCs; a throwing handler does not break the engine; unknown idle lines are unsolicited', async () => {
    const { modem, engine, unsolicited } = await setup();
    const got: string[] = [];
    const off = engine.onUrc('+CMTI:', (u) => got.push(u.line));
    engine.onUrc('RING', () => {
      throw new Error('handler bug');
    });
    await modem.send('\r\nRING\r\n\r\n+CMTI: "ME",7\r\n\xff\xfe garbage\r\n');
    await waitUntil(() => got.length === 1 && unsolicited.length === 1);
    expect(got).toEqual(['+CMTI: "ME",7']);
    expect(unsolicited).toEqual(['\u00ff\u00fe garbage']);
    off();
    await modem.send('\r\n+CMTI: "ME",8\r\n');
    const res = engine.run('AT');
    await modem.waitFor('AT\r');
    await modem.send('\r\nOK\r\n');
    await res;
    expect(got).toEqual(['+CMTI: "ME",7']);
  });

  it('times out keeping the partial response; the next command still works', async () => {
    const { modem, engine } = await setup();
    const r = engine.run({ text: 'AT+COPS?', timeoutMs: 300 }).catch((e: unknown) => e);
    await modem.waitFor('AT+COPS?\r');
    await modem.send('\r\n+COPS: 0,0,"MTS"\r\n'); // …and then the modem goes silent
    const e = await r;
    expect(e).toBeInstanceOf(AtTimeoutError);
    expect((e as AtTimeoutError).stage).toBe('final');
    expect((e as AtTimeoutError).partial).toEqual(['+COPS: 0,0,"MTS"']);
    const next = engine.run('AT');
    await modem.waitFor('AT\r');
    await modem.send('\r\nOK\r\n');
    expect((await next).final).toBe('OK');
  });

  it('a missing prompt times out at stage "prompt" and ESC cancels the dangling entry before the next command', async () => {
    const { modem, engine } = await setup();
    const r = engine.run({ text: 'AT+CMGS=19', prompt: { payload: PDU, timeoutMs: 300 } }).catch((e: unknown) => e);
    await modem.waitFor('AT+CMGS=19\r');
    const e = await r;
    expect(e).toBeInstanceOf(AtTimeoutError);
    expect((e as AtTimeoutError).stage).toBe('prompt');
    const next = engine.run('AT');
    expect(await modem.waitFor('AT\r')).toBe('\x1b');
    await modem.send('\r\nOK\r\n');
    await next;
    expect(modem.rx).not.toContain(PDU);
  });

  it('the port vanishing rejects the pending and queued commands with PortClosedError; later runs reject at once', async () => {
    const { modem, transport, engine } = await setup();
    const closes: { disconnected: boolean }[] = [];
    transport.on('close', (c) => closes.push(c));
    const a = engine.run('AT+CSQ').catch((e: unknown) => e);
    const b = engine.run('AT+CREG?').catch((e: unknown) => e);
    await modem.waitFor('AT+CSQ\r');
    await modem.close();
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea).toBeInstanceOf(PortClosedError);
    expect((ea as PortClosedError).command).toBe('AT+CSQ');
    expect(eb).toBeInstanceOf(PortClosedError);
    expect(closes).toEqual([expect.objectContaining({ disconnected: true })]);
    await expect(engine.run('AT')).rejects.toBeInstanceOf(PortClosedError);
    await expect(transport.write('AT\r')).rejects.toBeInstanceOf(PortClosedError);
  });
});

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}
