import { describe, expect, it } from 'vitest';
import {
  isGsm7,
  isGsm7Extension,
  packSeptets,
  septetLength,
  septetsToText,
  SmsEncodeError,
  splitText,
  textToSeptets,
  unpackSeptets,
} from '../../src/sms/index.js';

describe('GSM-7 alphabet', () => {
  it('maps the TS 23.038 positions that node-pdu gets wrong or that look alike', () => {
    expect(textToSeptets('@£$¥§¤¡¿à')).toEqual([0x00, 0x01, 0x02, 0x03, 0x5f, 0x24, 0x40, 0x60, 0x7f]);
    expect(textToSeptets('ΔΦΓΛΩΠΨΣΘΞ')).toEqual([0x10, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a]);
    expect(textToSeptets('Ç\n\r')).toEqual([0x09, 0x0a, 0x0d]);
  });

  it('encodes the extension table as ESC + code', () => {
    expect(textToSeptets('{}[]~^|\\€\f')).toEqual([
      0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x3c, 0x1b, 0x3e, 0x1b, 0x3d, 0x1b, 0x14, 0x1b, 0x40, 0x1b, 0x2f, 0x1b, 0x65, 0x1b, 0x0a,
    ]);
    for (const ch of '{}[]~^|\\€') expect(isGsm7Extension(ch)).toBe(true);
    expect(isGsm7Extension('a')).toBe(false);
  });

  it('counts extension characters as two septets', () => {
    expect(septetLength('abc')).toBe(3);
    expect(septetLength('a€b')).toBe(4);
    expect(septetLength('{}')).toBe(4);
  });

  it.each(['`', '°', '«', '\t', 'ç', 'ж', '😀', 'Α' /* Greek capital alpha */])('%j is not GSM-7', (ch) => {
    expect(isGsm7(`a${ch}b`)).toBe(false);
    expect(() => septetLength(ch)).toThrow(SmsEncodeError);
    expect(() => textToSeptets(ch)).toThrow(/U\+[0-9A-F]{4}/);
  });

  it('decodes ESC + unknown code as the basic character, and drops a dangling ESC', () => {
    expect(septetsToText([0x1b, 0x41, 0x42])).toBe('AB');
    expect(septetsToText([0x41, 0x1b])).toBe('A');
    expect(septetsToText([0x1b, 0x1b])).toBe(' ');
  });

  it('round-trips every character of both tables', () => {
    const all =
      '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà{}[]~^|\\€\f';
    expect(isGsm7(all)).toBe(true);
    expect(septetsToText(textToSeptets(all))).toBe(all);
  });
});

describe('septet packing', () => {
  it('packs "hellohello" as in the classic dreamfabric example', () => {
    expect(packSeptets(textToSeptets('hellohello')).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
  });

  it.each([0, 1, 3, 6])('round-trips with %d fill bits', (fill) => {
    const septets = textToSeptets('The quick brown fox {jumps}');
    const packed = packSeptets(septets, fill);
    expect(packed.length).toBe(Math.ceil((fill + septets.length * 7) / 8));
    expect(unpackSeptets(packed, septets.length, fill)).toEqual(septets);
  });
});

describe('splitText', () => {
  it.each([
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
  ])('%d septets → %d parts of ≤153 when split', (n, parts) => {
    const r = splitText('x'.repeat(n));
    expect(r.encoding).toBe('gsm7');
    expect(r.parts).toHaveLength(parts);
    if (parts > 1) for (const p of r.parts) expect(septetLength(p)).toBeLessThanOrEqual(153);
  });

  it('counts extension characters: 80 € fit one SMS, 81 do not', () => {
    expect(splitText('€'.repeat(80)).parts).toHaveLength(1);
    const r = splitText('€'.repeat(81));
    expect(r.parts.map((p) => septetLength(p))).toEqual([152, 10]); // 153 would split an escape
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ])('%d UCS2 units → %d parts of ≤67 when split', (n, parts) => {
    const r = splitText('ж'.repeat(n));
    expect(r.encoding).toBe('ucs2');
    expect(r.parts).toHaveLength(parts);
    expect(r.parts.join('')).toBe('ж'.repeat(n));
  });

  it('keeps surrogate pairs whole at every boundary', () => {
    for (let lead = 60; lead <= 70; lead++) {
      const text = 'ж'.repeat(lead) + '😀👍🏽'.repeat(30);
      const r = splitText(text);
      expect(r.parts.join('')).toBe(text);
      for (const p of r.parts) {
        expect(p.length).toBeLessThanOrEqual(r.parts.length > 1 ? 67 : 70);
        expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p)).toBe(false);
      }
    }
  });
});
