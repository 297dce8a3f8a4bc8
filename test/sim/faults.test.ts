import { describe, it, expect } from 'vitest';
import { decodePdu, type DecodedDeliver } from '../../src/sms/index.js';
import { harness } from './harness.js';

const HELLO = '0011000B919700214365F70000AA05C8329BFD06';

describe('SimulatedModem faults', () => {
  it('hang(ms) swallows input and output until the timeout, then answers again', () => {
    const h = harness();
    h.modem.faults.hang(5000);
    expect(h.at('AT')).toBe('');
    h.modem.injectSms('+79001234567', 'while wedged'); // stored, but the +CMTI is lost with the hang
    expect(h.take()).toBe('');
    h.clock.advance(5000);
    expect(h.at('AT')).toBe('\r\nOK\r\n');
    expect(h.modem.storage()).toHaveLength(1);
  });

  it('hang() without a timeout lasts until clear()', () => {
    const h = harness();
    h.modem.faults.hang();
    h.clock.advance(3_600_000);
    expect(h.at('AT')).toBe('');
    h.modem.faults.clear();
    expect(h.at('AT')).toBe('\r\nOK\r\n');
  });

  it('hangOnNextSend swallows the next submitted PDU and wedges for ms, then sends normally', () => {
    const h = harness();
    h.modem.faults.hangOnNextSend(20_000);
    h.at('AT+CMGS=19');
    h.send(HELLO + '\x1a');
    expect(h.take()).toBe('');
    expect(h.at('AT')).toBe('');
    h.clock.advance(20_000);
    expect(h.at('AT')).toBe('\r\nOK\r\n');
    expect(h.modem.sent).toHaveLength(0);
    h.at('AT+CMGS=19');
    h.send(HELLO + '\x1a');
    h.clock.advance(0);
    expect(h.take()).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
    expect(h.modem.sent).toHaveLength(1);
  });

  it('cmsOnNextSend answers one send with the code after the network delay, then sends normally', () => {
    const h = harness({ sendDelayMs: 100 });
    h.modem.faults.cmsOnNextSend(500);
    h.at('AT+CMGS=19');
    h.send(HELLO + '\x1a');
    h.clock.advance(100);
    expect(h.take()).toBe('\r\n+CMS ERROR: 500\r\n');
    expect(h.modem.sent).toHaveLength(0);
    h.at('AT+CMGS=19');
    h.send(HELLO + '\x1a');
    h.clock.advance(100);
    expect(h.take()).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
  });

  it('garbage() writes a framed junk line with invalid UTF-8 bytes', () => {
    const h = harness();
    h.modem.faults.garbage('caf\xe9 \xff');
    expect(Buffer.from(h.take(), 'latin1')).toEqual(Buffer.from([0x0d, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0x0d, 0x0a]));
    h.modem.faults.garbage();
    const junk = Buffer.from(h.take(), 'latin1');
    expect(junk.toString('utf8')).toContain('\ufffd'); // not valid UTF-8
  });

  it('noiseBurst(n) emits n of the profile noise lines', () => {
    const h = harness({ profile: 'huawei' });
    h.modem.faults.noiseBurst(4);
    const lines = h.take().split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(h.modem.profile.sim.noiseUrcs).toContain(l);
  });

  it('simFull() fills the receive memory: the next SMS waits in the network', () => {
    const h = harness({ capacity: 5 });
    h.modem.faults.simFull();
    expect(h.at('AT+CPMS?')).toContain('"SM",5,5');
    expect(h.modem.injectSms('+79001234567', 'late')).toEqual([]);
    expect(h.modem.heldBack).toBe(1);
    h.at('AT+CMGD=1,1'); // delete all read (the fillers)
    h.clock.advance(50);
    expect(h.take()).toBe('\r\n+CMTI: "SM",1\r\n');
  });

  it('dropNextCmti() stores one SMS silently; AT+CMGL still finds it', () => {
    const h = harness();
    h.modem.faults.dropNextCmti();
    expect(h.modem.injectSms('+79001234567', 'lost URC')).toEqual([1]);
    expect(h.take()).toBe('');
    h.modem.injectSms('+79001234567', 'next');
    expect(h.take()).toBe('\r\n+CMTI: "SM",2\r\n');
    const listed = h.at('AT+CMGL=4');
    const pdus = [...listed.matchAll(/\r\n([0-9A-F]{20,})\r\n/g)].map((m) => (decodePdu(m[1]!) as DecodedDeliver).text);
    expect(pdus).toEqual(['lost URC', 'next']);
  });

  it('failNextDelete() fails one AT+CMGD and keeps the message', () => {
    const h = harness();
    h.modem.injectSms('+79001234567', 'sticky');
    h.take();
    h.modem.faults.failNextDelete();
    expect(h.at('AT+CMGD=1')).toBe('\r\n+CMS ERROR: 500\r\n');
    expect(h.modem.storage()).toHaveLength(1);
    expect(h.at('AT+CMGD=1')).toBe('\r\nOK\r\n');
    expect(h.modem.storage()).toHaveLength(0);
  });

  it('unplug()/replug() ask the PTY runner through events', () => {
    const h = harness();
    const seen: string[] = [];
    h.modem.on('unplug', () => seen.push('unplug'));
    h.modem.on('replug', () => seen.push('replug'));
    h.modem.faults.unplug();
    h.modem.faults.replug();
    expect(seen).toEqual(['unplug', 'replug']);
  });
});
