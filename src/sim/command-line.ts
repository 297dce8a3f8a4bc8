/**
 * Splits one AT command line into the commands a modem executes in order, the way V.250 reads
 * it: `ATE0V1` is two basic commands, `AT+CMEE=1;+CREG=2` (smstools3) two extended ones, and a
 * `;` inside quotes is data, not a separator.
 */

export interface ParsedAtCommand {
  /** Upper-case name: `E`, `Z`, `I`, `H`, `&F`, `S0`, `+CMGS`, `^CURC`. */
  name: string;
  /** `exec` (`AT+CSQ`), `set` (`AT+CMGS=23`), `read` (`AT+CPMS?`), `test` (`AT+CSCS=?`). */
  kind: 'exec' | 'set' | 'read' | 'test';
  /** Raw argument text after `=` (for set) or the digits of a basic command (`E1` → `1`). */
  args: string;
}

export class CommandLineError extends Error {
  readonly code = 'SIM_BAD_COMMAND_LINE';
  constructor(readonly line: string) {
    super(`not an AT command line: ${JSON.stringify(line)}`);
  }
}

const EXTENDED_START = /[+^$%*#]/;

/** Parse the body of a command line (after the `AT` prefix). */
export function parseCommandLine(line: string): ParsedAtCommand[] {
  const trimmed = line.trim();
  if (!/^AT/i.test(trimmed)) throw new CommandLineError(line);
  const body = trimmed.slice(2);
  const out: ParsedAtCommand[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === ';' || c === ' ') {
      i++;
      continue;
    }
    if (EXTENDED_START.test(c)) {
      // Extended command: runs to the next unquoted ';' or the end of the line.
      let j = i;
      let quoted = false;
      while (j < body.length && (quoted || body[j] !== ';')) {
        if (body[j] === '"') quoted = !quoted;
        j++;
      }
      out.push(parseExtended(body.slice(i, j)));
      i = j;
      continue;
    }
    // Basic command: letter (or &letter), optional number; S-registers take =value or ?.
    let name = c.toUpperCase();
    i++;
    if (name === '&' && i < body.length) name += body[i++]!.toUpperCase();
    if (name === 'D') {
      out.push({ name, kind: 'set', args: body.slice(i) });
      break;
    }
    let num = '';
    while (i < body.length && /[0-9]/.test(body[i]!)) num += body[i++]!;
    if (name === 'S') {
      name += num;
      num = '';
      if (body[i] === '?') {
        out.push({ name, kind: 'read', args: '' });
        i++;
        continue;
      }
      if (body[i] === '=') {
        i++;
        let v = '';
        while (i < body.length && /[0-9]/.test(body[i]!)) v += body[i++]!;
        out.push({ name, kind: 'set', args: v });
        continue;
      }
    }
    out.push({ name, kind: 'exec', args: num });
  }
  return out;
}

function parseExtended(text: string): ParsedAtCommand {
  const m = /^([+^$%*#][A-Za-z0-9_&]+)(=\?|=|\?)?(.*)$/s.exec(text);
  if (!m) return { name: text.toUpperCase(), kind: 'exec', args: '' };
  const name = m[1]!.toUpperCase();
  const op = m[2];
  const kind = op === '=?' ? 'test' : op === '=' ? 'set' : op === '?' ? 'read' : 'exec';
  return { name, kind, args: (m[3] ?? '').trim() };
}

/** Split a set-command argument list on unquoted commas, dropping the quotes of each item. */
export function splitArgs(args: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of args) {
    if (ch === '"') {
      quoted = !quoted;
      continue;
    }
    if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}
