/**
 * Typed AT errors (docs/design.md §src/at). Each carries the command and a `code` string; messages
 * name the command and the modem's code with its meaning. What a code means for a failed send is
 * in the one table of `error-codes.ts`. A closed port is the transport's `PortClosedError`.
 */
import { codeMeaning } from './error-codes.js';

export class AtError extends Error {
  readonly code: string;
  readonly command?: string;
  constructor(message: string, o: { code: string; command?: string }) {
    super(message);
    this.name = new.target.name;
    this.code = o.code;
    this.command = o.command;
  }
}

/** `+CME ERROR: 10` → cme 10; `+CME ERROR: SIM not inserted` → cme 'SIM not inserted'. */
export class CmeError extends AtError {
  readonly cme: number | string;
  constructor(cme: number | string, command?: string) {
    super(`${command ?? 'AT command'} failed: +CME ERROR: ${cme}${meaning('cme', cme)}`, { code: 'CME_ERROR', command });
    this.cme = cme;
  }
}

/** `+CMS ERROR: 500` → cms 500 (SMS-related failures, 3GPP TS 27.005). */
export class CmsError extends AtError {
  readonly cms: number | string;
  constructor(cms: number | string, command?: string) {
    super(`${command ?? 'AT command'} failed: +CMS ERROR: ${cms}${meaning('cms', cms)}`, { code: 'CMS_ERROR', command });
    this.cms = cms;
  }
}

/** Plain `ERROR` or a profile error final such as Huawei `COMMAND NOT SUPPORT`. */
export class CommandError extends AtError {
  readonly final: string;
  constructor(final: string, command?: string) {
    super(`${command ?? 'AT command'} failed: ${final}`, { code: 'COMMAND_ERROR', command });
    this.final = final;
  }
}

/** No prompt/final in time. `partial` holds the lines that did arrive for the command. */
export class AtTimeoutError extends AtError {
  readonly stage: 'prompt' | 'final';
  readonly partial: string[];
  readonly timeoutMs: number;
  constructor(command: string, stage: 'prompt' | 'final', timeoutMs: number, partial: string[]) {
    const got = partial.length ? ` (got: ${partial.map((l) => JSON.stringify(l)).join(', ')})` : ' (no reply)';
    super(`${command} timed out after ${timeoutMs} ms waiting for the ${stage === 'prompt' ? "'> ' prompt" : 'final result'}${got}`, { code: 'AT_TIMEOUT', command });
    this.stage = stage;
    this.partial = partial;
    this.timeoutMs = timeoutMs;
  }
}

function meaning(kind: 'cms' | 'cme', code: number | string): string {
  const m = codeMeaning(kind, code);
  return m ? ` (${m})` : '';
}

/**
 * Map an error final-result line to its typed error, or undefined if the line is not
 * `+CME ERROR:`/`+CMS ERROR:`. Numeric codes become numbers; text codes (AT+CMEE=2) stay text.
 */
export function parseErrorCode(line: string): { kind: 'cme' | 'cms'; code: number | string } | undefined {
  const m = /^\+CM([ES]) ERROR:\s*(.*)$/i.exec(line.trim());
  if (!m) return undefined;
  const raw = m[2]!.trim();
  const code = /^\d+$/.test(raw) ? Number(raw) : raw;
  return { kind: m[1]!.toUpperCase() === 'E' ? 'cme' : 'cms', code };
}

/** The typed error for an error final line (`ERROR`, `+CME ERROR: …`, `+CMS ERROR: …`, profile extras). */
export function errorForFinal(final: string, command?: string): AtError {
  const parsed = parseErrorCode(final);
  if (parsed?.kind === 'cme') return new CmeError(parsed.code, command);
  if (parsed?.kind === 'cms') return new CmsError(parsed.code, command);
  return new CommandError(final, command);
}
