/**
 * short_message / message_payload ↔ text, with the project's GSM-7 and UCS2 codec (src/sms).
 * SMPP carries GSM-7 unpacked: one septet per octet (data_coding 0, "SMSC default alphabet"), so
 * no bit packing here; concatenation is a UDH at the start of short_message (esm_class UDHI) or the
 * sar_* TLVs, or one message_payload TLV carrying the whole text.
 */
import { isGsm7, septetsToText, textToSeptets, splitForEncoding, parseUdh, buildConcatUdh, decodeUtf16be, encodeUtf16be } from '../sms/index.js';
import { DataCoding, EsmClass, Status } from './constants.js';

/** A bad message in a submit_sm: carries the command_status to answer with. */
export class SmppCodecError extends Error {
  readonly code = 'SMPP_CODEC';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SmppCodecError';
  }
}

export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

/** A submitted message body: raw user data (UDH removed) and how it is coded. */
export interface SubmittedBody {
  dataCoding: number;
  data: Buffer;
  concat?: ConcatInfo;
}

export interface SubmitFields {
  data_coding?: unknown;
  esm_class?: unknown;
  short_message?: unknown;
  message_payload?: unknown;
  sar_msg_ref_num?: unknown;
  sar_total_segments?: unknown;
  sar_segment_seqnum?: unknown;
}

const asInt = (v: unknown): number => (typeof v === 'number' ? v : 0);
const asBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));

/** The text alphabet a data_coding means, or an error naming it (binary data is not a text we send). */
function alphabet(dataCoding: number): 'gsm7' | 'ia5' | 'latin1' | 'ucs2' {
  // GSM 03.38 "data coding/message class" group (0xF0..0xF3): 7-bit default alphabet with a class.
  if ((dataCoding & 0xf4) === 0xf0) return 'gsm7';
  switch (dataCoding) {
    case DataCoding.SMSC_DEFAULT:
      return 'gsm7';
    case DataCoding.IA5:
      return 'ia5';
    case DataCoding.LATIN1:
      return 'latin1';
    case DataCoding.UCS2:
      return 'ucs2';
    default:
      throw new SmppCodecError(`data_coding 0x${dataCoding.toString(16).padStart(2, '0')} is not supported: use 0 (GSM 7-bit), 1 (IA5), 3 (Latin-1) or 8 (UCS2)`, Status.ESME_RINVDCS);
  }
}

/**
 * Pull the user data and any concatenation out of a submit_sm's fields.
 * @throws SmppCodecError (ESME_RINVMSGLEN, ESME_RINVESMCLASS, ESME_RINVDCS)
 */
export function readSubmittedBody(f: SubmitFields): SubmittedBody {
  const dataCoding = asInt(f.data_coding);
  alphabet(dataCoding);
  const esmClass = asInt(f.esm_class);
  // The package decodes a truncated body without complaint, leaving the missing fields undefined.
  if (!Buffer.isBuffer(f.short_message)) throw new SmppCodecError('submit_sm body ends before short_message', Status.ESME_RINVCMDLEN);
  const short = f.short_message;
  const payload = f.message_payload === undefined ? undefined : asBuffer(f.message_payload);
  if (payload && short.length > 0) {
    throw new SmppCodecError('submit_sm has both short_message and message_payload: send the text in one of them', Status.ESME_RINVMSGLEN);
  }
  let data = payload ?? short;
  let concat: ConcatInfo | undefined;
  if (esmClass & EsmClass.UDHI) {
    const udhl = data[0];
    if (udhl === undefined || 1 + udhl > data.length) {
      throw new SmppCodecError(`esm_class has the UDH indicator but the message has no whole UDH (${data.length} octets)`, Status.ESME_RINVESMCLASS);
    }
    let udh;
    try {
      udh = parseUdh(data.subarray(1, 1 + udhl));
    } catch (e) {
      throw new SmppCodecError(`malformed UDH: ${(e as Error).message}`, Status.ESME_RINVESMCLASS);
    }
    if (udh.concat) concat = { ref: udh.concat.ref, total: udh.concat.total, seq: udh.concat.seq };
    data = data.subarray(1 + udhl);
  } else if (f.sar_total_segments !== undefined) {
    const total = asInt(f.sar_total_segments);
    const seq = asInt(f.sar_segment_seqnum);
    if (total < 1 || seq < 1 || seq > total) {
      throw new SmppCodecError(`sar_segment_seqnum ${seq} of sar_total_segments ${total} is out of range`, Status.ESME_RINVMSGLEN);
    }
    concat = { ref: asInt(f.sar_msg_ref_num), total, seq };
  }
  if (concat && concat.total === 1) concat = undefined;
  return { dataCoding, data, concat };
}

