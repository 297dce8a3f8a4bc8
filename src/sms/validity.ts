/** Relative TP-VP (TS 23.040 §9.2.3.12.1): one octet, four ranges of step. */
import { SmsEncodeError } from './errors.js';

/** Longest relative validity: 255 → 63 weeks. */
export const MAX_VALIDITY_MINUTES = 63 * 7 * 24 * 60;

/** Minutes a relative TP-VP octet stands for. */
export function relativeValidityMinutes(vp: number): number {
  if (vp <= 143) return (vp + 1) * 5;
  if (vp <= 167) return 12 * 60 + (vp - 143) * 30;
  if (vp <= 196) return (vp - 166) * 24 * 60;
  return (vp - 192) * 7 * 24 * 60;
}

/**
 * The smallest TP-VP octet whose period is at least `minutes` (rounded up, so a message never
 * expires sooner than asked).
 * @throws SmsEncodeError for non-positive, non-finite or > 63-week values.
 */
export function encodeRelativeValidity(minutes: number): number {
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_VALIDITY_MINUTES) {
    throw new SmsEncodeError(`validityMinutes ${minutes} is outside 1..${MAX_VALIDITY_MINUTES} (63 weeks)`);
  }
  if (minutes <= 720) return Math.ceil(minutes / 5) - 1;
  if (minutes <= 1440) return 143 + Math.ceil((minutes - 720) / 30);
  if (minutes <= 30 * 1440) return 166 + Math.max(2, Math.ceil(minutes / 1440));
  return 192 + Math.max(5, Math.ceil(minutes / 10080));
}
