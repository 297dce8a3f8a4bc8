/**
 * SMS-STATUS-REPORT encoder (TS 23.040 §9.2.2.3) for the simulated modem and tests: what an SMSC
 * sends back for a SUBMIT that asked for a report (TP-SRR).
 */
import { toAddressField, toSmscField } from './address.js';
import { SmsEncodeError } from './errors.js';
import { encodeScts } from './scts.js';

export interface StatusReportOptions {
  /** TP-MR of the SUBMIT reported on (the number `+CMGS:` answered), 0..255. */
  mr: number;
  /** TP-RA: the recipient of that SUBMIT. */
  recipient: string;
  /**
   * How the SMSC writes the recipient: 'international' (TOA 0x91, the default for `+` numbers),
   * 'national' (0xA1) or 'unknown' (0x81, the default otherwise). SMSCs differ here, and matching
   * must survive it: `+79001234567` may come back as national `89001234567`.
   */
  recipientType?: 'international' | 'national' | 'unknown';
  /** TP-ST (0..255): 0x00 delivered; see classifyStatus(). */
  status: number;
  /** TP-SCTS: when the SMSC received the SUBMIT (default: now). */
  submittedAt?: Date;
  /** TP-DT: when the SMSC delivered it or gave up (default: submittedAt). */
  dischargedAt?: Date;
  /** Zone of both timestamps, minutes east of UTC, a multiple of 15 (default 0). */
  tzOffsetMinutes?: number;
  /** SMSC address for the prefix (default: none, `00`). */
  smsc?: string;
}

/**
 * One SMS-STATUS-REPORT PDU (uppercase hex with the SMSC prefix, as `+CDS`/`AT+CMGR` print it).
 * @throws SmsEncodeError for a bad mr/status/zone; InvalidNumberError for a bad recipient.
 */
export function encodeStatusReport(o: StatusReportOptions): string {
  if (!Number.isInteger(o.mr) || o.mr < 0 || o.mr > 255) throw new SmsEncodeError(`mr ${o.mr} is not an integer 0..255`);
  if (!Number.isInteger(o.status) || o.status < 0 || o.status > 255) throw new SmsEncodeError(`status ${o.status} is not an integer 0..255`);
  const tz = o.tzOffsetMinutes ?? 0;
  if (!Number.isInteger(tz) || tz % 15 !== 0 || Math.abs(tz) > 79 * 15) {
    throw new SmsEncodeError(`tzOffsetMinutes ${tz} must be a multiple of 15 within ±${79 * 15}`);
  }
  const submitted = o.submittedAt ?? new Date();
  const discharged = o.dischargedAt ?? submitted;
  const pdu = Buffer.concat([
    toSmscField(o.smsc),
    // TP-MTI 10 (status report), TP-MMS set (no more messages), TP-SRQ clear (reports a SUBMIT).
    Buffer.from([0x06, o.mr]),
    toAddressField(o.recipient, o.recipientType),
    encodeScts(submitted, tz),
    encodeScts(discharged, tz),
    Buffer.from([o.status]),
  ]);
  return pdu.toString('hex').toUpperCase();
}
