import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

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
];

export const silentLogger: Logger = pino({ level: 'silent' });

/** `json`: one object per line (journald, log shippers); `pretty`: for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/** Pretty when stdout is a terminal, JSON otherwise (a service's journal). */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'pretty' : 'json';
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const opts = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (format === 'json') return pino(opts, dest as never);
  // pino-pretty as an in-process stream (not a worker transport): lines stay in order with the
  // process's other output and nothing is lost when it exits. Redaction happens before it.
  const pretty = pinoPretty({
    destination: dest ?? 1,
    sync: true,
    colorize: dest === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,module',
    messageFormat: '{if module}[{module}] {end}{msg}',
  });
  return pino(opts, pretty);
}

/** A child logger for one module (architecture practice 5). */
export function moduleLogger(parent: Logger | undefined, module: string): Logger {
  return (parent ?? silentLogger).child({ module });
}
