/**
 * Hand-built PDUs for cases the project's encoder deliberately never produces: a UCS2 part
 * boundary that cuts a surrogate pair (other senders' phones do this), and SMS-STATUS-REPORTs.
 * Built from the codec's own field encoders so only the unusual bit is hand-made.
 */
import { encodeScts } from '../../src/sms/scts.js';
import { toAddressField } from '../../src/sms/address.js';

const hex = (b: Buffer) => b.toString('hex').toUpperCase();

/** UTF-16BE code units of a JS string. */
export function utf16be(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
}

/**
 * One UCS2 SMS-DELIVER part (no SMSC, `00` prefix) carrying exactly `payload` after an 8-bit
 * concatenation UDH — whatever the payload is, even half a surrogate pair.
 */
export function ucs2DeliverPart(from: string, payload: Buffer, c: { ref: number; total: number; seq: number }, timestamp = new Date('2026-11-21T10:00:00Z')): string {
  const udh = Buffer.from([0x05, 0x00, 0x03, c.ref, c.total, c.seq]);
  const ud = Buffer.concat([udh, payload]);
  if (ud.length > 140) throw new RangeError(`user data of ${ud.length} octets exceeds 140`);
  return hex(
    Buffer.concat([
      Buffer.from([0x00, 0x44]), // no SMSC; SMS-DELIVER, TP-MMS, TP-UDHI
      toAddressField(from),
      Buffer.from([0x00, 0x08]), // PID 0, DCS UCS2
      encodeScts(timestamp, 0),
      Buffer.from([ud.length]),
      ud,
    ]),
  );
}

/** An SMS-STATUS-REPORT (TS 23.040 9.2.2.3) with `00` SMSC prefix. */
export function statusReportPdu(mr: number, recipient: string, status: number, at = new Date('2026-11-21T10:00:00Z')): string {
  return hex(
    Buffer.concat([
      Buffer.from([0x00, 0x06, mr]), // no SMSC; MTI 10 = status report, TP-SRQ 0
      toAddressField(recipient),
      encodeScts(at, 180),
      encodeScts(new Date(at.getTime() + 5000), 180),
      Buffer.from([status]),
    ]),
  );
}
