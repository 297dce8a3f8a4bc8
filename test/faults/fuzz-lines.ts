/**
 * Seeded generators of hostile modem output: mutated real PDUs, URCs with broken arguments,
 * invalid UTF-8, overlong lines, CR/LF soup and prompt fragments — what a flaky USB-serial link,
 * a buggy firmware or line noise can put on the wire.
 */
import { readFileSync } from 'node:fs';
import { encodeDeliver } from '../../src/sms/index.js';

export type Rand = () => number;

/** Real PDUs to mutate: the shared fixture vectors plus a few of our own (UCS2, multipart, 8-bit). */
export function seedPdus(): string[] {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/pdu-vectors.json', import.meta.url), 'utf8')) as { vectors: { hex: string }[] };
  const ours = [
    ...encodeDeliver('+79001234567', 'Привет, мир! 👋'),
    ...encodeDeliver('+79001234567', 'x'.repeat(400)),
    ...encodeDeliver('SCSERV', 'Balance: 100 ₽ {promo} [1]'),
    ...encodeDeliver('900', 'bytes', { encoding: '8bit' }),
  ];
  return [...fx.vectors.map((v) => v.hex), ...ours];
}

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T,>(r: Rand, a: readonly T[]): T => a[int(r, a.length)]!;
const HEX = [...'0123456789ABCDEF'];

/** One mutation of a hex PDU: flips, truncation, FF padding, junk after TP-UDL, non-hex, length lies. */
export function mutatePdu(r: Rand, hex: string): string {
  let h = hex;
  const ops = 1 + int(r, 3);
  for (let i = 0; i < ops; i++) {
    switch (int(r, 10)) {
      case 0: // flip a nibble
        if (h.length) {
          const p = int(r, h.length);
          h = h.slice(0, p) + pick(r, HEX) + h.slice(p + 1);
        }
        break;
      case 1: // truncate
        h = h.slice(0, int(r, h.length + 1));
        break;
      case 2: // FF padding (Huawei/ZTE pad stored PDUs to 176 octets)
        h += 'FF'.repeat(1 + int(r, 100));
        break;
      case 3: // junk after TP-UDL
        h += Array.from({ length: 2 * (1 + int(r, 20)) }, () => pick(r, HEX)).join('');
        break;
      case 4: // non-hex characters
        h = h.slice(0, int(r, h.length + 1)) + pick(r, ['G', 'Z', ' ', '-', '\u00ff', 'ж', '\t', '"']) + h.slice(int(r, h.length + 1));
        break;
      case 5: // odd length
        h = h.slice(0, h.length - 1);
        break;
      case 6: // lie in a length octet (SMSC length, address length, UDL)
        if (h.length >= 4) {
          const p = 2 * int(r, Math.min(h.length / 2, 30));
          h = h.slice(0, p) + pick(r, ['00', 'FF', '7F', '8C', 'A0', '0B', '01']) + h.slice(p + 2);
        }
        break;
      case 7: // lower-case (some firmwares)
        h = h.toLowerCase();
        break;
      case 8: // duplicate a slice
        {
          const a = int(r, h.length + 1);
          h = h.slice(0, a) + h.slice(a, a + int(r, 40)) + h.slice(a);
        }
        break;
      default: // random bytes as hex
        h = Array.from({ length: 2 * (1 + int(r, 180)) }, () => pick(r, HEX)).join('');
    }
  }
  return h;
}

