/**
 * Meanings and retry classes of common `+CMS ERROR` (3GPP TS 27.005 §3.2.5, incl. TS 24.011 RP
 * causes below 128) and `+CME ERROR` (TS 27.007 §9.2) codes. "Retryable" means the same request
 * may succeed later without change (network/SIM state); permanent means the request itself is bad.
 */

export const CMS_MEANINGS: Readonly<Record<number, string>> = {
  1: 'unassigned (unallocated) number',
  8: 'operator determined barring',
  10: 'call barred',
  21: 'short message transfer rejected',
  27: 'destination out of service',
  28: 'unidentified subscriber',
  29: 'facility rejected',
  30: 'unknown subscriber',
  38: 'network out of order',
  41: 'temporary failure',
  42: 'congestion',
  47: 'resources unavailable',
  50: 'requested facility not subscribed',
  69: 'requested facility not implemented',
  96: 'invalid mandatory information',
  300: 'ME failure',
  301: 'SMS service of ME reserved',
  302: 'operation not allowed',
  303: 'operation not supported',
  304: 'invalid PDU mode parameter',
  305: 'invalid text mode parameter',
  310: 'SIM not inserted',
  311: 'SIM PIN required',
  313: 'SIM failure',
  314: 'SIM busy',
  315: 'SIM wrong',
  320: 'memory failure',
  321: 'invalid memory index',
  322: 'memory full',
  330: 'SMSC address unknown',
  331: 'no network service',
  332: 'network timeout',
  340: 'no +CNMA acknowledgement expected',
  500: 'unknown error',
  512: 'manufacturer specific (often: SMS send failed, retry)',
};

/**
 * Transient CMS codes. 302 is here because SIMCom SIM800 answers every SMS command with
 * `+CMS ERROR: 302` until it prints `SMS Ready`; 314 while the SIM is still initialising.
 */
export const CMS_RETRYABLE: ReadonlySet<number> = new Set([41, 42, 47, 302, 314, 322, 330, 331, 332, 500, 512]);

/** The request itself is wrong (bad PDU, bad number, no such index): retrying the same bytes cannot help. */
export const CMS_PERMANENT: ReadonlySet<number> = new Set([1, 8, 10, 21, 28, 29, 30, 38, 50, 69, 96, 301, 303, 304, 305, 310, 311, 313, 315, 321, 340]);

export const CME_MEANINGS: Readonly<Record<number, string>> = {
  0: 'phone failure',
  3: 'operation not allowed',
  4: 'operation not supported',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  16: 'incorrect password',
  20: 'memory full',
  21: 'invalid index',
  22: 'not found',
  30: 'no network service',
  31: 'network timeout',
  100: 'unknown',
  515: 'please wait, init or command processing in progress',
};

export const CME_RETRYABLE: ReadonlySet<number> = new Set([14, 30, 31, 100, 515]);

/** Text forms (`AT+CMEE=2`) of the transient CME/CMS conditions, lower-cased. */
export const RETRYABLE_TEXTS: readonly string[] = [
  'sim busy',
  'no network service',
  'network timeout',
  'unknown error',
  'temporary failure',
  'congestion',
  'please wait',
  'sms service not ready', // Quectel EC25 before '+QIND: SMS DONE'
];

/** Retry class of a CMS code: unknown numeric codes count as retryable (the job policy bounds attempts). */
export function cmsRetryable(code: number | string): boolean {
  if (typeof code === 'string') return textRetryable(code);
  if (CMS_RETRYABLE.has(code)) return true;
  if (CMS_PERMANENT.has(code)) return false;
  return true;
}

/** Retry class of a CME code: only known transient states are retryable (SIM/PIN problems need a human). */
export function cmeRetryable(code: number | string): boolean {
  if (typeof code === 'string') return textRetryable(code);
  return CME_RETRYABLE.has(code);
}

function textRetryable(text: string): boolean {
  const t = text.toLowerCase();
  return RETRYABLE_TEXTS.some((r) => t.includes(r));
}
