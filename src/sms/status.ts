/**
 * TP-Status (TP-ST) of an SMS-STATUS-REPORT, 3GPP TS 23.040 §9.2.3.15, classified into what a
 * sender needs to know: is the part delivered, failed for good, or should we wait for another
 * report?
 *
 *   0x00-0x1F  transaction completed: 00 received by the SME, 01 forwarded but unconfirmed,
 *              02 replaced by the SC, 10-1F SC-specific                      → delivered
 *   0x20-0x3F  temporary error, the SC is still trying (20 congestion, 21 SME busy, 22 no
 *              response, 23 service rejected, 24 QoS n/a, 25 error in SME)   → pending
 *   0x40-0x5F  permanent error, the SC makes no more attempts (40 remote procedure error,
 *              41 incompatible destination, 42 rejected by SME, 43 not obtainable, 44 QoS n/a,
 *              45 no interworking, 46 validity period expired, 47 deleted by the originator,
 *              48 deleted by SC administration, 49 SM does not exist)        → failed
 *   0x60-0x7F  temporary error, but the SC makes no more attempts (60-65 as 20-25)
 *                                                                              → failed
 *   0x80-0xFF  reserved. No further report can be expected for a value the standard does not
 *              define, so it is final; we call it failed rather than keep the part pending forever.
 */

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export type StatusCategory = 'completed' | 'temporary' | 'permanent' | 'temporary-final' | 'reserved';

export interface StatusClass {
  state: DeliveryState;
  category: StatusCategory;
  /** False only while the SC is still trying (0x20-0x3F): another report will follow. */
  final: boolean;
  /** Short English description of the code, for logs and listings. */
  text: string;
}

const TEXT: Record<number, string> = {
  0x00: 'received by the recipient',
  0x01: 'forwarded, delivery unconfirmed',
  0x02: 'replaced by the SMSC',
  0x20: 'congestion, still trying',
  0x21: 'recipient busy, still trying',
  0x22: 'no response from recipient, still trying',
  0x23: 'service rejected, still trying',
  0x24: 'quality of service not available, still trying',
  0x25: 'error in recipient, still trying',
  0x40: 'remote procedure error',
  0x41: 'incompatible destination',
  0x42: 'connection rejected by recipient',
  0x43: 'not obtainable',
  0x44: 'quality of service not available',
  0x45: 'no interworking available',
  0x46: 'validity period expired',
  0x47: 'deleted by the sender',
  0x48: 'deleted by SMSC administration',
  0x49: 'message does not exist',
  0x60: 'congestion, SMSC gave up',
  0x61: 'recipient busy, SMSC gave up',
  0x62: 'no response from recipient, SMSC gave up',
  0x63: 'service rejected, SMSC gave up',
  0x64: 'quality of service not available, SMSC gave up',
  0x65: 'error in recipient, SMSC gave up',
};

/** Classify a TP-ST value (0..255). @throws RangeError for anything that is not an octet. */
export function classifyStatus(status: number): StatusClass {
  if (!Number.isInteger(status) || status < 0 || status > 0xff) throw new RangeError(`TP-ST ${status} is not an octet 0..255`);
  const hex = `0x${status.toString(16).padStart(2, '0').toUpperCase()}`;
  const text = TEXT[status];
  if (status < 0x20) return { state: 'delivered', category: 'completed', final: true, text: text ?? `completed (SMSC-specific ${hex})` };
  if (status < 0x40) return { state: 'pending', category: 'temporary', final: false, text: text ?? `temporary error ${hex}, still trying` };
  if (status < 0x60) return { state: 'failed', category: 'permanent', final: true, text: text ?? `permanent error ${hex}` };
  if (status < 0x80) return { state: 'failed', category: 'temporary-final', final: true, text: text ?? `temporary error ${hex}, SMSC gave up` };
  return { state: 'failed', category: 'reserved', final: true, text: `reserved status ${hex}` };
}
