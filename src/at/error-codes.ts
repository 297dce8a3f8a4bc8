/**
 * The one table of modem error codes: what each common `+CMS ERROR` (3GPP TS 27.005 §3.2.5, with
 * the TS 24.011 RP causes below 128) and `+CME ERROR` (TS 27.007 §9.2) code means, and what it says
 * about a request that failed with it. The queue's retry policy reads its answer from here, so the
 * AT layer and the job policy cannot disagree about a code.
 *
 * Classes:
 * - `network`: the network refused for now (congestion, not registered, throttling) — try later;
 * - `modem`: the modem or SIM is not in a state to do it (busy, not ready, no SIM) — try later,
 *   bounded by the job's attempts, so an operator has time to fix the device;
 * - `invalid-number`, `barred`: this request to this recipient cannot succeed;
 * - `pdu-format`: the PDU itself is malformed (our encoder's bug) — the same bytes never succeed.
 */

export type CodeClass = 'network' | 'modem' | 'invalid-number' | 'barred' | 'pdu-format';

interface CodeInfo {
  meaning: string;
  class: CodeClass;
}

export const CMS_CODES: Readonly<Record<number, CodeInfo>> = {
  1: { meaning: 'unassigned (unallocated) number', class: 'invalid-number' },
  8: { meaning: 'operator determined barring', class: 'barred' },
  10: { meaning: 'call barred', class: 'barred' },
  // The SMSC refuses this destination (what operators answer for a number they will not serve).
  21: { meaning: 'short message transfer rejected', class: 'invalid-number' },
  27: { meaning: 'destination out of service', class: 'network' },
  28: { meaning: 'unidentified subscriber', class: 'invalid-number' },
  29: { meaning: 'facility rejected', class: 'barred' },
  30: { meaning: 'unknown subscriber', class: 'invalid-number' },
  // TS 24.008 cause 38: "likely to last a relatively long period of time" — a state of the network,
  // not of the request: retried with the growing back-off, never failed at once.
  38: { meaning: 'network out of order', class: 'network' },
  // Also what operators answer when they throttle a SIM.
  41: { meaning: 'temporary failure', class: 'network' },
  42: { meaning: 'congestion', class: 'network' },
  47: { meaning: 'resources unavailable', class: 'network' },
  50: { meaning: 'requested facility not subscribed', class: 'barred' },
  69: { meaning: 'requested facility not implemented', class: 'barred' },
  96: { meaning: 'invalid mandatory information', class: 'invalid-number' },
  300: { meaning: 'ME failure', class: 'modem' },
  301: { meaning: 'SMS service of ME reserved', class: 'modem' },
  // SIMCom SIM800 answers every SMS command with 302 until it prints `SMS Ready`.
  302: { meaning: 'operation not allowed', class: 'modem' },
  303: { meaning: 'operation not supported', class: 'modem' },
  304: { meaning: 'invalid PDU mode parameter', class: 'pdu-format' },
  305: { meaning: 'invalid text mode parameter', class: 'pdu-format' },
  310: { meaning: 'SIM not inserted', class: 'modem' },
  311: { meaning: 'SIM PIN required', class: 'modem' },
  313: { meaning: 'SIM failure', class: 'modem' },
  314: { meaning: 'SIM busy', class: 'modem' },
  315: { meaning: 'SIM wrong', class: 'modem' },
  320: { meaning: 'memory failure', class: 'modem' },
  321: { meaning: 'invalid memory index', class: 'modem' },
  322: { meaning: 'memory full', class: 'modem' },
  // Often seen before registration completes.
  330: { meaning: 'SMSC address unknown', class: 'network' },
  331: { meaning: 'no network service', class: 'network' },
  332: { meaning: 'network timeout', class: 'network' },
  340: { meaning: 'no +CNMA acknowledgement expected', class: 'modem' },
  // SIMCom and Huawei answer 500 while not registered.
  500: { meaning: 'unknown error', class: 'network' },
  // SIMCom: "SMS send failed" while the network is busy.
  512: { meaning: 'manufacturer specific (often: SMS send failed, retry)', class: 'network' },
};

export const CME_CODES: Readonly<Record<number, CodeInfo>> = {
  0: { meaning: 'phone failure', class: 'modem' },
  3: { meaning: 'operation not allowed', class: 'modem' },
  4: { meaning: 'operation not supported', class: 'modem' },
  10: { meaning: 'SIM not inserted', class: 'modem' },
  11: { meaning: 'SIM PIN required', class: 'modem' },
  12: { meaning: 'SIM PUK required', class: 'modem' },
  13: { meaning: 'SIM failure', class: 'modem' },
  14: { meaning: 'SIM busy', class: 'modem' },
  15: { meaning: 'SIM wrong', class: 'modem' },
  16: { meaning: 'incorrect password', class: 'modem' },
  20: { meaning: 'memory full', class: 'modem' },
  21: { meaning: 'invalid index', class: 'modem' },
  22: { meaning: 'not found', class: 'modem' },
  30: { meaning: 'no network service', class: 'network' },
  31: { meaning: 'network timeout', class: 'network' },
  32: { meaning: 'network not allowed - emergency calls only', class: 'network' },
  100: { meaning: 'unknown', class: 'modem' },
  515: { meaning: 'please wait, init or command processing in progress', class: 'modem' },
};

/**
 * Class of a `+CMS ERROR` code. Codes not in the table: RP causes (< 300) are the network's,
 * 300 and above the modem's. A verbose text code (`AT+CMEE=2`) has no number to judge by: `modem`.
 */
export function cmsClass(code: number | string): CodeClass {
  if (typeof code !== 'number') return 'modem';
  return CMS_CODES[code]?.class ?? (code >= 300 ? 'modem' : 'network');
}

/** Class of a `+CME ERROR` code: the network's for 30–32, else the modem's. */
export function cmeClass(code: number | string): CodeClass {
  if (typeof code !== 'number') return 'modem';
  return CME_CODES[code]?.class ?? 'modem';
}

/** The meaning of a code, for messages: `unknown error` for CMS 500; undefined when not in the table. */
export function codeMeaning(kind: 'cms' | 'cme', code: number | string): string | undefined {
  if (typeof code !== 'number') return undefined;
  return (kind === 'cms' ? CMS_CODES : CME_CODES)[code]?.meaning;
}
