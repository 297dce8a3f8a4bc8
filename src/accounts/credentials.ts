/**
 * An account's credentials: the API token (a bearer token for the HTTP API) and the webhook signing
 * secret in the Standard Webhooks form `whsec_<base64 of 32 random bytes>`. Both are shown once
 * when made; the token is stored as its SHA-256, the secret encrypted (it must be readable to sign).
 */
import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, hashToken } from '../util/secret.js';
import { AccountError } from './errors.js';

export const TOKEN_PREFIX = 'smsk_';
export const SECRET_PREFIX = 'whsec_';

export function newApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Fresh credentials: the plain values (to show once) and what is stored. */
export interface NewCredentials {
  token: string;
  webhookSecret: string;
  tokenHash: string;
  webhookSecretEnc: string;
}

export function makeCredentials(key: Buffer): NewCredentials {
  const token = newApiToken();
  const webhookSecret = newWebhookSecret();
  return { token, webhookSecret, tokenHash: hashToken(token), webhookSecretEnc: encryptSecret(webhookSecret, key) };
}

/**
 * Checks that stored credentials made by another process (the CLI) are readable with this
 * process's key: a CLI that found a different key (another SMS_SERVER_KEY) would otherwise create
 * an account whose webhooks can never be signed.
 */
export function checkStoredCredentials(c: { tokenHash: unknown; webhookSecretEnc: unknown }, key: Buffer): { tokenHash: string; webhookSecretEnc: string } {
  if (typeof c.tokenHash !== 'string' || !/^[0-9a-f]{64}$/.test(c.tokenHash)) {
    throw new AccountError('ACCOUNT_SECRET', 'the token hash must be 64 hex digits (SHA-256)');
  }
  if (typeof c.webhookSecretEnc !== 'string') throw new AccountError('ACCOUNT_SECRET', 'the encrypted webhook secret is missing');
  let plain: string;
  try {
    plain = decryptSecret(c.webhookSecretEnc, key);
  } catch (e) {
    throw new AccountError(
      'ACCOUNT_SECRET',
      `the server cannot read the new webhook secret (${(e as Error).message}); run the command with the same "secretKey" / SMS_SERVER_KEY as the server`,
    );
  }
  if (!plain.startsWith(SECRET_PREFIX)) throw new AccountError('ACCOUNT_SECRET', 'the webhook secret is not in the whsec_… form');
  return { tokenHash: c.tokenHash, webhookSecretEnc: c.webhookSecretEnc };
}
