/** TP-OA / TP-DA / TP-RA / SMSC address fields (TS 23.040 §9.1.2.5, TS 24.008 for the SMSC). */
import { InvalidNumberError } from './errors.js';
import { packSeptets, septetsToText, textToSeptets, unpackSeptets, isGsm7 } from './gsm7.js';
import { BadFieldError, type OctetReader } from './octet-reader.js';

export type AddressType = 'international' | 'national' | 'alphanumeric' | 'unknown' | 'other';

export interface Address {
  /** '+79001234567' for international, digits as sent otherwise, text for alphanumeric. */
  number: string;
  type: AddressType;
  /** The raw type-of-address octet, e.g. 0x91. */
  toa: number;
}

/** BCD semi-octets beyond 0-9 (TS 24.008 table 10.5.118): '*', '#', 'a', 'b', 'c'; F is the filler. */
const BCD = '0123456789*#abc';

export function typeFromToa(toa: number): AddressType {
  switch ((toa >> 4) & 0x07) {
    case 0: return 'unknown';
    case 1: return 'international';
    case 2: return 'national';
    case 5: return 'alphanumeric';
    default: return 'other';
  }
}

/** Swapped-nibble BCD digits; stops at the F filler. */
export function decodeBcd(octets: Uint8Array, maxDigits = octets.length * 2): string {
  let out = '';
  for (const o of octets) {
    for (const nib of [o & 0x0f, o >> 4]) {
      if (out.length >= maxDigits || nib === 0x0f) return out;
      out += BCD[nib]!;
    }
  }
  return out;
}

function encodeBcd(digits: string): Buffer {
  const padded = digits.length % 2 ? digits + 'F' : digits;
  const out = Buffer.alloc(padded.length / 2);
  for (let i = 0; i < padded.length; i += 2) {
    const lo = padded[i] === 'F' ? 0x0f : BCD.indexOf(padded[i]!);
    const hi = padded[i + 1] === 'F' ? 0x0f : BCD.indexOf(padded[i + 1]!);
    out[i / 2] = (hi << 4) | lo;
  }
  return out;
}

function render(digits: string, toa: number): Address {
  const type = typeFromToa(toa);
  return { number: type === 'international' ? `+${digits}` : digits, type, toa };
}

/** Read a TP address: length in useful semi-octets, TOA, value. */
export function readTpAddress(r: OctetReader, field: string): Address {
  const len = r.byte(`${field} length`);
  if (len > 20) throw new BadFieldError(`${field} length ${len} exceeds 20 semi-octets`);
  const toa = r.byte(`${field} type`);
  const value = r.bytes(Math.ceil(len / 2), `${field} digits`);
  if (typeFromToa(toa) === 'alphanumeric') {
    // Length counts semi-octets of packed GSM-7, so the septet count is floor(len*4/7): 'SCSERV' → 11.
    const text = septetsToText(unpackSeptets(value, Math.floor((len * 4) / 7)));
    return { number: text, type: 'alphanumeric', toa };
  }
  return render(decodeBcd(value, len), toa);
}

/** Read the SMSC prefix of a PDU as AT+CMGR gives it: length in octets (incl. TOA), 0 = none. */
export function readSmscAddress(r: OctetReader): Address | undefined {
  const len = r.byte('SMSC length');
  if (len === 0) return undefined;
  if (len > 12) throw new BadFieldError(`SMSC length ${len} exceeds 12 octets`);
  const toa = r.byte('SMSC type');
  return render(decodeBcd(r.bytes(len - 1, 'SMSC digits')), toa);
}

/** Formatting people type into numbers; stripped before validation. */
const FORMATTING = /[\s\-().]/g;

export interface NormalizedNumber {
  digits: string;
  international: boolean;
}

/**
 * Strip formatting (spaces, dashes, parentheses, dots) and validate a recipient number.
 * `+` means international; anything else is kept digit-for-digit (node-pdu 2.1.1 turns
 * `89001234567` into `+001234567` and drops the type of `+7 900 123-45-67`: defects 1 and 2).
 * @throws InvalidNumberError with the reason.
 */
export function normalizeNumber(input: string): NormalizedNumber {
  const stripped = input.replace(FORMATTING, '');
  if (stripped === '') throw new InvalidNumberError(input, 'empty');
  const international = stripped.startsWith('+');
  const digits = international ? stripped.slice(1) : stripped;
  const bad = /[^0-9]/.exec(digits);
  if (bad) throw new InvalidNumberError(input, `unexpected character ${JSON.stringify(bad[0])}; only digits, a leading '+' and formatting (spaces, '-', '(', ')', '.') are allowed`);
  if (digits.length === 0) throw new InvalidNumberError(input, 'no digits');
  if (digits.length > 20) throw new InvalidNumberError(input, `${digits.length} digits; an SMS address holds at most 20`);
  return { digits, international };
}

/** Type-of-address octets for numeric addresses (ISDN/telephony numbering plan). */
const NUMERIC_TOA = { international: 0x91, national: 0xa1, unknown: 0x81 } as const;

/**
 * A TP-DA/TP-OA/TP-RA field as octets for a phone number: `+` → TOA 0x91, else 0x81 (unknown,
 * digits as given). `type` forces the TOA (an SMSC may write a recipient as `national` 0xA1);
 * a `+` number written as national or unknown keeps its digits without the `+`.
 * @throws InvalidNumberError
 */
export function toAddressField(number: string, type?: keyof typeof NUMERIC_TOA): Buffer {
  const { digits, international } = normalizeNumber(number);
  const toa = NUMERIC_TOA[type ?? (international ? 'international' : 'unknown')];
  return Buffer.concat([Buffer.from([digits.length, toa]), encodeBcd(digits)]);
}

/** A TP-OA field for an alphanumeric sender (TOA 0xD0, packed GSM-7, at most 11 characters). */
export function toAlphanumericAddressField(name: string): Buffer {
  if (name.length === 0 || name.length > 11 || !isGsm7(name)) {
    throw new InvalidNumberError(name, 'an alphanumeric sender is 1-11 GSM-7 characters');
  }
  const septets = textToSeptets(name);
  if (septets.length > 11) throw new InvalidNumberError(name, 'alphanumeric sender exceeds 11 septets');
  const packed = packSeptets(septets);
  const semiOctets = Math.ceil((septets.length * 7) / 4);
  return Buffer.concat([Buffer.from([semiOctets, 0xd0]), packed]);
}

/** SMSC prefix octets: `00` when absent, else length + TOA + BCD. */
export function toSmscField(smsc: string | undefined): Buffer {
  if (!smsc) return Buffer.from([0]);
  const { digits, international } = normalizeNumber(smsc);
  const bcd = encodeBcd(digits);
  return Buffer.concat([Buffer.from([bcd.length + 1, international ? 0x91 : 0x81]), bcd]);
}
