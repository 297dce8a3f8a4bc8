/**
 * PDU decoder: SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT (TS 23.040 §9.2.2).
 *
 * Written here rather than wrapping node-pdu 2.1.1's `parse`: node-pdu renders half-hour zones
 * and zone 0 wrongly (defect 8), does not check TP-UDL against the data (so a truncated PDU
 * decodes to silent garbage), and throws untyped errors; we need the UDL-bounded read (Huawei and
 * SIMCom modems pad AT+CMGR PDUs with FF/junk after the user data) and one typed error with a
 * specific reason. node-pdu is still run against our decoder in the tests as a cross-check.
 */
import { readSmscAddress, readTpAddress } from './address.js';
import { parseDcs, type DcsInfo } from './dcs.js';
import { PduDecodeError } from './errors.js';
import { septetsToText, unpackSeptets } from './gsm7.js';
import { BadFieldError, OctetReader } from './octet-reader.js';
import { decodeScts } from './scts.js';
import { classifyStatus } from './status.js';
import type { DecodedDeliver, DecodedPdu, DecodedStatusReport, DecodedSubmit, DecodedUserData, DecodedValidity } from './types.js';
import { decodeUtf16be } from './ucs2.js';
import { fillBits, parseUdh, udhSeptets } from './udh.js';
import { relativeValidityMinutes } from './validity.js';

export interface DecodeOptions {
  /** The hex starts with the SMSC address (default true, as AT+CMGR/+CMGL/+CMT give it). */
  smscPrefix?: boolean;
}

/**
 * Decode one PDU given as hex (either case). Reads exactly TP-UDL worth of user data and ignores
 * whatever follows it.
 * @throws PduDecodeError (code 'PDU_DECODE') with the PDU and a specific reason; never anything else.
 */
