/**
 * SMS-SUBMIT encoder (TS 23.040 §9.2.2.2). Our own: node-pdu 2.1.1's Submit mangles numbers,
 * miscounts and mis-splits text, and writes TP-VP without TP-VPF (field-notes defects 1-7).
 */
import { normalizeNumber, toAddressField } from './address.js';
import { buildDcs, type SmsEncoding } from './dcs.js';
import { SmsEncodeError } from './errors.js';
import { splitText } from './split.js';
import { buildConcatUdh } from './udh.js';
import { buildUserData } from './user-data.js';
import { encodeRelativeValidity } from './validity.js';

export interface SubmitOptions {
  /** Concatenation reference 0..255 (8-bit IEI 00); pick it from a persisted counter. Default: random. */
  ref?: number;
  /** Set TP-SRR: ask the SMSC for a status report. */
  statusReport?: boolean;
  /** Relative validity (TP-VPF=10), rounded up to the next TP-VP step. */
  validityMinutes?: number;
  /** Class 0 (flash): shown on the screen, not stored. */
  flash?: boolean;
}

export interface SubmitPart {
  /** Uppercase hex with the `00` SMSC prefix (use the SIM's SMSC). */
  hex: string;
  /** TPDU octets without the SMSC part: the `<n>` of `AT+CMGS=<n>`. */
  tpduLength: number;
  seq: number;
  total: number;
  /** The text this part carries. */
  text: string;
  encoding: SmsEncoding;
  /** Concatenation reference (8-bit) when total > 1. */
  ref?: number;
}

/**
 * Encode `text` to `to` as one or more SMS-SUBMIT PDUs.
 * @throws InvalidNumberError for a bad number; SmsEncodeError for a bad option or a text over 255 parts.
 */
export function encodeSubmit(to: string, text: string, opts: SubmitOptions = {}): SubmitPart[] {
  normalizeNumber(to); // validate before any work
  const da = toAddressField(to);
  if (opts.ref !== undefined && (!Number.isInteger(opts.ref) || opts.ref < 0 || opts.ref > 255)) {
    throw new SmsEncodeError(`ref ${opts.ref} is not an integer 0..255`);
  }
  const vp = opts.validityMinutes !== undefined ? encodeRelativeValidity(opts.validityMinutes) : undefined;
  const { encoding, parts } = splitText(text);
  const total = parts.length;
  const ref = total > 1 ? (opts.ref ?? Math.floor(Math.random() * 256)) : undefined;
  const dcs = buildDcs(encoding, opts.flash ? 0 : undefined);

  return parts.map((partText, i) => {
    const udh = ref !== undefined ? buildConcatUdh({ ref, total, seq: i + 1, refBits: 8 }) : undefined;
    const fo = 0x01 | (vp !== undefined ? 0x10 : 0) | (opts.statusReport ? 0x20 : 0) | (udh ? 0x40 : 0);
    const tpdu = Buffer.concat([
      Buffer.from([fo, 0x00 /* TP-MR: the modem assigns it */]),
      da,
      Buffer.from([0x00 /* TP-PID */, dcs]),
      vp !== undefined ? Buffer.from([vp]) : Buffer.alloc(0),
      buildUserData(encoding, partText, udh),
    ]);
    return {
      hex: '00' + tpdu.toString('hex').toUpperCase(),
      tpduLength: tpdu.length,
      seq: i + 1,
      total,
      text: partText,
      encoding,
      ...(ref !== undefined ? { ref } : {}),
    };
  });
}