const URC_FORMS: ((r: Rand) => string)[] = [
  (r) => `+CMTI: "${pick(r, ['SM', 'ME', 'MT', '', 'XX', 'SM"'])}",${pick(r, [String(int(r, 400)), '-1', 'abc', '', '99999999999999999999'])}`,
  (r) => `+CMT: ${pick(r, ['', '"alpha"', ','])},${pick(r, [String(int(r, 200)), 'x', ''])}`,
  () => 'RING',
  (r) => `+CRING: ${pick(r, ['VOICE', '', 'FAX'])}`,
  (r) => `+CLIP: ${pick(r, ['"+79001234567",145,,,,0', '"', '"",128', ',,,', '"89001234567",129', '"' + 'A'.repeat(300) + '"'])}`,
  (r) => `^RSSI:${pick(r, [String(int(r, 99)), '', 'x'])}`,
  (r) => `^BOOT:${int(r, 99999)},0,0,0,${int(r, 99)}`,
  (r) => `^MODE:${int(r, 9)},${int(r, 9)}`,
  (r) => `+CMS ERROR: ${pick(r, [String(int(r, 600)), 'SIM busy', '', '322', '500', 'x'.repeat(200)])}`,
  (r) => `+CME ERROR: ${pick(r, [String(int(r, 300)), 'SIM not inserted', 'incorrect password', ''])}`,
  (r) => `+CREG: ${pick(r, ['1', '0,5', '2,1,"00AB","1234"', '', 'x,y'])}`,
  (r) => `^SMMEMFULL: "${pick(r, ['SM', 'ME', ''])}"`,
  (r) => `+CDSI: "SM",${int(r, 50)}`,
  (r) => `+CDS: ${int(r, 60)}`,
  (r) => `+CPIN: ${pick(r, ['READY', 'SIM PIN', 'SIM PUK', 'NOT INSERTED', ''])}`,
  (r) => `+CIEV: ${pick(r, ['"MESSAGE",1', '"SMSFULL",1', '', '7'])}`,
  (r) => `+CUSD: ${int(r, 3)},"${'0'.repeat(int(r, 50))}",15`,
  () => 'NO CARRIER',
  () => 'BUSY',
  () => 'SMS Ready',
  () => 'RDY',
  (r) => pick(r, ['OK', 'ERROR', 'COMMAND NOT SUPPORT', '+CMGS: 12', '+CMGS:', '+CMGL: 1,0,,23', '+CMGR: 0,,23', '+CPMS: 0,30,0,30,0,30']),
];

export type FuzzKind = 'pdu' | 'cmt+pdu' | 'urc' | 'bytes' | 'overlong' | 'soup' | 'prompt' | 'echo';

/** One piece of hostile output (raw bytes, line ends included or not) and the hex PDU inside it, if any. */
export function fuzzChunk(r: Rand, pdus: readonly string[]): { kind: FuzzKind; bytes: Buffer; pdu?: string } {
  const k = int(r, 100);
  if (k < 25) {
    const pdu = mutatePdu(r, pick(r, pdus));
    return { kind: 'pdu', bytes: Buffer.from(`\r\n${pdu}\r\n`, 'latin1'), pdu };
  }
  if (k < 35) {
    const pdu = r() < 0.3 ? pick(r, pdus) : mutatePdu(r, pick(r, pdus));
    return { kind: 'cmt+pdu', bytes: Buffer.from(`\r\n+CMT: ,${int(r, 200)}\r\n${pdu}\r\n`, 'latin1'), pdu };
  }
  if (k < 65) return { kind: 'urc', bytes: Buffer.from(`\r\n${pick(r, URC_FORMS)(r)}\r\n`, 'latin1') };
  if (k < 78) {
    const n = 1 + int(r, 200);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = r() < 0.5 ? 0x80 + int(r, 128) : int(r, 256);
    return { kind: 'bytes', bytes: r() < 0.5 ? Buffer.concat([b, Buffer.from('\r\n')]) : b };
  }
  if (k < 82) {
    const len = 2_000 + int(r, 120_000);
    const ch = pick(r, ['A', '0', 'F', '\u00ff', '+', ' ']);
    return { kind: 'overlong', bytes: Buffer.from(ch.repeat(len) + (r() < 0.7 ? '\r\n' : ''), 'latin1') };
  }
  if (k < 90) {
    return { kind: 'soup', bytes: Buffer.from(Array.from({ length: 1 + int(r, 40) }, () => pick(r, ['\r', '\n', '\r\n', '\r\r\n', '\n\r', ' '])).join(''), 'latin1') };
  }
  if (k < 96) return { kind: 'prompt', bytes: Buffer.from(pick(r, ['>', '> ', '\r\n> ', '>>', '\r\n>', '> \r\n', '>\r\n']), 'latin1') };
  return { kind: 'echo', bytes: Buffer.from(`${pick(r, ['AT', 'ATE0', 'AT+CMGS=23', 'AT+CSQ', 'at+cmgl=4'])}\r`, 'latin1') };
}
