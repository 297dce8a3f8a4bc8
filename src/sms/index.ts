/** Pure SMS codec: PDU decode/encode, GSM-7, UCS2, segmentation, reassembly. No I/O. */
export { PduDecodeError, InvalidNumberError, SmsEncodeError } from './errors.js';
export type {
  AddressType,
  Concat,
  DecodedDeliver,
  DecodedPdu,
  DecodedStatusReport,
  DecodedSubmit,
  DecodedUserData,
  DecodedValidity,
  SmsEncoding,
  UdhElement,
} from './types.js';
export { decodePdu, type DecodeOptions } from './decode.js';
export { encodeSubmit, type SubmitOptions, type SubmitPart } from './encode-submit.js';
export { encodeDeliver, type DeliverOptions } from './encode-deliver.js';
export { encodeStatusReport, type StatusReportOptions } from './encode-status-report.js';
export { classifyStatus, type DeliveryState, type StatusCategory, type StatusClass } from './status.js';
export { splitText, splitForEncoding, partCapacity, MAX_PARTS } from './split.js';
export { joinParts, concatKey, type JoinedText } from './join.js';
export {
  isGsm7,
  isGsm7Extension,
  septetLength,
  textToSeptets,
  septetsToText,
  packSeptets,
  unpackSeptets,
} from './gsm7.js';
export {
  normalizeNumber,
  toAddressField,
  toAlphanumericAddressField,
  toSmscField,
  type Address,
  type NormalizedNumber,
} from './address.js';
export { parseDcs, buildDcs, type DcsInfo } from './dcs.js';
export { encodeScts, decodeScts, formatOffset, type Scts } from './scts.js';
export { encodeRelativeValidity, relativeValidityMinutes, MAX_VALIDITY_MINUTES } from './validity.js';
export { parseUdh, buildConcatUdh, type ParsedUdh } from './udh.js';
export { decodeUtf16be, encodeUtf16be } from './ucs2.js';
