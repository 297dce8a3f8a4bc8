/**
 * GSM 03.38 / 3GPP TS 23.038 default alphabet and its extension table, plus septet packing.
 * Our own table because node-pdu 2.1.1 has `` ` `` at 0x5F where `§` belongs and silently maps
 * unknown characters to spaces (field-notes defect 5).
 */
import { SmsEncodeError } from './errors.js';

/** Index = septet value. 0x1B is the escape to the extension table (never a character by itself). */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ' +
  ' !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: septet after ESC → character. */
const EXTENSION: ReadonlyMap<number, string> = new Map([
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
]);

export const GSM7_ESCAPE = 0x1b;

const charToBasic = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== GSM7_ESCAPE) charToBasic.set(BASIC[i]!, i);
const charToExt = new Map<string, number>();
for (const [septet, ch] of EXTENSION) charToExt.set(ch, septet);

/** Septets for one character (1 for the basic table, 2 for ESC + extension), or undefined if not GSM-7. */
export function charSeptets(ch: string): number[] | undefined {
  const b = charToBasic.get(ch);
  if (b !== undefined) return [b];
  const e = charToExt.get(ch);
  if (e !== undefined) return [GSM7_ESCAPE, e];
  return undefined;
}

/** True when every character of `text` is in the GSM-7 default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!charToBasic.has(ch) && !charToExt.has(ch)) return false;
  return true;
}

/** True when `ch` needs the escape (counts two septets). */
export function isGsm7Extension(ch: string): boolean {
  return charToExt.has(ch);
}

/**
 * Septets `text` takes in GSM-7 (extension characters count two).
 * @throws SmsEncodeError naming the first character that is not GSM-7.
 */
export function septetLength(text: string): number {
  let n = 0;
  for (const ch of text) {
    if (charToBasic.has(ch)) n += 1;
    else if (charToExt.has(ch)) n += 2;
    else throw notGsm7(ch, text);
  }
  return n;
}

/** `text` as septet values. @throws SmsEncodeError on a character outside GSM-7. */
export function textToSeptets(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const s = charSeptets(ch);
    if (!s) throw notGsm7(ch, text);
    out.push(...s);
  }
  return out;
}

/**
 * Septet values → text. ESC + a septet with no extension character shows the basic-table
 * character (TS 23.038 §6.2.1.1 says so); a dangling ESC at the end is dropped.
 */
export function septetsToText(septets: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]! & 0x7f;
    if (s === GSM7_ESCAPE) {
      if (i + 1 >= septets.length) break;
      const next = septets[++i]! & 0x7f;
      out += EXTENSION.get(next) ?? (next === GSM7_ESCAPE ? ' ' : BASIC[next]!);
    } else {
      out += BASIC[s]!;
    }
  }
  return out;
}

/**
 * Pack septets LSB-first into octets, after `fillBits` zero bits (the padding that aligns
 * GSM-7 text to a septet boundary after a UDH, TS 23.040 §9.2.3.24).
 */
export function packSeptets(septets: ArrayLike<number>, fillBits = 0): Buffer {
  const totalBits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i]! & 0x7f;
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte]! |= (v << shift) & 0xff;
    if (shift > 1) out[byte + 1]! |= v >> (8 - shift);
    bit += 7;
  }
  return out;
}

/** Unpack `count` septets from `data`, skipping `fillBits` leading bits. Caller checks the length. */
export function unpackSeptets(data: Uint8Array, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  let bit = fillBits;
  for (let i = 0; i < count; i++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = (data[byte] ?? 0) >> shift;
    if (shift > 1) v |= (data[byte + 1] ?? 0) << (8 - shift);
    out.push(v & 0x7f);
    bit += 7;
  }
  return out;
}

function notGsm7(ch: string, text: string): SmsEncodeError {
  const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return new SmsEncodeError(
    `character ${JSON.stringify(ch)} (U+${cp}) is not in the GSM-7 alphabet (text: ${JSON.stringify(text.slice(0, 40))})`,
  );
}
