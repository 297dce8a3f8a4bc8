/**
 * TP-SCTS / TP-DT timestamps (TS 23.040 §9.2.3.11): 7 swapped-BCD octets, the last one the zone in
 * quarter hours with its sign in bit 3. Our own code because node-pdu 2.1.1's `getIsoString()`
 * renders half-hour zones (+05:30) and zone 0 wrongly (field-notes defect 8).
 */
import { BadFieldError } from './octet-reader.js';

export interface Scts {
  /** ISO 8601 local time with the SMSC's zone: '2026-11-21T10:00:00+05:30'. */
  iso: string;
  /** Zone offset in minutes east of UTC (+330, -180, 0). */
  offsetMinutes: number;
  /** The instant, for sorting and age checks. */
  date: Date;
}

function bcd(o: number, field: string): number {
  const lo = o & 0x0f;
  const hi = o >> 4;
  if (lo > 9 || hi > 9) throw new BadFieldError(`bad ${field}: octet 0x${o.toString(16).padStart(2, '0')} is not BCD`);
  return lo * 10 + hi;
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Decode 7 SCTS octets; `field` names it in errors ('TP-SCTS', 'TP-DT'). */
export function decodeScts(o: Uint8Array, field: string): Scts {
  const [yy, mo, dd, hh, mi, ss] = [0, 1, 2, 3, 4, 5].map((i) => bcd(o[i]!, field)) as [number, number, number, number, number, number];
  const tz = o[6]!;
  const tzLo = tz & 0x07; // bit 3 of the first semi-octet is the sign
  const tzHi = tz >> 4;
  if (tzHi > 9) throw new BadFieldError(`bad ${field}: zone octet 0x${tz.toString(16).padStart(2, '0')} is not BCD`);
  const quarters = tzLo * 10 + tzHi;
  const offsetMinutes = (tz & 0x08 ? -1 : 1) * quarters * 15;
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) {
    throw new BadFieldError(`bad ${field}: ${yy}-${mo}-${dd} ${hh}:${mi}:${ss} is not a date`);
  }
  // Two-digit year: GSM began in 1991, so 90-99 are the 1990s (dreamfabric's classic 1999 example).
  const year = yy >= 90 ? 1900 + yy : 2000 + yy;
  const iso = `${year}-${pad(mo)}-${pad(dd)}T${pad(hh)}:${pad(mi)}:${pad(ss)}${formatOffset(offsetMinutes === 0 ? 0 : offsetMinutes)}`;
  const date = new Date(Date.UTC(year, mo - 1, dd, hh, mi, ss) - offsetMinutes * 60_000);
  return { iso, offsetMinutes: offsetMinutes === 0 ? 0 : offsetMinutes, date };
}

const toBcd = (n: number): number => ((n % 10) << 4) | Math.floor(n / 10);

/** Encode an instant as SCTS in the given zone (minutes east of UTC, a multiple of 15). */
export function encodeScts(date: Date, offsetMinutes: number): Buffer {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const quarters = Math.abs(offsetMinutes) / 15;
  const tz = toBcd(quarters) | (offsetMinutes < 0 ? 0x08 : 0);
  return Buffer.from([
    toBcd(local.getUTCFullYear() % 100),
    toBcd(local.getUTCMonth() + 1),
    toBcd(local.getUTCDate()),
    toBcd(local.getUTCHours()),
    toBcd(local.getUTCMinutes()),
    toBcd(local.getUTCSeconds()),
    tz,
  ]);
}
