/** Decoded PDU shapes (docs/design.md, section src/sms). */
import type { AddressType } from './address.js';
import type { SmsEncoding } from './dcs.js';
import type { DeliveryState, StatusCategory } from './status.js';
import type { Concat, UdhElement } from './udh.js';

export type { AddressType, SmsEncoding, Concat, UdhElement };

/** Fields DELIVER and SUBMIT share: the user data and how it is coded. */
export interface DecodedUserData {
  encoding: SmsEncoding;
  /** Decoded text of THIS part (8-bit data as latin1, one char per octet). */
  text: string;
  /**
   * User data after the UDH, before text mapping, so {@link joinParts} can join parts first:
   * for gsm7 a string of septet values (one char per septet, 0x00-0x7F, ESC 0x1B kept, so an
   * escape a foreign encoder split across parts still joins); raw octets for 8bit/ucs2.
   */
  payload: Buffer | string;
  concat?: Concat;
  /** Every UDH information element (concatenation, ports, …); absent without UDHI. */
  udh?: UdhElement[];
  /** Application port addressing (IEI 04/05). */
  ports?: { destination: number; source: number };
  messageClass?: 0 | 1 | 2 | 3;
  pid: number;
  dcs: number;
}

export interface DecodedDeliver extends DecodedUserData {
  type: 'deliver';
  /** '+79168999100' */
  smsc?: string;
  /** '+79001234567' | '89001234567' | 'SCSERV' | '900' */
  sender: string;
  senderType: AddressType;
  /** ISO 8601 with the SMSC's zone, e.g. '2026-11-21T10:00:00+03:00'. */
  timestamp: string;
  /** Zone of the timestamp, minutes east of UTC. */
  tzOffsetMinutes: number;
  /** TP-MMS clear: the SMSC has more messages waiting. */
  moreMessages: boolean;
  replyPath: boolean;
  statusReportIndication: boolean;
}

export interface DecodedStatusReport {
  type: 'status-report';
  smsc?: string;
  /** TP-MR of the SUBMIT this reports on (the number +CMGS returned). */
  mr: number;
  recipient: string;
  recipientType: AddressType;
  /** TP-SCTS: when the SMSC received the SUBMIT. */
  timestamp: string;
  /** TP-DT: when delivery happened or failed. */
  dischargedAt: string;
  /** Zone of TP-DT, minutes east of UTC (the SMSC's zone: never used for matching). */
  dischargedTzOffsetMinutes: number;
  /** TP-ST (TS 23.040 §9.2.3.15). */
  status: number;
  /** What TP-ST means for the part: see classifyStatus() in status.ts. */
  state: DeliveryState;
  category: StatusCategory;
  /** Status 0x00-0x1F: the SMSC completed the transaction (delivered, forwarded, replaced). */
  delivered: boolean;
  /** False for 0x20-0x3F (the SMSC is still trying): wait for another report. */
  final: boolean;
  /** TP-SRQ: the report answers an SMS-COMMAND rather than an SMS-SUBMIT. */
  qualifierCommand: boolean;
}

export type DecodedValidity =
  | { format: 'relative'; minutes: number; raw: number }
  | { format: 'absolute'; timestamp: string }
  | { format: 'enhanced'; raw: string };

export interface DecodedSubmit extends DecodedUserData {
  type: 'submit';
  smsc?: string;
  to: string;
  toType: AddressType;
  mr: number;
  statusReportRequest: boolean;
  rejectDuplicates: boolean;
  replyPath: boolean;
  validity?: DecodedValidity;
}

export type DecodedPdu = DecodedDeliver | DecodedStatusReport | DecodedSubmit;
