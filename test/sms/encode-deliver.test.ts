import { describe, expect, it } from 'vitest';
import { decodePdu, encodeDeliver, InvalidNumberError, joinParts, SmsEncodeError, type DecodedDeliver } from '../../src/sms/index.js';

const dec = (hex: string): DecodedDeliver => decodePdu(hex) as DecodedDeliver;
const at = new Date('2026-11-21T07:00:00Z');

describe('encodeDeliver', () => {
  it('builds a DELIVER with SMSC prefix, sender, SCTS and zone', () => {
    const [h] = encodeDeliver('+79001234567', 'Hello', { timestamp: at, tzOffsetMinutes: 180, smsc: '+79168999100' });
    expect(h).toBe('07919761989901F0' + '04' + '0B919700214365F7' + '0000' + '62111201000021' + '05C8329BFD06');
  });

  it.each([
    [180, '2026-11-21T10:00:00+03:00'],
    [330, '2026-11-21T12:30:00+05:30'],
    [210, '2026-11-21T10:30:00+03:30'],
    [345, '2026-11-21T12:45:00+05:45'],
    [-180, '2026-11-21T04:00:00-03:00'],
    [-210, '2026-11-21T03:30:00-03:30'],
    [0, '2026-11-21T07:00:00+00:00'],
  ])('zone %d min → %s, same instant', (tz, iso) => {
    const [h] = encodeDeliver('+79001234567', 'x', { timestamp: at, tzOffsetMinutes: tz });
    const d = dec(h!);
    expect(d.timestamp).toBe(iso);
    expect(d.tzOffsetMinutes).toBe(tz);
    expect(new Date(d.timestamp).getTime()).toBe(at.getTime());
  });

  it('alphanumeric senders are packed GSM-7 with TOA 0xD0', () => {
    const [h] = encodeDeliver('SCSERV', 'x', { timestamp: at });
    // 6 chars = 42 bits = 11 useful semi-octets (gammu writes 0C; both decode to 6 septets).
    expect(h!.slice(0, 20)).toBe('00' + '04' + '0BD0D3E1B428B502');
    expect(dec(h!)).toMatchObject({ sender: 'SCSERV', senderType: 'alphanumeric' });
    expect(dec(encodeDeliver('InfoService', 'x')[0]!)).toMatchObject({ sender: 'InfoService' });
    expect(() => encodeDeliver('TwelveChars!', 'x')).toThrow(InvalidNumberError);
  });

  it('numeric senders: international, national digits kept, short codes', () => {
    expect(dec(encodeDeliver('+7 900 123-45-67', 'x')[0]!)).toMatchObject({ sender: '+79001234567', senderType: 'international' });
    expect(dec(encodeDeliver('89001234567', 'x')[0]!)).toMatchObject({ sender: '89001234567', senderType: 'unknown' });
    expect(dec(encodeDeliver('900', 'x')[0]!)).toMatchObject({ sender: '900' });
  });

  it('splits with 16-bit refs at 152 septets / 66 units and rejoins', () => {
    const text = 'x'.repeat(152) + 'y'.repeat(10);
    const parts = encodeDeliver('+79001234567', text, { ref: 0xbeef, refBits: 16 }).map(dec);
    expect(parts.map((p) => p.concat)).toEqual([
      { ref: 0xbeef, total: 2, seq: 1, refBits: 16 },
      { ref: 0xbeef, total: 2, seq: 2, refBits: 16 },
    ]);
    expect(parts[0]!.text).toBe('x'.repeat(152));
    expect(joinParts(parts).text).toBe(text);
    const u = encodeDeliver('+79001234567', 'ж'.repeat(71), { ref: 7, refBits: 16 }).map(dec);
    expect(u.map((p) => p.text.length)).toEqual([66, 5]);
  });

  it('8-bit data and message class', () => {
    const [h] = encodeDeliver('+79001234567', '\x00\x01\xffdata', { encoding: '8bit', messageClass: 1 });
    expect(dec(h!)).toMatchObject({ encoding: '8bit', text: '\x00\x01\xffdata', dcs: 0x15, messageClass: 1 });
    expect((dec(h!).payload as Buffer).toString('hex')).toBe('0001ff64617461');
    expect(() => encodeDeliver('+1', 'ж', { encoding: '8bit' })).toThrow(SmsEncodeError);
    expect(() => encodeDeliver('+1', 'ж', { encoding: 'gsm7' })).toThrow(SmsEncodeError);
  });

  it('forced UCS2 for a GSM-7 text, and flash', () => {
    expect(dec(encodeDeliver('+1', 'abc', { encoding: 'ucs2', messageClass: 0 })[0]!)).toMatchObject({ encoding: 'ucs2', text: 'abc', messageClass: 0, dcs: 0x18 });
  });

  it.each([7, 1.5, 80 * 15])('rejects tzOffsetMinutes %d', (tz) => {
    expect(() => encodeDeliver('+1', 'x', { tzOffsetMinutes: tz })).toThrow(/tzOffsetMinutes/);
  });

  it('rejects refs outside the width', () => {
    expect(() => encodeDeliver('+1', 'x'.repeat(200), { ref: 256 })).toThrow(SmsEncodeError);
    expect(() => encodeDeliver('+1', 'x'.repeat(200), { ref: 65535, refBits: 16 })).not.toThrow();
  });
});
