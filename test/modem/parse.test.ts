import { describe, expect, it } from 'vitest';
import {
  chooseCnmi,
  cnmiDs,
  parseCsmsService,
  parseClip,
  parseCmgl,
  parseCmgr,
  parseCmgs,
  parseCmti,
  parseCnmiSupport,
  parseCops,
  parseCreg,
  parseCsq,
  splitParams,
} from '../../src/modem/parse.js';

describe('AT reply parsers', () => {
  it('splits parameters outside quotes only', () => {
    expect(splitParams('"SM",3')).toEqual(['SM', '3']);
    expect(splitParams('0,0,"MTS, RUS",2')).toEqual(['0', '0', 'MTS, RUS', '2']);
  });

  it('parses +CMGL with empty alpha, missing length and lower-case hex', () => {
    const lines = [
      '+CMGL: 1,0,,24',
      '07919730071111f1040b919700214365f70000',
      '+CMGL: 2,1',
      '0791973007111111040B919700214365F70000',
      '+CMGL: 3,1,"",20',
      '+CMGL: 4,0,,5',
      'ZZZ',
    ];
    const { items, problems } = parseCmgl(lines, 'SM');
    expect(items.map((i) => [i.index, i.status])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(items[0]!.pdu).toBe('07919730071111F1040B919700214365F70000');
    expect(problems).toEqual(['+CMGL index 3 has no PDU line', '+CMGL index 4 has no PDU line']);
  });

  it('parses +CMGR and treats an empty slot as nothing', () => {
    expect(parseCmgr(['+CMGR: 0,,24', '0791AB'], 'ME', 7)).toEqual({ memory: 'ME', index: 7, status: 0, pdu: '0791AB' });
    expect(parseCmgr([], 'SM', 1)).toBeUndefined();
  });

  it('parses +CMTI for SM and ME, rejects junk', () => {
    expect(parseCmti('+CMTI: "SM",3')).toEqual({ memory: 'SM', index: 3 });
    expect(parseCmti('+CMTI: "me",12')).toEqual({ memory: 'ME', index: 12 });
    expect(parseCmti('+CMTI: "SM",')).toBeUndefined();
  });

  it('parses +CLIP numbers, adding + for type 145 and reporting withheld callers', () => {
    expect(parseClip('+CLIP: "+79001234567",145,,,,0')).toBe('+79001234567');
    expect(parseClip('+CLIP: "79001234567",145')).toBe('+79001234567');
    expect(parseClip('+CLIP: "89001234567",129')).toBe('89001234567');
    expect(parseClip('+CLIP: "",128,,,,1')).toBe('unknown');
  });

  it('parses signal, registration (reply and URC forms), operator, +CMGS', () => {
    expect(parseCsq(['+CSQ: 18,99'])).toEqual({ rssi: 18, dbm: -77, ber: 99 });
    expect(parseCsq(['+CSQ: 99,99'])!.dbm).toBeUndefined();
    expect(parseCreg('+CREG: 0,1')).toMatchObject({ stat: 1, registered: true });
    expect(parseCreg('+CREG: 5')).toMatchObject({ stat: 5, registered: true });
    expect(parseCreg('+CREG: 2,"1A2B","00C3"')).toMatchObject({ stat: 2, registered: false });
    expect(parseCreg('+CREG: 2,5,"1A2B","00C3"')).toMatchObject({ stat: 5, text: 'registered (roaming)' });
    expect(parseCops(['+COPS: 0,0,"MTS-RUS",2'])).toBe('MTS-RUS');
    expect(parseCmgs(['+CMGS: 12'])).toBe(12);
    expect(parseCmgs(['+CMGS: 255,"26/11/21,10:00:00+12"'])).toBe(255);
    expect(parseCmgs(['OK'])).toBeUndefined();
  });

  it('chooses AT+CNMI from what AT+CNMI=? supports', () => {
    const full = parseCnmiSupport(['+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)']);
    expect(full).toEqual([[0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1]]);
    // Status reports routed with their PDU (ds=1) where the modem offers it…
    expect(chooseCnmi(full)).toBe('AT+CNMI=2,1,0,1,0');
    expect(chooseCnmi(full, true)).toBe('AT+CNMI=2,2,0,1,0');
    // …else stored and announced (ds=2).
    expect(chooseCnmi(parseCnmiSupport(['+CNMI: (0-3),(0-3),(0,2),(0,2),(0,1)']))).toBe('AT+CNMI=2,1,0,2,0');
    expect(cnmiDs('AT+CNMI=2,1,0,2,0')).toBe(2);
    expect(cnmiDs('AT+CNMI=1,1')).toBe(0);
    expect(parseCsmsService(['+CSMS: 1,1,1,1'])).toBe(1);
    expect(parseCsmsService(['+CSMS: 0,1,1,1'])).toBe(0);
    expect(parseCsmsService(['OK'])).toBeUndefined();
    const limited = parseCnmiSupport(['+CNMI: (0,1),(0,1),(0),(0),(0)']);
    expect(chooseCnmi(limited)).toBe('AT+CNMI=1,1,0,0,0');
    expect(chooseCnmi(undefined)).toBe('AT+CNMI=2,1,0,2,0');
  });
});
