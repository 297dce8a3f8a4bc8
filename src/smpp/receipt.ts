/**
 * Delivery receipts as SMPP 3.4 Appendix B has them: a deliver_sm with esm_class 0x04 whose text is
 * `id:… sub:… dlvrd:… submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:… err:… text:…`, plus the
 * receipted_message_id and message_state TLVs (§5.3.2.12, §5.3.2.35) most clients match on.
 * Dates are UTC: the spec leaves the zone to the SMSC.
 */
import { DataCoding, EsmClass, MessageState } from './constants.js';
import type { ReceiptForSmpp, ReceiptState } from './ports.js';
import { gsm7Safe } from './text-codec.js';
import { textToSeptets } from '../sms/index.js';

const STAT: Record<ReceiptState, { stat: string; state: number }> = {
  delivered: { stat: 'DELIVRD', state: MessageState.DELIVERED },
  undeliverable: { stat: 'UNDELIV', state: MessageState.UNDELIVERABLE },
  expired: { stat: 'EXPIRED', state: MessageState.EXPIRED },
  rejected: { stat: 'REJECTD', state: MessageState.REJECTED },
  enroute: { stat: 'ENROUTE', state: MessageState.ENROUTE },
  accepted: { stat: 'ACCEPTD', state: MessageState.ACCEPTED },
  unknown: { stat: 'UNKNOWN', state: MessageState.UNKNOWN },
  deleted: { stat: 'DELETED', state: MessageState.DELETED },
};

/** `YYMMDDhhmm` in UTC. */
export function receiptDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '0000000000';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

const pad3 = (n: number) => String(Math.max(0, Math.min(999, n))).padStart(3, '0');

/** The receipt's text, e.g. `id:job-7 sub:001 dlvrd:001 submit date:2611211000 done date:2611211001 stat:DELIVRD err:000 text:Hello`. */
export function receiptText(r: ReceiptForSmpp): string {
  return (
    `id:${r.jobId} sub:${pad3(r.parts)} dlvrd:${pad3(r.delivered)} submit date:${receiptDate(r.submittedAt)} ` +
    `done date:${receiptDate(r.doneAt)} stat:${STAT[r.state].stat} err:${pad3(r.error)} text:${gsm7Safe(r.text.slice(0, 20))}`
  );
}

/** Strip the `+` of an international number and give its TON (1 international, 0 unknown). */
export function smppAddress(number: string | undefined): { ton: number; npi: number; addr: string } {
  if (!number) return { ton: 0, npi: 0, addr: '' };
  if (number.startsWith('+')) return { ton: 1, npi: 1, addr: number.slice(1) };
  if (/^\d+$/.test(number)) return { ton: 0, npi: 1, addr: number };
  return { ton: 5, npi: 0, addr: number }; // alphanumeric sender
}

/** deliver_sm fields for a receipt. */
export function receiptFields(r: ReceiptForSmpp): Record<string, unknown> {
  const src = smppAddress(r.recipient);
  const dst = smppAddress(r.originator);
  return {
    source_addr_ton: src.ton,
    source_addr_npi: src.npi,
    source_addr: src.addr,
    dest_addr_ton: dst.ton,
    dest_addr_npi: dst.npi,
    destination_addr: dst.addr,
    esm_class: EsmClass.DELIVERY_RECEIPT,
    data_coding: DataCoding.SMSC_DEFAULT,
    short_message: Buffer.from(textToSeptets(receiptText(r))),
    receipted_message_id: r.jobId,
    message_state: STAT[r.state].state,
  };
}
