/**
 * Typed AT errors (docs/design.md §src/at). Each carries the command, a `code` string and a
 * `retryable` class the job policy uses; messages name the command and the modem's code/meaning.
 */
import { CME_MEANINGS, CMS_MEANINGS, cmeRetryable, cmsRetryable } from './error-codes.js';

export class AtError extends Error {
  readonly code: string;
  readonly command?: string;
  readonly retryable: boolean;
  constructor(message: string, o: { code: string; command?: string; retryable: boolean }) {
    super(message);
    this.name = new.target.name;
    this.code = o.code;
    this.command = o.command;
    this.retryable = o.retryable;
  }
}

/** `+CME ERROR: 10` → cme 10; `+CME ERROR: SIM not inserted` → cme 'SIM not inserted'. */
export class CmeError extends AtError {
  readonly cme: number | string;
  constructor(cme: number | string, command?: string) {
    super(`${command ?? 'AT command'} failed: +CME ERROR: ${cme}${meaning(CME_MEANINGS, cme)}`, {
      code: 'CME_ERROR',
      command,
      retryable: cmeRetryable(cme),
    });
    this.cme = cme;
  }
}

/** `+CMS ERROR: 500` → cms 500 (SMS-related failures, 3GPP TS 27.005). */
export class CmsError extends AtError {
  readonly cms: number | string;
  constructor(cms: number | string, command?: string) {
    super(`${command ?? 'AT command'} failed: +CMS ERROR: ${cms}${meaning(CMS_MEANINGS, cms)}`, {
      code: 'CMS_ERROR',
      command,
      retryable: cmsRetryable(cms),
    });
    this.cms = cms;
  }
}

/** Plain `ERROR` or a profile error final such as Huawei `COMMAND NOT SUPPORT`. */
export class CommandError extends AtError {
  readonly final: string;
  constructor(final: string, command?: string) {
    super(`${command ?? 'AT command'} failed: ${final}`, { code: 'COMMAND_ERROR', command, retryable: false });
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
    super(`${command} timed out after ${timeoutMs} ms waiting for the ${stage === 'prompt' ? "'> ' prompt" : 'final result'}${got}`, {
      code: 'AT_TIMEOUT',
      command,
      retryable: true,
    });
    this.stage = stage;
    this.partial = partial;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The port is closed or went away (unplugged) while a command was queued or running. (The
 * transport's own PortClosedError, src/transport/errors.ts, is turned into this by the engine.)
 */
export class PortClosedError extends AtError {
  /**
   * For prompt commands (AT+CMGS): 'prompt' = closed before the PDU was written (safe to retry),
   * 'final' = after (the network may have the message). Undefined for other commands.
   */
  readonly stage?: 'prompt' | 'final';
  constructor(detail: string, command?: string, stage?: 'prompt' | 'final') {
    super(command ? `${command} aborted: ${detail}` : detail, { code: 'PORT_CLOSED', command, retryable: true });
    if (stage) this.stage = stage;
  }
}

function meaning(table: Readonly<Record<number, string>>, code: number | string): string {
  return typeof code === 'number' && table[code] ? ` (${table[code]})` : '';
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
