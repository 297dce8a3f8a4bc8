/**
 * node-pdu 2.1.1 defects we route around (docs/../field-notes "node-pdu"): each test pins
 * node-pdu's WRONG output next to ours, so a node-pdu release that fixes one makes its test fail
 * and we notice we could drop our workaround.
 */
import { readFileSync } from 'node:fs';
import { Deliver, parse, Submit } from 'node-pdu';
import { describe, expect, it } from 'vitest';
import { decodePdu, encodeSubmit, PduDecodeError, type DecodedSubmit } from '../../src/sms/index.js';

const sub = (hex: string): DecodedSubmit => decodePdu(hex) as DecodedSubmit;
const partsOf = (to: string, text: string): string[] => new Submit(to, text).getPartStrings();

describe('node-pdu 2.1.1 defects vs our codec', () => {
  it('1: national number with 00 — node-pdu sends to +001234567, we to 89001234567 (TOA 0x81)', () => {
    expect(sub(new Submit('89001234567', 'Hi').toString())).toMatchObject({ to: '+001234567', toType: 'international' });
    const [ours] = encodeSubmit('89001234567', 'Hi');
    expect(ours!.hex).toContain('0B819800214365F7');
    expect(sub(ours!.hex)).toMatchObject({ to: '89001234567', toType: 'unknown' });
  });

  it('2: formatted +7 900 123-45-67 — node-pdu loses the international type', () => {
    expect(sub(new Submit('+7 900 123-45-67', 'Hi').toString())).toMatchObject({ to: '79001234567', toType: 'unknown' });
    expect(sub(encodeSubmit('+7 900 123-45-67', 'Hi')[0]!.hex)).toMatchObject({ to: '+79001234567', toType: 'international' });
  });

  it('3: segment limits — node-pdu splits at 140/133 septets and 63 UCS2 units, always with 16-bit refs', () => {
    expect(partsOf('+79001234567', 'x'.repeat(141))).toHaveLength(2);
    expect(encodeSubmit('+79001234567', 'x'.repeat(160))).toHaveLength(1);
    const np = partsOf('+79001234567', 'x'.repeat(300)).map((h) => sub(h));
    expect(np.map((p) => p.text.length)).toEqual([133, 133, 34]);
    expect(np[0]!.concat?.refBits).toBe(16);
    expect(encodeSubmit('+79001234567', 'x'.repeat(300)).map((p) => sub(p.hex).text.length)).toEqual([153, 147]);
    expect(partsOf('+79001234567', 'ж'.repeat(200)).map((h) => sub(h).text.length)).toEqual([63, 63, 63, 11]);
    const ours = encodeSubmit('+79001234567', 'ж'.repeat(200)).map((p) => sub(p.hex));
    expect(ours.map((p) => p.text.length)).toEqual([67, 67, 66]);
    expect(ours[0]!.concat?.refBits).toBe(8);
  });

  it('4: extension characters count one septet in node-pdu — UDL 200 in a single SMS (invalid)', () => {
    const np = partsOf('+79001234567', '{'.repeat(100));
    expect(np).toHaveLength(1);
    expect(() => decodePdu(np[0]!)).toThrow(/TP-UDL 200 exceeds the 160 septets/);
    const ours = encodeSubmit('+79001234567', '{'.repeat(100));
    expect(ours).toHaveLength(2);
    expect(ours.map((p) => sub(p.hex).text).join('')).toBe('{'.repeat(100));
  });

  it('5a: characters outside GSM 03.38 become spaces in node-pdu; we switch to UCS2', () => {
    expect(sub(partsOf('+79001234567', '20°C')[0]!).text).toBe('20 C');
    expect(sub(encodeSubmit('+79001234567', '20°C')[0]!.hex)).toMatchObject({ text: '20°C', encoding: 'ucs2' });
    expect(sub(encodeSubmit('+79001234567', 'a\tb «c»')[0]!.hex).text).toBe('a\tb «c»');
  });

  it('5b: node-pdu maps ` to 0x5F (which is §) and § to a space', () => {
    expect(sub(partsOf('+79001234567', 'a`b')[0]!).text).toBe('a§b');
    expect(sub(partsOf('+79001234567', '§')[0]!).text).toBe(' ');
    expect(sub(encodeSubmit('+79001234567', '§')[0]!.hex)).toMatchObject({ text: '§', encoding: 'gsm7' });
    expect(sub(encodeSubmit('+79001234567', 'a`b')[0]!.hex)).toMatchObject({ text: 'a`b', encoding: 'ucs2' });
  });

  it('6: node-pdu splits an emoji surrogate pair across parts; we never do', () => {
    const text = 'a'.repeat(62) + '😀' + 'b'.repeat(10);
    const np = partsOf('+79001234567', text).map((h) => sub(h));
    expect(np[0]!.text.endsWith('\ufffd')).toBe(true); // half a pair at the end of part 1
    const ours = encodeSubmit('+79001234567', 'a'.repeat(66) + '😀' + 'b'.repeat(10));
    expect(ours.map((p) => p.text)).toEqual(['a'.repeat(66), '😀' + 'b'.repeat(10)]);
    for (const p of ours) expect(sub(p.hex).text).not.toContain('\ufffd');
  });

  it('7a: setValidityPeriod() does not reach the PDU (no TP-VPF, no TP-VP); we set VPF=10 and the VP octet', () => {
    const s = new Submit('+79001234567', 'Hi');
    s.setValidityPeriod(167);
    expect(sub(s.toString()).validity).toBeUndefined();
    const ours = sub(encodeSubmit('+79001234567', 'Hi', { validityMinutes: 1440 })[0]!.hex);
    expect(ours.validity).toEqual({ format: 'relative', minutes: 1440, raw: 167 });
  });

  it('7b: setData() on a long Submit keeps a stale UDHI — the short text is read as a UDH', () => {
    const s = new Submit('+79001234567', 'x'.repeat(200));
    s.toString();
    s.setData('short');
    const [hex] = s.getPartStrings();
    expect(() => decodePdu(hex!)).toThrow(PduDecodeError);
    expect(() => decodePdu(hex!)).toThrow(/bad UDH length/);
    // Ours builds every PDU from scratch: no UDHI without a UDH.
    const [ours] = encodeSubmit('+79001234567', 'short');
    expect(parseInt(ours!.hex.slice(2, 4), 16) & 0x40).toBe(0);
  });

  it('8a: node-pdu getIsoString() renders +05:30 as "+5.5:00" and zone 0 as "-00:00"', () => {
    const half = '07919761989901F0000B919700214365F70000621112010000220AC8329BFD0699E5EF93';
    const zero = '07919761989901F0000B919700214365F70000621112010000000AC8329BFD0699E5EF93';
    expect((parse(half) as Deliver).serviceCenterTimeStamp.getIsoString()).toBe('2026-11-21T10:00:00+5.5:00');
    expect((parse(zero) as Deliver).serviceCenterTimeStamp.getIsoString()).toBe('2026-11-21T10:00:00-00:00');
    expect(decodePdu(half)).toMatchObject({ timestamp: '2026-11-21T10:00:00+05:30', tzOffsetMinutes: 330 });
    expect(decodePdu(zero)).toMatchObject({ timestamp: '2026-11-21T10:00:00+00:00', tzOffsetMinutes: 0 });
  });

  it('8b: node-pdu decodes a PDU whose TP-UDL exceeds its data without complaint; we reject it', () => {
    const truncated = '07919761989901F0000B919700214365F7000062111201000000A0C8329BFD';
    expect((parse(truncated) as Deliver).data.getText()).toBe('Hell');
    expect(() => decodePdu(truncated)).toThrow(/UDL exceeds data: TP-UDL 160 septets needs 140 octets, have 4/);
  });

  it('node-pdu decoding agrees with ours on the well-formed fixture vectors (why it stays a cross-check)', () => {
    const { vectors } = JSON.parse(readFileSync(new URL('../fixtures/pdu-vectors.json', import.meta.url), 'utf8')) as {
      vectors: { name: string; hex: string; smscPrefix?: boolean }[];
    };
    let compared = 0;
    for (const v of vectors) {
      if (v.smscPrefix === false) continue; // node-pdu's parse always expects the SMSC field
      const ours = decodePdu(v.hex);
      if (ours.type === 'status-report' || ours.encoding === '8bit') continue;
      const np = parse(v.hex);
      expect(ours.text, v.name).toBe((np as Deliver).data.getText());
      compared++;
    }
    expect(compared).toBeGreaterThan(25);
  });
});