export function decodePdu(hex: string, opts: DecodeOptions = {}): DecodedPdu {
  const pdu = typeof hex === 'string' ? hex.trim() : String(hex);
  try {
    return decodeChecked(pdu, opts.smscPrefix ?? true);
  } catch (e) {
    if (e instanceof PduDecodeError) throw e;
    if (e instanceof BadFieldError) throw new PduDecodeError(pdu, e.message);
    throw new PduDecodeError(pdu, `internal decoder error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function decodeChecked(pdu: string, smscPrefix: boolean): DecodedPdu {
  if (pdu.length === 0) throw new PduDecodeError(pdu, 'empty PDU');
  const bad = /[^0-9a-fA-F]/.exec(pdu);
  if (bad) throw new PduDecodeError(pdu, `non-hex character ${JSON.stringify(bad[0])} at position ${bad.index}`);
  if (pdu.length % 2) throw new PduDecodeError(pdu, `odd length ${pdu.length} (hex must be whole octets)`);

  const r = new OctetReader(Buffer.from(pdu, 'hex'));
  const smsc = smscPrefix ? readSmscAddress(r)?.number : undefined;
  const fo = r.byte('first octet');
  switch (fo & 0x03) {
    case 0: return decodeDeliver(r, fo, smsc);
    case 1: return decodeSubmit(r, fo, smsc);
    case 2: return decodeStatusReport(r, fo, smsc);
    default: throw new BadFieldError(`reserved TP-MTI 3 in first octet 0x${fo.toString(16).padStart(2, '0')}`);
  }
}

function decodeDeliver(r: OctetReader, fo: number, smsc: string | undefined): DecodedDeliver {
  const oa = readTpAddress(r, 'TP-OA');
  const pid = r.byte('TP-PID');
  const dcs = r.byte('TP-DCS');
  const scts = decodeScts(r.bytes(7, 'TP-SCTS'), 'TP-SCTS');
  const ud = readUserData(r, (fo & 0x40) !== 0, parseDcs(dcs));
  return {
    type: 'deliver',
    ...(smsc !== undefined ? { smsc } : {}),
    sender: oa.number,
    senderType: oa.type,
    timestamp: scts.iso,
    tzOffsetMinutes: scts.offsetMinutes,
    moreMessages: (fo & 0x04) === 0,
    replyPath: (fo & 0x80) !== 0,
    statusReportIndication: (fo & 0x20) !== 0,
    ...ud,
    pid,
    dcs,
  };
}

function decodeSubmit(r: OctetReader, fo: number, smsc: string | undefined): DecodedSubmit {
  const mr = r.byte('TP-MR');
  const da = readTpAddress(r, 'TP-DA');
  const pid = r.byte('TP-PID');
  const dcs = r.byte('TP-DCS');
  let validity: DecodedValidity | undefined;
  switch ((fo >> 3) & 0x03) {
    case 2: {
      const vp = r.byte('TP-VP');
      validity = { format: 'relative', minutes: relativeValidityMinutes(vp), raw: vp };
      break;
    }
    case 3:
      validity = { format: 'absolute', timestamp: decodeScts(r.bytes(7, 'TP-VP'), 'TP-VP').iso };
      break;
    case 1:
      validity = { format: 'enhanced', raw: r.bytes(7, 'TP-VP').toString('hex').toUpperCase() };
      break;
  }
  const ud = readUserData(r, (fo & 0x40) !== 0, parseDcs(dcs));
  return {
    type: 'submit',
    ...(smsc !== undefined ? { smsc } : {}),
    to: da.number,
    toType: da.type,
    mr,
    statusReportRequest: (fo & 0x20) !== 0,
    rejectDuplicates: (fo & 0x04) !== 0,
    replyPath: (fo & 0x80) !== 0,
    ...(validity ? { validity } : {}),
    ...ud,
    pid,
    dcs,
  };
}

function decodeStatusReport(r: OctetReader, fo: number, smsc: string | undefined): DecodedStatusReport {
  const mr = r.byte('TP-MR');
  const ra = readTpAddress(r, 'TP-RA');
  const scts = decodeScts(r.bytes(7, 'TP-SCTS'), 'TP-SCTS');
  const dt = decodeScts(r.bytes(7, 'TP-DT'), 'TP-DT');
  const status = r.byte('TP-ST');
  // Optional TP-PI/PID/DCS/UD after TP-ST are ignored: nothing we do depends on them.
  const c = classifyStatus(status);
  return {
    type: 'status-report',
    ...(smsc !== undefined ? { smsc } : {}),
    mr,
    recipient: ra.number,
    recipientType: ra.type,
    timestamp: scts.iso,
    dischargedAt: dt.iso,
    dischargedTzOffsetMinutes: dt.offsetMinutes,
    status,
    state: c.state,
    category: c.category,
    delivered: c.state === 'delivered',
    final: c.final,
    qualifierCommand: (fo & 0x20) !== 0,
  };
}

type UserData = Omit<DecodedUserData, 'pid' | 'dcs'>;

/** TP-UDL and TP-UD, bounded by UDL (never by the line length). */
function readUserData(r: OctetReader, udhi: boolean, info: DcsInfo): UserData {
  const udl = r.byte('TP-UDL');
  const septets = info.encoding === 'gsm7';
  const max = septets ? 160 : 140;
  if (udl > max) throw new BadFieldError(`TP-UDL ${udl} exceeds the ${max} ${septets ? 'septets' : 'octets'} an SMS can hold`);
  const need = septets ? Math.ceil((udl * 7) / 8) : udl;
  if (r.remaining < need) {
    throw new BadFieldError(`UDL exceeds data: TP-UDL ${udl}${septets ? ' septets' : ''} needs ${need} octets, have ${r.remaining}`);
  }
  const ud = r.bytes(need, 'TP-UD');

  let headerOctets = 0;
  const out: Partial<UserData> = {};
  if (udhi) {
    if (ud.length === 0) throw new BadFieldError('bad UDH length: TP-UDHI set but TP-UDL is 0');
    headerOctets = ud[0]! + 1;
    if (headerOctets > ud.length || (septets && udhSeptets(headerOctets) > udl)) {
      throw new BadFieldError(`bad UDH length: UDHL ${ud[0]} exceeds the ${ud.length}-octet user data`);
    }
    const udh = parseUdh(ud.subarray(1, headerOctets));
    out.udh = udh.elements.map((e) => ({ iei: e.iei, data: Buffer.from(e.data) }));
    if (udh.concat) out.concat = udh.concat;
    if (udh.ports) out.ports = udh.ports;
  }

  let text: string;
  let payload: Buffer | string;
  if (septets) {
    const count = udl - (headerOctets ? udhSeptets(headerOctets) : 0);
    const values = unpackSeptets(ud.subarray(headerOctets), count, headerOctets ? fillBits(headerOctets) : 0);
    payload = String.fromCharCode(...values);
    text = septetsToText(values);
  } else {
    payload = Buffer.from(ud.subarray(headerOctets));
    text = info.encoding === 'ucs2' ? decodeUtf16be(payload) : payload.toString('latin1');
  }
  return {
    encoding: info.encoding,
    text,
    payload,
    ...out,
    ...(info.messageClass !== undefined ? { messageClass: info.messageClass } : {}),
  };
}
