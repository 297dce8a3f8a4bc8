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

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest as never);
}

/** A child logger for one module (architecture practice 5). */
export function moduleLogger(parent: Logger | undefined, module: string): Logger {
  return (parent ?? silentLogger).child({ module });
}
