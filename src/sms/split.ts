/**
 * Segmenter: which alphabet, and where the part boundaries go. Our own because node-pdu 2.1.1
 * uses wrong limits (defect 3), counts extension characters as one septet (defect 4) and can split
 * a surrogate pair (defect 6).
 */
import { SmsEncodeError } from './errors.js';
import { charSeptets, isGsm7 } from './gsm7.js';
import type { SmsEncoding } from './dcs.js';
import { udhSeptets } from './udh.js';

/** TP-UD holds 140 octets (TS 23.040 §9.2.3.24). */
export const MAX_UD_OCTETS = 140;
/** Concatenation reference IE counts up to 255 parts. */
export const MAX_PARTS = 255;
/** UDH octets incl. UDHL for an 8-bit (`050003RRTTSS`) or 16-bit (`060804RRRRTTSS`) concatenation IE. */
export const CONCAT_UDH_OCTETS = { 8: 6, 16: 7 } as const;

/** Capacity of one part in the encoding's units (septets, UTF-16 code units, octets). */
export function partCapacity(encoding: SmsEncoding, udhOctets: number): number {
  if (encoding === 'gsm7') return Math.floor((MAX_UD_OCTETS * 8) / 7) - (udhOctets ? udhSeptets(udhOctets) : 0);
  if (encoding === 'ucs2') return Math.floor((MAX_UD_OCTETS - udhOctets) / 2);
  return MAX_UD_OCTETS - udhOctets;
}

/** Units one character (code point) takes: septets (1 or 2), UTF-16 units (1 or 2), or 1 octet. */
function unitsOf(ch: string, encoding: SmsEncoding): number {
  if (encoding === 'gsm7') {
    const s = charSeptets(ch);
    if (!s) throw new SmsEncodeError(`character ${JSON.stringify(ch)} is not in the GSM-7 alphabet`);
    return s.length;
  }
  if (encoding === 'ucs2') return ch.length;
  if (ch.charCodeAt(0) > 0xff || ch.length > 1) throw new SmsEncodeError(`character ${JSON.stringify(ch)} does not fit in one octet for 8-bit data`);
  return 1;
}

/**
 * Split `text` for `encoding`: one part if it fits a whole SMS, else parts that leave room for a
 * concatenation UDH of `concatUdhOctets`. Splits only between code points, so an escape sequence
 * (one GSM-7 character) or a surrogate pair never straddles two parts.
 * @throws SmsEncodeError if a character does not fit the encoding or more than 255 parts are needed.
 */
export function splitForEncoding(text: string, encoding: SmsEncoding, concatUdhOctets: number = CONCAT_UDH_OCTETS[8]): string[] {
  const chars = Array.from(text);
  const units = chars.map((c) => unitsOf(c, encoding));
  const total = units.reduce((a, b) => a + b, 0);
  if (total <= partCapacity(encoding, 0)) return [text];
  const cap = partCapacity(encoding, concatUdhOctets);
  const parts: string[] = [];
  let cur = '';
  let used = 0;
  chars.forEach((ch, i) => {
    const u = units[i]!;
    if (used + u > cap) {
      parts.push(cur);
      cur = '';
      used = 0;
    }
    cur += ch;
    used += u;
  });
  if (cur) parts.push(cur);
  if (parts.length > MAX_PARTS) {
    throw new SmsEncodeError(`text needs ${parts.length} parts in ${encoding}; a concatenated SMS has at most ${MAX_PARTS}`);
  }
  return parts;
}

/**
 * GSM-7 if every character fits (extension characters count two septets), else UCS2; then
 * 160 septets / 70 UCS2 units in one SMS, 153 / 67 per part when concatenated.
 */
export function splitText(text: string): { encoding: 'gsm7' | 'ucs2'; parts: string[] } {
  const encoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  return { encoding, parts: splitForEncoding(text, encoding) };
}