/**
 * Decode user data in `dataCoding` to text.
 * @throws SmppCodecError naming the first octet that is not valid in that alphabet
 */
export function decodeText(dataCoding: number, data: Buffer): string {
  switch (alphabet(dataCoding)) {
    case 'gsm7': {
      const bad = data.findIndex((o) => o > 0x7f);
      if (bad >= 0) {
        throw new SmppCodecError(
          `octet 0x${data[bad]!.toString(16)} at ${bad} is not a GSM 7-bit septet (data_coding 0 is the GSM default alphabet, one septet per octet; use 3 for Latin-1 or 8 for UCS2)`,
          Status.ESME_RINVDCS,
        );
      }
      return septetsToText(data);
    }
    case 'ia5': {
      const bad = data.findIndex((o) => o > 0x7f);
      if (bad >= 0) throw new SmppCodecError(`octet 0x${data[bad]!.toString(16)} at ${bad} is not IA5 (7-bit ASCII)`, Status.ESME_RINVDCS);
      return data.toString('latin1');
    }
    case 'latin1':
      return data.toString('latin1');
    case 'ucs2':
      if (data.length % 2) throw new SmppCodecError(`UCS2 message has an odd number of octets (${data.length})`, Status.ESME_RINVMSGLEN);
      return decodeUtf16be(data);
  }
}

/** One deliver_sm's coding fields (short_message or message_payload set, never both). */
export interface DeliverBody {
  data_coding: number;
  esm_class: number;
  short_message: Buffer;
  message_payload?: Buffer;
}

export type LongMessages = 'udh' | 'payload';

/** GSM-7 (unpacked) when every character fits, else UCS2 — as the radio side chooses. */
function encodeWhole(text: string): { dataCoding: number; data: Buffer; encoding: 'gsm7' | 'ucs2' } {
  const encoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  return { dataCoding: encoding === 'gsm7' ? DataCoding.SMSC_DEFAULT : DataCoding.UCS2, data: encodeAs(text, encoding), encoding };
}

function encodeAs(text: string, encoding: 'gsm7' | 'ucs2'): Buffer {
  return encoding === 'gsm7' ? Buffer.from(textToSeptets(text)) : encodeUtf16be(text);
}

/**
 * The deliver_sm bodies for a text: one when it fits an SMS (160 septets / 70 UCS2 units), else
 * UDH-concatenated parts (153 / 67 each, reference `ref`) or one message_payload, as asked.
 */
export function encodeDeliverText(text: string, long: LongMessages, ref: number): DeliverBody[] {
  const whole = encodeWhole(text);
  const parts = splitForEncoding(text, whole.encoding);
  if (parts.length === 1) return [{ data_coding: whole.dataCoding, esm_class: 0, short_message: whole.data }];
  if (long === 'payload') {
    return [{ data_coding: whole.dataCoding, esm_class: 0, short_message: Buffer.alloc(0), message_payload: whole.data }];
  }
  return parts.map((part, i) => {
    const udh = buildConcatUdh({ ref: ref & 0xff, total: parts.length, seq: i + 1, refBits: 8 });
    return { data_coding: whole.dataCoding, esm_class: EsmClass.UDHI, short_message: Buffer.concat([udh, encodeAs(part, whole.encoding)]) };
  });
}

/** Receipt texts are plain GSM-7: characters outside it become `?` so the `key:value` grammar stays parseable. */
export function gsm7Safe(text: string): string {
  return Array.from(text, (ch) => (isGsm7(ch) ? ch : '?')).join('');
}
