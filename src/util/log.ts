import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino must never print: passwords, tokens and keys anywhere in a logged object.
 * `censor` keeps the key visible so an operator sees that something was there.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'passwordEnc',
  '*.passwordEnc',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'key',
  '*.key',
  'pin',
  '*.pin',
  // SMTP password (config `smtp.pass`) and account webhook secrets (plain or encrypted).
  'pass',
  '*.pass',
  'webhookSecret',
  '*.webhookSecret',
  'webhookSecretEnc',
  '*.webhookSecretEnc',
  'previousSecretEnc',
  '*.previousSecretEnc',
];

export const silentLogger: Logger = pino({ level: 'silent' });

/** `json`: one object per line (journald, log shippers); `pretty`: for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/** Pretty when stdout is a terminal, JSON otherwise (a service's journal). */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'pretty' : 'json';
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest as never);
}

/**
 * The destination for `format` on stdout: undefined for JSON (pino's own), a pino-pretty stream
 * for `pretty` — in-process (not a worker transport), so lines stay in order with the process's
 * other output and nothing is lost at exit; redaction happens before it. Imported only when asked
 * for: every CLI command loads this module, only `serve --log-format pretty` needs the formatter.
 */
export async function logDestination(format: LogFormat): Promise<NodeJS.WritableStream | undefined> {
  if (format === 'json') return undefined;
  const { default: pinoPretty } = await import('pino-pretty');
  return pinoPretty({
    destination: 1,
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,module',
    messageFormat: '{if module}[{module}] {end}{msg}',
  });
}

/** A child logger for one module (architecture practice 5). */
export function moduleLogger(parent: Logger | undefined, module: string): Logger {
  return (parent ?? silentLogger).child({ module });
}
