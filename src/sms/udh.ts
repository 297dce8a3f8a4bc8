/** User Data Header (TS 23.040 §9.2.3.24): information elements, concatenation, port addressing. */
import { BadFieldError } from './octet-reader.js';

export interface Concat {
  ref: number;
  total: number;
  seq: number;
  refBits: 8 | 16;
}

export interface UdhElement {
  iei: number;
  data: Buffer;
}

export interface ParsedUdh {
  elements: UdhElement[];
  concat?: Concat;
  /** Application port addressing (IEI 04 8-bit / 05 16-bit), e.g. WAP push to 2948. */
  ports?: { destination: number; source: number };
}

/** Parse the header octets after UDHL. Every IE must fit inside the header. */
export function parseUdh(header: Buffer): ParsedUdh {
  const elements: UdhElement[] = [];
  const out: ParsedUdh = { elements };
  let i = 0;
  while (i < header.length) {
    if (i + 2 > header.length) throw new BadFieldError(`bad UDH: IE at offset ${i} has no length octet`);
    const iei = header[i]!;
    const len = header[i + 1]!;
    if (i + 2 + len > header.length) {
      throw new BadFieldError(`bad UDH: IE 0x${iei.toString(16).padStart(2, '0')} length ${len} overruns the ${header.length}-octet header`);
    }
    const data = header.subarray(i + 2, i + 2 + len);
    elements.push({ iei, data });
    // An IE with the wrong length or a seq outside 1..total is ignored, as TS 23.040 §9.2.3.24.1 says receivers do.
    if (iei === 0x00 && len === 3 && data[1]! > 0 && data[2]! > 0 && data[2]! <= data[1]!) {
      out.concat = { ref: data[0]!, total: data[1]!, seq: data[2]!, refBits: 8 };
    } else if (iei === 0x08 && len === 4 && data[2]! > 0 && data[3]! > 0 && data[3]! <= data[2]!) {
      out.concat = { ref: data.readUInt16BE(0), total: data[2]!, seq: data[3]!, refBits: 16 };
    } else if (iei === 0x04 && len === 2) {
      out.ports = { destination: data[0]!, source: data[1]! };
    } else if (iei === 0x05 && len === 4) {
      out.ports = { destination: data.readUInt16BE(0), source: data.readUInt16BE(2) };
    }
    i += 2 + len;
  }
  return out;
}

/** Complete UDH (with the UDHL octet) for a concatenation IE: `050003RRTTSS` or `060804RRRRTTSS`. */
export function buildConcatUdh(c: Concat): Buffer {
  return c.refBits === 16
    ? Buffer.from([6, 0x08, 4, (c.ref >> 8) & 0xff, c.ref & 0xff, c.total, c.seq])
    : Buffer.from([5, 0x00, 3, c.ref & 0xff, c.total, c.seq]);
}

/** Fill bits that align GSM-7 text after a UDH of `udhOctets` (incl. UDHL) to a septet boundary. */
export function fillBits(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

/** Septets a UDH of `udhOctets` (incl. UDHL) occupies in a GSM-7 UDL. */
export function udhSeptets(udhOctets: number): number {
  return Math.ceil((udhOctets * 8) / 7);
}
