/** SMS-DELIVER encoder for the simulated modem and tests (what a network would deliver). */
import { toAddressField, toAlphanumericAddressField, toSmscField } from './address.js';
import { buildDcs } from './dcs.js';
import { SmsEncodeError } from './errors.js';
import { encodeScts } from './scts.js';
import { CONCAT_UDH_OCTETS, splitForEncoding, splitText } from './split.js';
import { buildConcatUdh } from './udh.js';
import { buildUserData } from './user-data.js';

export interface DeliverOptions {
  /** SCTS instant (default: now). */
  timestamp?: Date;
  /** SCTS zone in minutes east of UTC, a multiple of 15 (default 0). */
  tzOffsetMinutes?: number;
  /** Concatenation reference (default: random); 0..255 or 0..65535 with refBits 16. */
  ref?: number;
  refBits?: 8 | 16;
  /** SMSC address for the prefix (default: none, `00`). */
  smsc?: string;
  /** Force an alphabet (default: GSM-7 if it fits, else UCS2). 8-bit takes chars U+0000-U+00FF as octets. */
  encoding?: 'gsm7' | 'ucs2' | '8bit';
  messageClass?: 0 | 1 | 2 | 3;
}

const NUMERIC = /^\+?[\d\s\-().]+$/;

/**
 * SMS-DELIVER PDUs (hex with SMSC prefix) for `text` from `from` (a number, or an alphanumeric
 * sender such as 'SCSERV'), split like {@link splitText} (with 16-bit refs: 152 septets / 66 units).
 * @throws InvalidNumberError / SmsEncodeError on bad input.
 */
export function encodeDeliver(from: string, text: string, opts: DeliverOptions = {}): string[] {
  const refBits = opts.refBits ?? 8;
  const maxRef = refBits === 16 ? 0xffff : 0xff;
  if (opts.ref !== undefined && (!Number.isInteger(opts.ref) || opts.ref < 0 || opts.ref > maxRef)) {
    throw new SmsEncodeError(`ref ${opts.ref} is not an integer 0..${maxRef}`);
  }
  const tz = opts.tzOffsetMinutes ?? 0;
  if (!Number.isInteger(tz) || tz % 15 !== 0 || Math.abs(tz) > 79 * 15) {
    throw new SmsEncodeError(`tzOffsetMinutes ${tz} must be a multiple of 15 within ±${79 * 15}`);
  }
  const encoding = opts.encoding ?? splitText(text).encoding;
  const parts = splitForEncoding(text, encoding, CONCAT_UDH_OCTETS[refBits]);
  const total = parts.length;
  const ref = total > 1 ? (opts.ref ?? Math.floor(Math.random() * (maxRef + 1))) : undefined;
  const head = Buffer.concat([
    toSmscField(opts.smsc),
    Buffer.from([0x04 /* TP-MMS: no more messages; UDHI added below */]),
    NUMERIC.test(from) ? toAddressField(from) : toAlphanumericAddressField(from),
    Buffer.from([0x00, buildDcs(encoding, opts.messageClass)]),
    encodeScts(opts.timestamp ?? new Date(), tz),
  ]);
  const foIndex = head[0]! + 1; // the first octet follows the SMSC field
  return parts.map((partText, i) => {
    const udh = ref !== undefined ? buildConcatUdh({ ref, total, seq: i + 1, refBits }) : undefined;
    const pdu = Buffer.concat([head, buildUserData(encoding, partText, udh)]);
    if (udh) pdu[foIndex]! |= 0x40;
    return pdu.toString('hex').toUpperCase();
  });
}
