/** Raised by {@link decodePdu} for any input it cannot decode; never anything else. */
export class PduDecodeError extends Error {
  readonly code = 'PDU_DECODE' as const;
  /** The hex PDU as given (trimmed), so a log line shows exactly what the modem sent. */
  readonly pdu: string;
  /** The specific reason without the PDU, e.g. `truncated at TP-SCTS (need 7 octets at offset 20, have 3)`. */
  readonly reason: string;
  constructor(pdu: string, reason: string) {
    super(`Cannot decode PDU: ${reason} (pdu: ${pdu.length > 400 ? pdu.slice(0, 400) + '…' : pdu})`);
    this.name = 'PduDecodeError';
    this.pdu = pdu;
    this.reason = reason;
  }
}

/** A phone number that cannot be put into a TP-DA / TP-OA address field. */
export class InvalidNumberError extends Error {
  readonly code = 'INVALID_NUMBER' as const;
  readonly number: string;
  constructor(number: string, reason: string) {
    super(`Invalid phone number ${JSON.stringify(number)}: ${reason}`);
    this.name = 'InvalidNumberError';
    this.number = number;
  }
}

/** Bad encoder input other than the number: text too long for 255 parts, bad ref, bad validity, text not encodable. */
export class SmsEncodeError extends Error {
  readonly code = 'SMS_ENCODE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'SmsEncodeError';
  }
}
