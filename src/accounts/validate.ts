/**
 * What an account's fields may hold: a login (`[a-z0-9._-]{2,32}`, case-insensitive), an http(s)
 * webhook URL, an e-mail address and an E.164 number. Each check throws AccountError naming the value.
 */
import { normalizePhone, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { AccountError } from './errors.js';

const LOGIN = /^[a-z0-9._-]{2,32}$/;

/** The stored (lower-case) form of a login, or AccountError ACCOUNT_LOGIN. */
export function normalizeLogin(input: string): string {
  const login = String(input ?? '').trim().toLowerCase();
  if (!LOGIN.test(login)) {
    throw new AccountError('ACCOUNT_LOGIN', `invalid login ${JSON.stringify(input)}: 2 to 32 characters of a-z, 0-9, ".", "_" or "-"`);
  }
  return login;
}

/**
 * A webhook URL: absolute http or https, no fragment. Other schemes (file:, ftp:, data:) would let
 * an account make this server read or send elsewhere, so they are refused here and again at send time.
 */
export function checkWebhookUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new AccountError('ACCOUNT_WEBHOOK', `invalid webhook URL ${JSON.stringify(input)}: expected an absolute URL like https://crm.example.com/sms`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AccountError('ACCOUNT_WEBHOOK', `invalid webhook URL ${JSON.stringify(input)}: only http and https are allowed, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.hash) throw new AccountError('ACCOUNT_WEBHOOK', `invalid webhook URL ${JSON.stringify(input)}: a #fragment is never sent to a server; remove it`);
  return url.href;
}

/** A plain address `local@domain.tld` (no display name); the SMTP server has the last word. */
export function checkEmail(input: string): string {
  const v = String(input ?? '').trim();
  if (!/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]+$/.test(v) || v.length > 254) {
    throw new AccountError('ACCOUNT_EMAIL', `invalid e-mail address ${JSON.stringify(input)}: expected an address like support@example.com`);
  }
  return v;
}

/** The SIM number an account owns, as E.164. */
export function checkNumber(input: string, rule: PhoneOptions | PhoneRule): string {
  try {
    return normalizePhone(input, rule);
  } catch (e) {
    throw new AccountError('ACCOUNT_NUMBER', `invalid --number: ${(e as Error).message}`);
  }
}

export function checkName(input: string): string {
  const v = String(input ?? '').trim();
  if (v.length > 200 || /[\u0000-\u001f\u007f]/.test(v)) {
    throw new AccountError('ACCOUNT_NAME', `invalid name ${JSON.stringify(input)}: at most 200 characters, no control characters`);
  }
  return v;
}
