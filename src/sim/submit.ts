/**
 * Checks a PDU typed after the AT+CMGS prompt the way a modem does before handing it to the
 * network: hex only, a decodable SMS-SUBMIT, and the announced length equal to the TPDU octet
 * count (a mismatch is the classic `+CMS ERROR: 304` hosts get from a wrong length).
 */
import { decodePdu, type DecodedSubmit } from '../sms/index.js';
import { tpduLength } from './at-commands.js';

export type SubmitCheck =
  | { ok: true; hex: string; decoded: DecodedSubmit }
  | { ok: false; cms: number; reason: string };

/** `declared` is the `<n>` of `AT+CMGS=<n>`. */
export function checkSubmitPdu(raw: string, declared: number): SubmitCheck {
  const hex = raw.replace(/\s+/g, '').toUpperCase();
  if (!/^(?:[0-9A-F]{2})+$/.test(hex)) return { ok: false, cms: 304, reason: `PDU is not whole hex octets: ${JSON.stringify(raw.slice(0, 40))}` };
  const actual = tpduLength(hex);
  if (actual !== declared) return { ok: false, cms: 304, reason: `AT+CMGS=${declared} but the TPDU has ${actual} octets` };
  let decoded;
  try {
    decoded = decodePdu(hex, { smscPrefix: true });
  } catch (e) {
    return { ok: false, cms: 304, reason: `undecodable PDU: ${(e as Error).message}` };
  }
  if (decoded.type !== 'submit') return { ok: false, cms: 304, reason: `PDU is an SMS-${decoded.type}, not an SMS-SUBMIT` };
  return { ok: true, hex, decoded };
}
