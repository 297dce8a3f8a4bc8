/** SMPP 3.4 numbers this server speaks (spec §5.1.3 command_status, §5.2.12 esm_class, §5.2.28 message_state). */

/** command_status values we send. */
export const Status = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RSYSERR: 0x08,
  ESME_RINVDSTADR: 0x0b,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RMSGQFUL: 0x14,
  ESME_RINVESMCLASS: 0x43,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RTHROTTLED: 0x58,
  ESME_RINVDCS: 0x104,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

export function statusName(code: number): string {
  for (const [name, v] of Object.entries(Status)) if (v === code) return name;
  return `0x${code.toString(16).padStart(8, '0')}`;
}

/** esm_class bits. */
export const EsmClass = {
  /** Message type "SMSC delivery receipt" (bits 5..2 = 0001). */
  DELIVERY_RECEIPT: 0x04,
  /** UDH indicator (bit 6): short_message starts with a User Data Header. */
  UDHI: 0x40,
} as const;

/** data_coding values handled (low nibble of the SMPP 3.4 table). */
export const DataCoding = { SMSC_DEFAULT: 0x00, IA5: 0x01, BINARY: 0x02, LATIN1: 0x03, BINARY_4: 0x04, UCS2: 0x08 } as const;

/** message_state TLV values (§5.2.28). */
export const MessageState = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;

/** Bind commands and what each allows. */
export const BIND_MODES = {
  bind_transmitter: { transmit: true, receive: false },
  bind_receiver: { transmit: false, receive: true },
  bind_transceiver: { transmit: true, receive: true },
} as const;
export type BindCommand = keyof typeof BIND_MODES;

/** SMPP 3.4 §5.2.1/§5.2.2: system_id is at most 15 octets, password at most 8. */
export const MAX_SYSTEM_ID = 15;
export const MAX_PASSWORD = 8;
