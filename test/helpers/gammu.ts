/**
 * Runs Debian's python3-gammu in a subprocess as an independent reference decoder.
 * A subprocess because gammu aborts the whole process on some invalid PDUs (and its LinkSMS never
 * returns for a lone middle part), which must fail a test, not kill vitest.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./gammu_decode.py', import.meta.url));

export interface GammuPart {
  error?: string;
  type?: string;
  number?: string;
  smsc?: string;
  /** SMSC validity as gammu names it: 'NA', '5M', '1D', 'Max'… */
  validity?: string;
  coding?: string;
  class?: number;
  udhType?: string;
  udhHex?: string;
  id8?: number;
  id16?: number;
  part?: number;
  allParts?: number;
  length?: number;
  dateTime?: string | null;
  deliveryStatus?: number;
  messageReference?: number;
  /** gammu's text for the part; for a status report its class: Delivered, Pending, Failed, Unknown. */
  rawText?: string | null;
}

export interface GammuMessage {
  text: string;
  parts: number;
  number: string;
  partTexts: string[];
}

export interface GammuResult {
  parts: GammuPart[];
  messages: GammuMessage[];
}

/** Why gammu cannot run here, or undefined when `import gammu` works. */
export function gammuUnavailableReason(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import gammu'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `python3-gammu is missing (apt-get install python3-gammu): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}

/** Decode PDUs (hex) with gammu.DecodePDU and link them with LinkSMS/DecodeSMS. Throws with gammu's stderr if it dies. */
export function gammuDecode(pdus: string[], smsc = true): GammuResult {
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ pdus, smsc }), encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`gammu subprocess failed: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`gammu subprocess exited ${r.status ?? r.signal}: ${r.stderr.trim()} (pdus: ${pdus.join(' ')})`);
  }
  return JSON.parse(r.stdout) as GammuResult;
}

/**
 * The first octet gammu writes for an SMS-SUBMIT with (`Status_Report` type) and without a status
 * report request: gammu's own idea of which bit is TP-SRR, to compare with our encoder.
 */
export function gammuSubmitFirstOctets(): { withReport: number; without: number } {
  const script = [
    'import gammu, json',
    // A decoded SUBMIT gives a complete message dict to encode again.
    "m = dict(gammu.DecodePDU(bytes.fromhex('0001000B919700214365F700000141'), SMSC=True))",
    'out = {}',
    "for key, t in (('withReport', 'Status_Report'), ('without', 'Submit')):",
    "    m['Type'] = t",
    "    pdu = gammu.EncodePDU(m, Layout='Submit')",
    '    out[key] = pdu[pdu[0] + 1]',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`gammu EncodePDU failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as { withReport: number; without: number };
}
