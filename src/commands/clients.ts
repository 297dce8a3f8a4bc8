/**
 * The client list behind `CLIENT info`: add, remove, list and import customers. Phones are stored
 * in E.164 (one customer, one key, whatever form the operator typed), portal passwords encrypted
 * (src/util/secret.ts). A replaced or re-imported client keeps its opt-out unless the input says
 * otherwise: re-importing the CRM export must not re-subscribe people who texted `CLIENT sms stop`.
 */
import type { Client, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { parseCsv, type CsvLineError } from '../util/csv.js';
import { normalizePhone, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { decryptSecret, encryptSecret } from '../util/secret.js';

export interface ClientInput {
  phone: string;
  code: string;
  login: string;
  password: string;
  /** Unset: unchanged for an existing client; for a new one true, unless the number opted out before it was a client. */
  optIn?: boolean;
}

export type ClientErrorCode = 'INVALID_CLIENT' | 'CLIENT_EXISTS';

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** The offending field, for INVALID_CLIENT. */
    readonly field?: keyof ClientInput,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export interface ClientWriteOptions {
  /** Replace an existing client with the same phone instead of failing (`clients add --force`). */
  upsert?: boolean;
  clock?: Clock;
}

const MAX_FIELD = 64;
// Control characters would break the reply SMS layout (or hide text); none belongs in these fields.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** Validate and normalise input fields; the password value never appears in a message. */
export function validateClientInput(input: ClientInput, rule: PhoneOptions | PhoneRule = {}): ClientInput {
  let phone: string;
  try {
    phone = normalizePhone(input.phone ?? '', rule);
  } catch (e) {
    throw new ClientError('INVALID_CLIENT', (e as Error).message, 'phone');
  }
  const code = (input.code ?? '').trim();
  const login = (input.login ?? '').trim();
  const password = input.password ?? '';
  const text = (field: 'code' | 'login', v: string) => {
    if (v === '') throw new ClientError('INVALID_CLIENT', `${field} is empty`, field);
    if (v.length > MAX_FIELD) throw new ClientError('INVALID_CLIENT', `${field} ${JSON.stringify(v)} is longer than ${MAX_FIELD} characters`, field);
    if (CONTROL_RE.test(v)) throw new ClientError('INVALID_CLIENT', `${field} ${JSON.stringify(v)} contains a control character (line break, tab …)`, field);
  };
  text('code', code);
  text('login', login);
  if (/\s/u.test(login)) throw new ClientError('INVALID_CLIENT', `login ${JSON.stringify(login)} contains a space`, 'login');
  if (password === '') throw new ClientError('INVALID_CLIENT', 'password is empty', 'password');
  if (password.length > MAX_FIELD) throw new ClientError('INVALID_CLIENT', `password is longer than ${MAX_FIELD} characters`, 'password');
  if (CONTROL_RE.test(password)) throw new ClientError('INVALID_CLIENT', 'password contains a control character (line break, tab …)', 'password');
  // Spaces at the ends are invisible in an SMS: the customer could never type the password back.
  if (password.trim() !== password) throw new ClientError('INVALID_CLIENT', 'password starts or ends with a space', 'password');
  return { phone, code, login, password, optIn: input.optIn };
}

/**
 * Add a client (or replace one with `upsert`). Throws ClientError INVALID_CLIENT naming the field,
 * or CLIENT_EXISTS when the phone is taken and `upsert` is not set.
 */
export async function addClient(
  store: Store,
  input: ClientInput,
  key: Buffer,
  rule: PhoneOptions | PhoneRule = {},
  opts: ClientWriteOptions = {},
): Promise<{ client: Client; created: boolean }> {
  const v = validateClientInput(input, rule);
  const existing = await store.getClient(v.phone);
  if (existing && !opts.upsert) {
    throw new ClientError('CLIENT_EXISTS', `client ${v.phone} already exists (login ${JSON.stringify(existing.login)}); use --force to replace it`);
  }
  const now = new Date((opts.clock ?? realClock).now()).toISOString();
  const client: Client = {
    phone: v.phone,
    code: v.code,
    login: v.login,
    passwordEnc: encryptSecret(v.password, key),
    // A new client who texted `CLIENT sms stop` before being registered stays opted out.
    optIn: v.optIn ?? existing?.optIn ?? !(await store.hasOptOut(v.phone)),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await store.upsertClient(client);
  return { client, created: !existing };
}

/** Remove by phone in any accepted form. False when there was no such client. */
export async function removeClient(store: Store, phone: string, rule: PhoneOptions | PhoneRule = {}): Promise<boolean> {
  return store.removeClient(normalizePhone(phone, rule));
}

export interface ClientRow {
  phone: string;
  code: string;
  login: string;
  /** `********` unless passwords were asked for. */
  password: string;
  optIn: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Shown in place of a password; the same length for every password so lengths do not leak. */
export const HIDDEN_PASSWORD = '********';

/**
 * Clients sorted by phone, passwords hidden unless `showPasswords` (which needs `key`; a wrong key
 * is a SecretError, not garbage).
 */
export async function listClients(store: Store, opts: { showPasswords?: boolean; key?: Buffer } = {}): Promise<ClientRow[]> {
  if (opts.showPasswords && !opts.key) throw new Error('listClients: showPasswords needs the secret key');
  const clients = await store.listClients();
  return clients
    .sort((a, b) => (a.phone < b.phone ? -1 : a.phone > b.phone ? 1 : 0))
    .map((c) => ({
      phone: c.phone,
      code: c.code,
      login: c.login,
      password: opts.showPasswords ? decryptSecret(c.passwordEnc, opts.key as Buffer) : HIDDEN_PASSWORD,
      optIn: c.optIn,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    }));
}

/** Opt-in column values: yes/no in the three languages, 1/0, true/false. Empty → undefined (keep). */
export function parseOptIn(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if (['1', 'yes', 'y', 'true', 'on', 'start', 'да', 'sí', 'si'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'off', 'stop', 'нет'].includes(v)) return false;
  throw new ClientError('INVALID_CLIENT', `optin ${JSON.stringify(value)} is not yes/no, 1/0 or true/false`, 'optIn');
}

export interface ImportResult {
  added: number;
  updated: number;
  errors: CsvLineError[];
}

/**
 * Import `phone,code,login,password[,optin]` CSV (header required, extra columns ignored). Each bad
 * line is reported with its number and skipped; the others are written. Existing clients are
 * updated (keeping their opt-out when the optin column is absent or empty) unless `upsert: false`.
 * A phone repeated within the file is an error on the later line.
 */
export async function importClients(
  store: Store,
  csvText: string,
  key: Buffer,
  rule: PhoneOptions | PhoneRule = {},
  opts: ClientWriteOptions = {},
): Promise<ImportResult> {
  const table = parseCsv(csvText, { required: ['phone', 'code', 'login', 'password'] });
  const errors = [...table.errors];
  const firstLine = new Map<string, number>();
  let added = 0;
  let updated = 0;
  for (const { line, record } of table.rows) {
    try {
      const optIn = record.optin !== undefined ? parseOptIn(record.optin) : undefined;
      const input = validateClientInput({ phone: record.phone, code: record.code, login: record.login, password: record.password, optIn }, rule);
      const earlier = firstLine.get(input.phone);
      if (earlier !== undefined) throw new ClientError('INVALID_CLIENT', `phone ${input.phone} already appears on line ${earlier}`, 'phone');
      firstLine.set(input.phone, line);
      const { created } = await addClient(store, input, key, rule, { upsert: opts.upsert ?? true, clock: opts.clock });
      if (created) added++;
      else updated++;
    } catch (e) {
      if (!(e instanceof ClientError)) throw e; // store failures stop the import: they are not the line's fault
      errors.push({ line, message: e.message });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { added, updated, errors };
}
