/**
 * Account management on top of the store: create, change, rotate credentials, remove, and the
 * public view (never a secret). The same functions run in the CLI (direct) or in the server (spool).
 */
import type { Account, AccountStore } from '../store/account-types.js';
import type { PhoneOptions, PhoneRule } from '../util/phone.js';
import { AccountError } from './errors.js';
import { checkEmail, checkName, checkNumber, checkWebhookUrl, normalizeLogin } from './validate.js';

/** How long a rotated webhook secret still signs (next to the new one): receivers switch without a gap. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3_600_000;

export interface AccountInput {
  login: string;
  name?: string;
  webhook?: string;
  email?: string;
  number?: string;
}

/** `null` removes the field (`--webhook none`); undefined leaves it. */
export interface AccountChanges {
  name?: string | null;
  webhook?: string | null;
  email?: string | null;
  number?: string | null;
  /** `hashPassword()` of the SMPP password, made by the CLI (the plain password never reaches the writer); null: SMPP off. */
  smppPasswordHash?: string | null;
}

/** The form `hashPassword()` (src/util/password-hash.ts) writes: nothing else is stored as an SMPP password. */
const SCRYPT_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

export interface StoredCredentials {
  tokenHash: string;
  webhookSecretEnc: string;
}

/** What listings and the API show of an account. */
export interface AccountView {
  login: string;
  name: string | null;
  webhook: string | null;
  /** `disabled` after the receiver answered 410 Gone. */
  webhookStatus: 'active' | 'disabled' | null;
  webhookDisabled: { at: string; reason: string } | null;
  email: string | null;
  number: string | null;
  /** An SMPP password is set: the account may bind (the password itself is only kept as a hash). */
  smpp: boolean;
  createdAt: string;
  updatedAt: string;
}

export function accountView(a: Account): AccountView {
  return {
    login: a.login,
    name: a.name ?? null,
    webhook: a.webhook ?? null,
    webhookStatus: a.webhook ? (a.webhookDisabled ? 'disabled' : 'active') : null,
    webhookDisabled: a.webhookDisabled ?? null,
    email: a.email ?? null,
    number: a.number ?? null,
    smpp: a.smppPasswordHash !== undefined,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

async function requireAccount(store: AccountStore, login: string): Promise<Account> {
  const key = normalizeLogin(login);
  const a = await store.getAccount(key);
  if (!a) throw new AccountError('ACCOUNT_NOT_FOUND', `no account "${key}" (see \`sms-server accounts list\`)`);
  return a;
}

/** Two accounts owning one SIM would make route `number` ambiguous. */
async function checkNumberFree(store: AccountStore, number: string, login: string): Promise<void> {
  const owner = (await store.listAccounts()).find((a) => a.number === number && a.login !== login);
  if (owner) throw new AccountError('ACCOUNT_NUMBER_TAKEN', `number ${number} already belongs to account "${owner.login}"`);
}

export async function createAccount(
  store: AccountStore,
  input: AccountInput,
  creds: StoredCredentials,
  rule: PhoneOptions | PhoneRule,
  now: Date,
): Promise<Account> {
  const login = normalizeLogin(input.login);
  if (await store.getAccount(login)) throw new AccountError('ACCOUNT_EXISTS', `account "${login}" already exists (change it with \`accounts set\`)`);
  const number = input.number !== undefined ? checkNumber(input.number, rule) : undefined;
  if (number) await checkNumberFree(store, number, login);
  const at = now.toISOString();
  const account: Account = {
    login,
    ...(input.name !== undefined && input.name.trim() !== '' ? { name: checkName(input.name) } : {}),
    ...(input.webhook !== undefined ? { webhook: checkWebhookUrl(input.webhook) } : {}),
    ...(input.email !== undefined ? { email: checkEmail(input.email) } : {}),
    ...(number ? { number } : {}),
    tokenHash: creds.tokenHash,
    webhookSecretEnc: creds.webhookSecretEnc,
    createdAt: at,
    updatedAt: at,
  };
  await store.putAccount(account);
  return account;
}

export async function changeAccount(
  store: AccountStore,
  login: string,
  changes: AccountChanges,
  rule: PhoneOptions | PhoneRule,
  now: Date,
): Promise<Account> {
  const a = await requireAccount(store, login);
  const next: Account = { ...a, updatedAt: now.toISOString() };
  if (changes.name !== undefined) {
    if (changes.name === null || changes.name.trim() === '') delete next.name;
    else next.name = checkName(changes.name);
  }
  if (changes.webhook !== undefined) {
    if (changes.webhook === null) delete next.webhook;
    else next.webhook = checkWebhookUrl(changes.webhook);
    // Setting the webhook again is how an operator re-enables it after a 410.
    delete next.webhookDisabled;
  }
  if (changes.email !== undefined) {
    if (changes.email === null) delete next.email;
    else next.email = checkEmail(changes.email);
  }
  if (changes.number !== undefined) {
    if (changes.number === null) delete next.number;
    else {
      next.number = checkNumber(changes.number, rule);
      await checkNumberFree(store, next.number, next.login);
    }
  }
  if (changes.smppPasswordHash !== undefined) {
    if (changes.smppPasswordHash === null) delete next.smppPasswordHash;
    else if (!SCRYPT_HASH.test(changes.smppPasswordHash)) throw new AccountError('ACCOUNT_SMPP_PASSWORD', 'the SMPP password must arrive hashed (scrypt$…): set it with `accounts set --smpp-password`');
    else next.smppPasswordHash = changes.smppPasswordHash;
  }
  await store.putAccount(next);
  return next;
}

/**
 * New API token (the old one stops working at once) and new webhook secret; the old secret keeps
 * signing next to the new one for SECRET_ROTATION_GRACE_MS (Standard Webhooks sends both signatures).
 */
export async function rotateCredentials(store: AccountStore, login: string, creds: StoredCredentials, now: Date): Promise<Account> {
  const a = await requireAccount(store, login);
  const next: Account = {
    ...a,
    tokenHash: creds.tokenHash,
    webhookSecretEnc: creds.webhookSecretEnc,
    previousSecretEnc: a.webhookSecretEnc,
    previousSecretUntil: new Date(now.getTime() + SECRET_ROTATION_GRACE_MS).toISOString(),
    updatedAt: now.toISOString(),
  };
  await store.putAccount(next);
  return next;
}

export async function deleteAccount(store: AccountStore, login: string): Promise<boolean> {
  return store.removeAccount(normalizeLogin(login));
}

/** The account owning the SIM number (route `number`). */
export async function accountForNumber(store: AccountStore, number: string): Promise<Account | undefined> {
  return (await store.listAccounts()).find((a) => a.number === number);
}
