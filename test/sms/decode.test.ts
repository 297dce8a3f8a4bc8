import { describe, expect, it } from 'vitest';
import { decodePdu, encodeDeliver, encodeSubmit, PduDecodeError, type DecodedDeliver } from '../../src/sms/index.js';

const G1 = '07919761989901F0000B919700214365F700006211120100000010C8329BFD0699E5EF7EDB0DB2BFDB0A';

function reason(hex: string, opts?: { smscPrefix?: boolean }): string {
  try {
    decodePdu(hex, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(PduDecodeError);
    return (e as PduDecodeError).reason;
  }
  return 'decoded';
}

describe('decodePdu', () => {
  it('reads the DELIVER header fields', () => {
    const d = decodePdu(G1) as DecodedDeliver;
    expect(d).toMatchObject({
      type: 'deliver', smsc: '+79168999100', sender: '+79001234567', senderType: 'international',
      timestamp: '2026-11-21T10:00:00+00:00', encoding: 'gsm7', pid: 0, dcs: 0, moreMessages: true,
    });
  });

  it('ignores whitespace around the hex (a +CMGL line with CR)', () => {
    expect(decodePdu(`  ${G1}\r\n`).type).toBe('deliver');
  });

  it.each([
    ['G', 'non-hex character "G" at position 0'],
    ['0', 'odd length 1'],
    ['', 'empty PDU'],
    ['07', 'truncated at SMSC type'],
    ['0791976198', 'truncated at SMSC digits (need 6 octets at offset 2, have 3)'],
    ['00', 'truncated at first octet'],
    ['0000', 'truncated at TP-OA length'],
    ['00000B91', 'truncated at TP-OA digits'],
    ['00000B919700214365F7', 'truncated at TP-PID'],
    ['00000B919700214365F700', 'truncated at TP-DCS'],
    ['00000B919700214365F7000062', 'truncated at TP-SCTS'],
    ['00000B919700214365F7000062111201000021', 'truncated at TP-UDL'],
    ['00000B919700214365F7000062111201000021' + '05C8', 'UDL exceeds data: TP-UDL 5 septets needs 5 octets, have 1'],
    ['0001', 'truncated at TP-MR'],
    ['0006AA', 'truncated at TP-RA length'],
    ['0006AA0B919700214365F7621112010000216211120100002', 'odd length'],
    ['0006AA0B919700214365F762111201000021621112010000', 'truncated at TP-DT'],
    ['0006AA0B919700214365F76211120100002162111201000021', 'truncated at TP-ST'],
    ['0011000B919700214365F70000', 'truncated at TP-VP'],
    ['0019000B919700214365F7000062', 'truncated at TP-VP'],
    ['00400B919700214365F7000062111201000021', 'truncated at TP-UDL'],
    ['00400B919700214365F700006211120100002100', 'bad UDH length: TP-UDHI set but TP-UDL is 0'],
    ['00400B919700214365F7000062111201000021020500', 'bad UDH length: UDHL 5 exceeds'],
    ['00400B919700214365F700086211120100002103020001', 'bad UDH: IE 0x00 length 1 overruns'],
    ['00400B919700214365F7000862111201000021020100', 'bad UDH: IE at offset 0 has no length octet'],
    ['00000B919700214365F70000621112010000AA00', 'bad TP-SCTS: zone octet 0xaa is not BCD'],
    ['00000B919700214365F7000062111201000021' + 'A0' + '00'.repeat(140), 'decoded'],
    ['00000B919700214365F7000062111201000021' + 'A1' + '00'.repeat(141), 'TP-UDL 161 exceeds the 160 septets'],
    ['00000B919700214365F7000862111201000021A1' + '00'.repeat(161), 'TP-UDL 161 exceeds the 140 octets'],
    ['00000B919700214365F7000062111201000021' + '00', 'decoded'],
  ])('%s → %s', (hex, why) => {
    expect(reason(hex)).toContain(why);
  });

  it('the error carries code, pdu and a message naming both', () => {
    try {
      decodePdu('00000B91');
      expect.unreachable();
    } catch (e) {
      const err = e as PduDecodeError;
      expect(err.code).toBe('PDU_DECODE');
      expect(err.pdu).toBe('00000B91');
      expect(err.message).toBe('Cannot decode PDU: truncated at TP-OA digits (need 6 octets at offset 4, have 0) (pdu: 00000B91)');
    }
  });

  it('smscPrefix:false reads the TPDU directly', () => {
    const [p] = encodeSubmit('+79001234567', 'tpdu only');
    expect(decodePdu(p!.hex.slice(2), { smscPrefix: false })).toMatchObject({ type: 'submit', text: 'tpdu only' });
    expect(decodePdu(p!.hex.slice(2), { smscPrefix: false })).not.toHaveProperty('smsc');
  });

  it('uses TP-UDL, not the line length: FF padding and junk are ignored', () => {
    const [h] = encodeDeliver('+79001234567', 'ж€');
    expect((decodePdu(h + 'FFFFFFFF') as DecodedDeliver).text).toBe('ж€');
    expect((decodePdu(h + '0041') as DecodedDeliver).text).toBe('ж€');
  });

  it('lower-case hex decodes the same', () => {
    const [h] = encodeDeliver('SCSERV', 'Mixed {case} ж');
    expect(decodePdu(h!.toLowerCase())).toEqual(decodePdu(h!));
  });

  it('DCS groups: class via 0xF0-0xF3, 8-bit via 0xF4, UCS2 MWI group 0xE0, compressed as 8bit', () => {
    const mk = (dcs: string, ud: string): DecodedDeliver =>
      decodePdu('00000B919700214365F700' + dcs + '62111201000021' + ud) as DecodedDeliver;
    expect(mk('F0', '01' + '41')).toMatchObject({ encoding: 'gsm7', messageClass: 0, text: 'A' });
    expect(mk('F6', '01' + '41')).toMatchObject({ encoding: '8bit', messageClass: 2, text: 'A' });
    expect(mk('E0', '02' + '0436')).toMatchObject({ encoding: 'ucs2', text: 'ж' });
    expect(mk('24', '01' + '41')).toMatchObject({ encoding: '8bit' });
    expect(mk('00', '01' + '41').messageClass).toBeUndefined();
  });

  it('status reports: delivered, pending, failed', () => {
    const sr = (st: string) => decodePdu('0006AA0B919700214365F7' + '62111201000021' + '62111201051221' + st);
    expect(sr('00')).toMatchObject({ type: 'status-report', mr: 0xaa, status: 0, delivered: true, final: true, dischargedAt: '2026-11-21T10:50:21+03:00' });
    expect(sr('21')).toMatchObject({ delivered: false, final: false });
    expect(sr('41')).toMatchObject({ delivered: false, final: true });
    expect(sr('60')).toMatchObject({ delivered: false, final: true });
  });

  it('never throws anything but PduDecodeError and never hangs on random or mutated input', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const hex = (n: number): string => Array.from({ length: n }, () => '0123456789ABCDEFfx'[rnd(16 + (rnd(50) === 0 ? 2 : 0))]).join('');
    const bases = [G1, ...encodeSubmit('+79001234567', 'ж😀{}'.repeat(30), { ref: 1, validityMinutes: 99 }).map((p) => p.hex), ...encodeDeliver('SCSERV', 'x'.repeat(200), { refBits: 16 })];
    let ok = 0;
    let errors = 0;
    for (let i = 0; i < 20000; i++) {
      let input: string;
      if (i % 2) input = hex(rnd(120));
      else {
        const b = bases[rnd(bases.length)]!.split('');
        for (let k = 0, m = 1 + rnd(4); k < m; k++) b[rnd(b.length)] = '0123456789ABCDEF'[rnd(16)]!;
        input = b.join('').slice(0, rnd(3) ? undefined : rnd(b.length));
      }
      try {
        decodePdu(input);
        ok++;
      } catch (e) {
        if (!(e instanceof PduDecodeError)) throw new Error(`non-PduDecodeError for ${input}: ${String(e)}`);
        errors++;
      }
    }
    expect(ok).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(1000);
  });

  it('non-string input is a PduDecodeError, not a TypeError', () => {
    expect(() => decodePdu(undefined as unknown as string)).toThrow(PduDecodeError);
    expect(() => decodePdu(42 as unknown as string)).toThrow(PduDecodeError);
  });
});
