import { describe, expect, it } from 'vitest';
import { concatKey, decodePdu, encodeDeliver, joinParts, type DecodedDeliver } from '../../src/sms/index.js';

const dec = (hex: string): DecodedDeliver => decodePdu(hex) as DecodedDeliver;

/** Hand-built UCS2 DELIVER part with IEI 00 concat: lets a test cut a surrogate pair the way a foreign encoder would. */
function ucs2Part(ref: number, total: number, seq: number, units: number[]): string {
  const ud = Buffer.alloc(6 + units.length * 2);
  Buffer.from([5, 0, 3, ref, total, seq]).copy(ud);
  units.forEach((u, i) => ud.writeUInt16BE(u, 6 + i * 2));
  return '00' + '44' + '0B919700214365F7' + '0008' + '62111201000021' + ud.length.toString(16).padStart(2, '0') + ud.toString('hex');
}

describe('joinParts', () => {
  const text = 'Съешь же ещё этих мягких французских булок, да выпей чаю. 😀 '.repeat(4);
  const parts = encodeDeliver('+79001234567', text, { ref: 9 }).map(dec);

  it('joins parts in order', () => {
    expect(parts.length).toBeGreaterThan(2);
    expect(joinParts(parts)).toEqual({ text, encoding: 'ucs2', missing: [] });
  });

  it('joins parts in any order and drops duplicates by seq', () => {
    const shuffled = [parts[2]!, parts[0]!, parts[2]!, ...parts.slice(1).reverse(), parts[0]!];
    expect(joinParts(shuffled).text).toBe(text);
  });

  it('reports missing seqs', () => {
    const r = joinParts([parts[0]!, parts[2]!]);
    expect(r.missing).toEqual([2, ...Array.from({ length: parts.length - 3 }, (_, i) => i + 4)]);
    expect(r.text.startsWith(parts[0]!.text)).toBe(true);
  });

  it('keeps a surrogate pair that another encoder split across two parts', () => {
    const p1 = dec(ucs2Part(1, 2, 1, [0x0048, 0x0069, 0xd83d])); // 'Hi' + high surrogate of 😀
    const p2 = dec(ucs2Part(1, 2, 2, [0xde00, 0x0021])); // low surrogate + '!'
    expect(p1.text).toBe('Hi\ufffd'); // one part alone cannot show it
    expect(joinParts([p2, p1]).text).toBe('Hi😀!');
  });

  it('keeps a GSM-7 escape that another encoder split across two parts', () => {
    const p1 = { encoding: 'gsm7' as const, payload: 'price 10\x1b', text: 'price 10', concat: { ref: 1, total: 2, seq: 1, refBits: 8 as const } };
    const p2 = { encoding: 'gsm7' as const, payload: 'e', text: 'e', concat: { ref: 1, total: 2, seq: 2, refBits: 8 as const } };
    expect(joinParts([p1, p2]).text).toBe('price 10€');
  });

  it('joins GSM-7 parts with 16-bit refs', () => {
    const t = '{json} '.repeat(60);
    const p = encodeDeliver('SCSERV', t, { refBits: 16, ref: 4242 }).map(dec);
    expect(joinParts(p)).toEqual({ text: t, encoding: 'gsm7', missing: [] });
  });

  it('accepts payloads that went through JSON (Buffer → {type,data})', () => {
    const revived = JSON.parse(JSON.stringify(parts)) as DecodedDeliver[];
    expect(joinParts(revived).text).toBe(text);
  });

  it('a single unconcatenated message joins to itself', () => {
    const [one] = encodeDeliver('+1', 'single').map(dec);
    expect(joinParts([one!])).toEqual({ text: 'single', encoding: 'gsm7', missing: [] });
  });

  it('concatKey groups by sender, ref width, ref and total', () => {
    expect(concatKey(parts[0]!)).toBe(concatKey(parts[1]!));
    const other = encodeDeliver('+79001234568', text, { ref: 9 }).map(dec)[0]!;
    expect(concatKey(other)).not.toBe(concatKey(parts[0]!));
    const wide = encodeDeliver('+79001234567', text, { ref: 9, refBits: 16 }).map(dec)[0]!;
    expect(concatKey(wide)).not.toBe(concatKey(parts[0]!));
  });
});
