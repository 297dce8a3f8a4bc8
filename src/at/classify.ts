/**
 * Pure line classification: given a line and what command (if any) is pending, is it an echo,
 * a final result, an info line for the command, a URC, noise, or unsolicited junk?
 * URCs are recognised by prefix even mid-command (python-gsmmodem's flaw to avoid: swallowing a
 * `+CMTI:` into the pending command's response).
 */

/** docs/design.md standard URC prefixes. */
export const STANDARD_URC_PREFIXES: readonly string[] = [
  '+CMTI:', '+CMT:', '+CDS:', '+CDSI:', 'RING', '+CRING:', '+CLIP:', '+CREG:', '+CGREG:', '+CUSD:',
  'NO CARRIER', 'BUSY', '+CPIN:', '^SMMEMFULL', '+CIEV:',
];

/** URCs whose next line is a PDU (3GPP TS 27.005 §3.4.1 in PDU mode). */
export const PDU_URC_PREFIXES: readonly string[] = ['+CMT:', '+CDS:'];

/** Response headers followed by a PDU line that belongs to the response, not to the URC stream. */
export const BODY_PREFIXES: readonly string[] = ['+CMGL:', '+CMGR:'];

/** Finals that end only a dial/answer command; otherwise `NO CARRIER`/`BUSY` are URCs (call ended). */
export const CALL_ERROR_FINALS: readonly string[] = ['NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE'];

export interface ClassifierConfig {
  /** Extra success finals (profile `finals.ok`). */
  okFinals: readonly string[];
  /** Extra failure finals (profile `finals.error`, e.g. Huawei `COMMAND NOT SUPPORT`). */
  errorFinals: readonly string[];
  /** URC prefixes: standard + profile `urc.prefixes`. */
  urcPrefixes: readonly string[];
  /** Profile `urc.noise`: dropped with a trace log. Checked before URCs (Quectel: '+QIND: PB DONE' is noise, '+QIND:' a URC). */
  noisePrefixes: readonly string[];
}

/** What the classifier needs to know about the pending command. */
export interface PendingView {
  text: string;
  expect: readonly string[];
  echoSeen: boolean;
  /** The PDU we wrote after the prompt (without Ctrl-Z), once written: its echo is dropped. */
  payloadEcho?: string;
}

export type LineClass = 'echo' | 'ok' | 'error' | 'info' | 'urc' | 'noise' | 'unsolicited';

export function hasPrefix(line: string, prefixes: readonly string[]): boolean {
  const upper = line.toUpperCase();
  return prefixes.some((p) => upper.startsWith(p.toUpperCase()));
}

export function isHexLine(line: string): boolean {
  return /^[0-9A-Fa-f]+$/.test(line);
}

/** ok / error / undefined for a line as a final result of `commandText` (undefined: any command). */
export function finalKind(line: string, cfg: ClassifierConfig, commandText?: string): 'ok' | 'error' | undefined {
  const upper = line.toUpperCase();
  if (upper === 'OK' || cfg.okFinals.some((f) => upper === f.toUpperCase())) return 'ok';
  if (upper === 'ERROR' || /^\+CM[ES] ERROR:/.test(upper)) return 'error';
  if (cfg.errorFinals.some((f) => upper === f.toUpperCase() || upper.startsWith(f.toUpperCase()))) return 'error';
  if (commandText && /^AT[DA]/i.test(commandText) && CALL_ERROR_FINALS.includes(upper)) return 'error';
  return undefined;
}

function isEcho(line: string, p: PendingView): boolean {
  if (!p.echoSeen && line.toUpperCase() === p.text.toUpperCase()) return true;
  if (p.payloadEcho === undefined) return false;
  // The PDU echo may come as '> 0011…', with the Ctrl-Z, or cut by an idle flush.
  const bare = line.replace(/^>\s*/, '').replace(/[\x1a\x1b]/g, '').trim();
  return bare.length >= 2 && isHexLine(bare) && p.payloadEcho.toUpperCase().includes(bare.toUpperCase());
}

/** Classify one line. With no command pending, finals and unknown lines are 'unsolicited'. */
export function classifyLine(line: string, pending: PendingView | undefined, cfg: ClassifierConfig): LineClass {
  if (pending) {
    if (isEcho(line, pending)) return 'echo';
    const fin = finalKind(line, cfg, pending.text);
    if (fin) return fin;
    if (hasPrefix(line, pending.expect)) return 'info';
  }
  if (hasPrefix(line, cfg.noisePrefixes)) return 'noise';
  if (hasPrefix(line, cfg.urcPrefixes)) return 'urc';
  return pending ? 'info' : 'unsolicited';
}
