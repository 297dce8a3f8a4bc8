import { describe, expect, it } from 'vitest';
import {
  decodePdu,
  encodeSubmit,
  InvalidNumberError,
  SmsEncodeError,
  type DecodedSubmit,
} from '../../src/sms/index.js';

const sub = (hex: string): DecodedSubmit => decodePdu(hex) as DecodedSubmit;
const fo = (hex: string): number => parseInt(hex.slice(2, 4), 16);

describe('encodeSubmit', () => {
  it('matches a published single-part vector byte for byte (python-gsmmodem test_pdu.py)', () => {
    const [p] = encodeSubmit('+27820001111', 'Hello World!');
    expect(p!.hex).toBe('00' + '01000B917228001011F100000CC8329BFD065DDF72363904');
    expect(p!.tpduLength).toBe(p!.hex.length / 2 - 1);
    expect(p).toMatchObject({ seq: 1, total: 1, text: 'Hello World!', encoding: 'gsm7' });
    expect(p!.ref).toBeUndefined();
  });

  it('matches published concatenated GSM-7 vectors (UDH 050003, 1 fill bit) apart from TP-RD', () => {
    const text =
      'Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure dolor in reprehenderit in voluptate velit esse cillum doloe eu fugiat nulla pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum';
    // python-gsmmodem test_encodeSmsSubmit_concatenated (its first octet 0x45 sets reject-duplicates; ours is 0x41).
    const published = [
      '0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD',
      '0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE6687DBE337881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB3D2FC7EB61BA8B584FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD37450DA0DB2BFD975383D4C2F83EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA',
      '0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287C56F79BD0D',
    ];
    const ours = encodeSubmit('+15125551234', text, { ref: 0 });
    expect(ours.map((p) => p.hex)).toEqual(published.map((h) => '00' + '41' + h.slice(4)));
    expect(ours.map((p) => [p.seq, p.total, p.ref])).toEqual([[1, 3, 0], [2, 3, 0], [3, 3, 0]]);
  });

  describe('numbers', () => {
    it.each([
      ['+79001234567', '0B919700214365F7', '+79001234567'],
      ['+7 900 123-45-67', '0B919700214365F7', '+79001234567'],
      ['+7 (900) 123-45-67', '0B919700214365F7', '+79001234567'],
      ['89001234567', '0B819800214365F7', '89001234567'],
      ['8 (900) 123 45 67', '0B819800214365F7', '89001234567'],
      ['0049301234567', '0D81009403214365F7', '0049301234567'],
      ['900', '038109F0', '900'],
    ])('%s → address field %s', (input, field, decoded) => {
      const [p] = encodeSubmit(input, 'x');
      expect(p!.hex.slice(6, 6 + field.length)).toBe(field);
      expect(sub(p!.hex).to).toBe(decoded);
    });

    it.each([
      ['', 'empty'],
      ['   ', 'empty'],
      ['+', 'no digits'],
      ['SCSERV', 'unexpected character "S"'],
      ['+7900+123', 'unexpected character "+"'],
      ['123#4', 'unexpected character "#"'],
      ['1'.repeat(21), '21 digits'],
    ])('rejects %j (%s) with InvalidNumberError', (input, reason) => {
      let err: unknown;
      try {
        encodeSubmit(input, 'x');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidNumberError);
      expect((err as InvalidNumberError).code).toBe('INVALID_NUMBER');
      expect((err as Error).message).toContain(reason);
    });
  });

  describe('alphabet and limits', () => {
    it.each([
      ['x'.repeat(160), 'gsm7', 1],
      ['x'.repeat(161), 'gsm7', 2],
      ['x'.repeat(306), 'gsm7', 2],
      ['x'.repeat(307), 'gsm7', 3],
      ['€'.repeat(80), 'gsm7', 1],
      ['€'.repeat(81), 'gsm7', 2],
      ['ж'.repeat(70), 'ucs2', 1],
      ['ж'.repeat(71), 'ucs2', 2],
      ['ж'.repeat(134), 'ucs2', 2],
      ['ж'.repeat(135), 'ucs2', 3],
      ['😀'.repeat(35), 'ucs2', 1],
      ['😀'.repeat(36), 'ucs2', 2],
    ])('%#: %d chars → %s, %d part(s), every part decodes and rejoins', (text, encoding, n) => {
      const parts = encodeSubmit('+79001234567', text, { ref: 200 });
      expect(parts).toHaveLength(n);
      const decoded = parts.map((p) => sub(p.hex));
      for (const d of decoded) {
        expect(d.encoding).toBe(encoding);
        if (d.encoding === 'gsm7') expect(d.payload.length).toBeLessThanOrEqual(n > 1 ? 153 : 160);
        else expect((d.payload as Buffer).length).toBeLessThanOrEqual(n > 1 ? 134 : 140);
      }
      expect(decoded.map((d) => d.text).join('')).toBe(text);
      if (n > 1) expect(decoded.map((d) => d.concat)).toEqual(decoded.map((_, i) => ({ ref: 200, total: n, seq: i + 1, refBits: 8 })));
    });

    it('tpduLength is the octet count without the 00 SMSC prefix (for AT+CMGS=<n>)', () => {
      for (const p of encodeSubmit('+79001234567', 'ж'.repeat(100), { validityMinutes: 60 })) {
        expect(p.hex.startsWith('00')).toBe(true);
        expect(p.tpduLength).toBe((p.hex.length - 2) / 2);
      }
    });

    it('never splits an escape sequence: € at septets 153-154 moves to part 2', () => {
      const parts = encodeSubmit('+79001234567', 'a'.repeat(152) + '€' + 'b'.repeat(10), { ref: 1 });
      expect(parts.map((p) => p.text)).toEqual(['a'.repeat(152), '€' + 'b'.repeat(10)]);
      expect(sub(parts[1]!.hex).payload).toBe('\x1be' + 'b'.repeat(10));
    });

    it('never splits a surrogate pair: an emoji at units 67-68 moves to part 2', () => {
      const parts = encodeSubmit('+79001234567', 'ж'.repeat(66) + '😀' + 'ж'.repeat(10), { ref: 1 });
      expect(parts.map((p) => p.text)).toEqual(['ж'.repeat(66), '😀' + 'ж'.repeat(10)]);
      expect(sub(parts[0]!.hex).text).toBe('ж'.repeat(66));
    });

    it('one non-GSM character makes the whole message UCS2, nothing replaced', () => {
      const [p] = encodeSubmit('+79001234567', 'Temp 20°C ok');
      expect(sub(p!.hex)).toMatchObject({ encoding: 'ucs2', text: 'Temp 20°C ok', dcs: 0x08 });
    });

    it('UDHI is set exactly when there is a UDH', () => {
      expect(fo(encodeSubmit('+79001234567', 'short')[0]!.hex) & 0x40).toBe(0);
      for (const p of encodeSubmit('+79001234567', 'y'.repeat(200))) expect(fo(p.hex) & 0x40).toBe(0x40);
    });

    it('rejects a text that needs more than 255 parts', () => {
      expect(() => encodeSubmit('+79001234567', 'ж'.repeat(67 * 255 + 1))).toThrow(SmsEncodeError);
      expect(encodeSubmit('+79001234567', 'ж'.repeat(67 * 255), { ref: 3 })).toHaveLength(255);
    });

    it('an empty text is one empty GSM-7 SMS', () => {
      const [p] = encodeSubmit('+79001234567', '');
      expect(sub(p!.hex)).toMatchObject({ text: '', encoding: 'gsm7' });
    });
  });

  describe('options', () => {
    it('statusReport sets TP-SRR', () => {
      const [p] = encodeSubmit('+79001234567', 'x', { statusReport: true });
      expect(fo(p!.hex) & 0x20).toBe(0x20);
      expect(sub(p!.hex).statusReportRequest).toBe(true);
      expect(sub(encodeSubmit('+79001234567', 'x')[0]!.hex).statusReportRequest).toBe(false);
    });

    it.each([
      [5, 0x00, 5],
      [60, 11, 60],
      [61, 12, 65],
      [720, 143, 720],
      [721, 144, 750],
      [1440, 167, 1440],
      [1441, 168, 2 * 1440],
      [3 * 1440, 169, 3 * 1440],
      [30 * 1440, 196, 30 * 1440],
      [30 * 1440 + 1, 197, 5 * 10080],
      [63 * 10080, 255, 63 * 10080],
    ])('validityMinutes %d → VPF=10, TP-VP 0x%s (%d min)', (minutes, vp, effective) => {
      const [p] = encodeSubmit('+79001234567', 'x', { validityMinutes: minutes });
      expect((fo(p!.hex) >> 3) & 0x03).toBe(2);
      expect(sub(p!.hex).validity).toEqual({ format: 'relative', minutes: effective, raw: vp });
    });

    it.each([0, -5, Number.NaN, 63 * 10080 + 1])('rejects validityMinutes %d', (m) => {
      expect(() => encodeSubmit('+79001234567', 'x', { validityMinutes: m })).toThrow(/validityMinutes/);
    });

    it('flash sets class 0 in the DCS (0x10 for GSM-7, 0x18 for UCS2)', () => {
      expect(sub(encodeSubmit('+79001234567', 'x', { flash: true })[0]!.hex)).toMatchObject({ dcs: 0x10, messageClass: 0 });
      expect(sub(encodeSubmit('+79001234567', 'ж', { flash: true })[0]!.hex)).toMatchObject({ dcs: 0x18, messageClass: 0 });
      expect(sub(encodeSubmit('+79001234567', 'x')[0]!.hex).messageClass).toBeUndefined();
    });

    it.each([-1, 256, 1.5])('rejects ref %d', (ref) => {
      expect(() => encodeSubmit('+79001234567', 'x'.repeat(200), { ref })).toThrow(SmsEncodeError);
    });

    it('picks a ref 0..255 when none is given, the same for all parts', () => {
      const parts = encodeSubmit('+79001234567', 'x'.repeat(400));
      expect(new Set(parts.map((p) => p.ref)).size).toBe(1);
      expect(parts[0]!.ref).toBeGreaterThanOrEqual(0);
      expect(parts[0]!.ref).toBeLessThanOrEqual(255);
    });
  });
});
