import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedModem } from '../../src/sim/modem.js';
import { handleControlRequest, startControlServer, SimControlClient } from '../../src/sim/control.js';
import { encodeSubmit } from '../../src/sms/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function modem(): SimulatedModem {
  const m = new SimulatedModem({ noise: 0, echo: false });
  cleanups.push(() => m.dispose());
  return m;
}

describe('control requests', () => {
  it('injects an SMS in the asked order and reports storage decoded', async () => {
    const m = modem();
    const text = 'Длинное сообщение '.repeat(8);
    const r = await handleControlRequest({ cmd: 'sms', from: '+79001234567', text, order: [2, 1] }, { modem: m });
    expect(r).toMatchObject({ ok: true, indices: [1, 2], heldBack: 0 });
    const st = await handleControlRequest({ cmd: 'storage' }, { modem: m });
    expect(st.ok).toBe(true);
    const sm = st.SM as Array<{ index: number; from: string; concat: { seq: number } }>;
    expect(sm.map((s) => [s.index, s.from, s.concat.seq])).toEqual([
      [1, '+79001234567', 2],
      [2, '+79001234567', 1],
    ]);
    expect(st.ME).toEqual([]);
  });

  it('lists sent messages joined from their parts', async () => {
    const m = modem();
    let out = '';
    m.on('output', (b: Buffer) => (out += b.toString()));
    const text = 'x'.repeat(200); // two GSM-7 parts
    for (const p of encodeSubmit('+79005556677', text, { ref: 9 })) {
      m.input(`AT+CMGS=${p.tpduLength}\r`);
      m.input(p.hex + '\x1a');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(out.match(/\+CMGS: \d+/g)).toHaveLength(2);
    const r = await handleControlRequest({ cmd: 'sent' }, { modem: m });
    expect(r.messages).toEqual([
      expect.objectContaining({ to: '+79005556677', text, parts: 2, total: 2, complete: true, mrs: [0, 1] }),
    ]);
  });

  it('answers bad requests with ok:false and a specific error', async () => {
    const m = modem();
    expect(await handleControlRequest({ cmd: 'sms', text: 'no sender' }, { modem: m })).toEqual({ ok: false, error: '"sms" needs a string "from"' });
    expect(await handleControlRequest({ cmd: 'nope' }, { modem: m })).toEqual({ ok: false, error: 'unknown cmd "nope"' });
    expect(await handleControlRequest({ cmd: 'fault', type: 'melt' }, { modem: m })).toEqual({ ok: false, error: 'unknown fault type "melt"' });
    expect(await handleControlRequest({ cmd: 'unplug' }, { modem: m })).toMatchObject({ ok: false, error: expect.stringContaining('PTY') });
    expect(await handleControlRequest({ cmd: 'pdu', hex: 'zz' }, { modem: m })).toMatchObject({ ok: false, error: expect.stringContaining('not hex') });
  });

  it('applies faults: failNextDelete then a call', async () => {
    const m = modem();
    let out = '';
    m.on('output', (b: Buffer) => (out += b.toString()));
    await handleControlRequest({ cmd: 'sms', from: '+79001234567', text: 'hi' }, { modem: m });
    expect(await handleControlRequest({ cmd: 'fault', type: 'failNextDelete' }, { modem: m })).toEqual({ ok: true });
    out = '';
    m.input('AT+CMGD=1\r');
    expect(out).toBe('\r\n+CMS ERROR: 500\r\n');
    await handleControlRequest({ cmd: 'call', from: '+79001234567' }, { modem: m });
    expect(m.ringing).toBe(true);
    m.input('ATH\r');
    expect(m.ringing).toBe(false);
  });
});

describe('control socket', () => {
  it('serves JSON lines over a unix socket, replies in request order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-ctl-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const m = modem();
    const server = await startControlServer(join(dir, 'ctl.sock'), { modem: m });
    cleanups.push(() => server.close());
    const client = await SimControlClient.connect(join(dir, 'ctl.sock'));
    cleanups.push(() => client.close());
    const [a, b, c] = await Promise.all([
      client.request({ cmd: 'sms', from: '+79001234567', text: 'CLIENT info' }),
      client.request({ cmd: 'pdu', hex: 'zz' }),
      client.request({ cmd: 'status' }),
    ]);
    expect(a).toMatchObject({ ok: true, indices: [1] });
    expect(b.ok).toBe(false);
    expect(c).toMatchObject({ ok: true, profile: 'generic', heldBack: 0, sent: 0 });
  });

  it('rejects a line that is not a JSON object with cmd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-ctl-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await startControlServer(join(dir, 'ctl.sock'), { modem: modem() });
    cleanups.push(() => server.close());
    const { createConnection } = await import('node:net');
    const sock = createConnection(join(dir, 'ctl.sock'));
    cleanups.push(() => void sock.destroy());
    const reply = await new Promise<string>((resolve) => {
      sock.on('data', (d) => resolve(d.toString()));
      sock.write('{not json\n');
    });
    expect(JSON.parse(reply)).toMatchObject({ ok: false, error: expect.stringMatching(/^bad JSON/) });
  });
});
