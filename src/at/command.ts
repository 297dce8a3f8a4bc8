/** AT commands as data, and what a finished command gives back (docs/design.md §src/at). */

export interface AtCommand {
  /** Full command without CR, e.g. 'AT+CMGS=23'. */
  text: string;
  /**
   * Info prefixes this command solicits, e.g. ['+CMGS:']; such lines are NOT URCs while it runs.
   * The engine also derives one per `;`-joined part from the text itself (`AT+CREG?` → `+CREG:`).
   */
  expect?: string[];
  /** Until the final result (after the payload, for prompt commands). Default: the engine's defaultTimeoutMs. */
  timeoutMs?: number;
  /** AT+CMGS: wait for '> ' then write payload (PDU + '\x1a'; the Ctrl-Z is appended if missing). */
  prompt?: { payload: string | Buffer; timeoutMs?: number };
  /** Wavecom answers `AT+CPIN?` with '+CPIN: READY' and no OK: resolve after the info + a short grace. */
  infoCompletes?: boolean;
  /**
   * The command or its prompt payload carries a secret (`AT+CPIN="1234"`, a PDU with a password):
   * logs and errors show `AT+CPIN=<redacted>` / `<redacted PDU>`.
   */
  redact?: boolean;
}

export interface AtResponse {
  command: string;
  /** Info lines in arrival order (echoes, URCs and noise removed; +CMGL/+CMGR PDU lines kept). */
  lines: string[];
  /** The final result line ('OK' or a profile ok-final); '' when completed by `infoCompletes`. */
  final: string;
}

/** An unsolicited result. `+CMT:`/`+CDS:` carry the following PDU line as `pdu`. */
export interface UrcEvent {
  line: string;
  pdu?: string;
}

export const CTRL_Z = '\x1a';
export const ESC = '\x1b';

/** `AT+CMEE=1;+CREG?` → ['+CMEE:', '+CREG:']; `AT^CURC=0` → ['^CURC:']; `ATI` → []. */
export function derivedPrefixes(text: string): string[] {
  const body = text.replace(/^AT/i, '');
  const out: string[] = [];
  for (const part of body.split(';')) {
    const m = /^\s*([+^$%][A-Za-z0-9]+)/.exec(part);
    if (m) out.push(`${m[1]!.toUpperCase()}:`);
  }
  return out;
}

/** Accept a bare string as `{ text }` and fill in the derived expect prefixes. */
export function normalizeCommand(cmd: AtCommand | string): AtCommand & { expect: string[]; display: string } {
  const c = typeof cmd === 'string' ? { text: cmd } : cmd;
  const text = c.text.replace(/\r$/, '');
  const expect = [...new Set([...(c.expect ?? []), ...derivedPrefixes(text)])];
  // What logs and error messages may show of this command.
  const display = c.redact ? text.replace(/=.*$/, '=<redacted>') : text;
  return { ...c, text, expect, display };
}
