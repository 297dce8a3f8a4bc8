/**
 * Phone numbers: normalise what people type (and what modems report as the sender) to E.164
 * (`+79001234567`), so one customer has exactly one key in the client list whatever form the
 * number came in. Only the national rule of the configured country is known: a small table, not a
 * numbering-plan database (libphonenumber is not installed and is far larger than this job needs).
 */

/** How national numbers of one country map to E.164. */
export interface PhoneRule {
  /** Country calling code without `+`: '7' (Russia/Kazakhstan), '34' (Spain), '1' (NANP). */
  countryCode: string;
  /** National trunk prefix dialled before a national number: '8' in Russia, '' in Spain, '1' in NANP. */
  trunkPrefix: string;
  /**
   * Digits of a national significant number (after the country code), when fixed: 10 for +7.
   * Unset: lengths are not checked and bare digits not starting with the country code are national.
   */
  nationalLength?: number;
}

/** Known national rules by ISO 3166 country code. */
export const PHONE_RULES: Readonly<Record<string, PhoneRule>> = {
  // Russia and Kazakhstan share +7 and the trunk prefix 8: 8 900 123-45-67 is +7 900 123-45-67.
  RU: { countryCode: '7', trunkPrefix: '8', nationalLength: 10 },
  KZ: { countryCode: '7', trunkPrefix: '8', nationalLength: 10 },
  // Spain has no trunk prefix: 612 345 678 is +34 612 345 678.
  ES: { countryCode: '34', trunkPrefix: '', nationalLength: 9 },
  // NANP: 1 212 555 0100 and 212 555 0100 are +1 212 555 0100.
  US: { countryCode: '1', trunkPrefix: '1', nationalLength: 10 },
  CA: { countryCode: '1', trunkPrefix: '1', nationalLength: 10 },
};

/** Options naming the national rule: a country from PHONE_RULES, or an explicit country code. */
export interface PhoneOptions {
  /** ISO country code from PHONE_RULES; default 'RU'. Ignored when `countryCode` is given. */
  country?: string;
  /** Explicit country calling code (digits), for countries not in the table. */
  countryCode?: string;
  /** Trunk prefix for an explicit `countryCode` (default ''). */
  nationalPrefix?: string;
  /** National number length for an explicit `countryCode` (default: not checked). */
  nationalLength?: number;
}

export class InvalidPhoneError extends Error {
  readonly code = 'INVALID_PHONE';
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`invalid phone number ${JSON.stringify(input)}: ${detail}`);
    this.name = 'InvalidPhoneError';
  }
}

/** The rule for the options: explicit country code first, then the country table. Throws on an unknown country. */
export function resolvePhoneRule(opts: PhoneOptions | PhoneRule = {}): PhoneRule {
  if ('trunkPrefix' in opts) return opts;
  if (opts.countryCode !== undefined) {
    if (!/^[1-9]\d{0,2}$/.test(opts.countryCode)) {
      throw new InvalidPhoneError(opts.countryCode, 'a country calling code is 1 to 3 digits, not starting with 0');
    }
    return { countryCode: opts.countryCode, trunkPrefix: opts.nationalPrefix ?? '', nationalLength: opts.nationalLength };
  }
  const country = (opts.country ?? 'RU').toUpperCase();
  const rule = PHONE_RULES[country];
  if (!rule) {
    throw new Error(
      `no phone numbering rule for country "${opts.country}" (known: ${Object.keys(PHONE_RULES).join(', ')}); ` +
        `give an explicit country code instead`,
    );
  }
  return rule;
}

// Separators people and spreadsheets put into numbers; NBSP/thin spaces come from copy-paste.
const SEPARATORS = /[\s\u00a0\u2007\u202f\-.()/\u2010-\u2015]/g;

function expected(rule: PhoneRule): string {
  const n = rule.nationalLength;
  const national = n ? `${n} national digits` : 'national digits';
  const trunk = rule.trunkPrefix ? `, ${rule.trunkPrefix} + ${national}` : '';
  return `expected +<country code><number> (e.g. +${rule.countryCode}${'9001234567890'.slice(0, n ?? 9)})${trunk}, or ${national}`;
}

/**
 * Normalise a phone number to E.164 (`+79001234567`) under a national rule (default Russia).
 * Accepts `+7 900 123-45-67`, `8 (900) 123-45-67`, `79001234567`, `9001234567`, `0079001234567`.
 * Throws InvalidPhoneError naming the input and what was expected.
 */
export function normalizePhone(input: string, opts: PhoneOptions | PhoneRule = {}): string {
  const rule = resolvePhoneRule(opts);
  const compact = input.replace(SEPARATORS, '');
  if (compact === '') throw new InvalidPhoneError(input, `empty; ${expected(rule)}`);

  let international: string | undefined;
  if (compact.startsWith('+')) international = compact.slice(1);
  else if (compact.startsWith('00')) international = compact.slice(2);

  let digits: string;
  if (international !== undefined) {
    if (!/^\d+$/.test(international)) throw new InvalidPhoneError(input, `only digits may follow the international prefix`);
    digits = international;
  } else {
    if (!/^\d+$/.test(compact)) throw new InvalidPhoneError(input, `contains characters other than digits; ${expected(rule)}`);
    digits = nationalToInternational(compact, rule, input);
  }

  if (digits.startsWith('0')) throw new InvalidPhoneError(input, 'a country code never starts with 0');
  if (digits.length < 7 || digits.length > 15) {
    throw new InvalidPhoneError(input, `an international number has 7 to 15 digits, this has ${digits.length}`);
  }
  // Country codes are prefix-free, so a number under our own code must fit our national length.
  const n = rule.nationalLength;
  if (n && digits.startsWith(rule.countryCode) && digits.length !== rule.countryCode.length + n) {
    throw new InvalidPhoneError(input, `numbers under +${rule.countryCode} have ${n} digits after the country code`);
  }
  return '+' + digits;
}

/** Digits without an international prefix → country code + national number, or throws. */
function nationalToInternational(d: string, rule: PhoneRule, input: string): string {
  const { countryCode: cc, trunkPrefix: trunk, nationalLength: n } = rule;
  if (n === undefined) {
    if (d.startsWith(cc)) return d;
    if (trunk && d.startsWith(trunk)) return cc + d.slice(trunk.length);
    return cc + d;
  }
  if (trunk && d.startsWith(trunk) && d.length === trunk.length + n) return cc + d.slice(trunk.length);
  if (d.startsWith(cc) && d.length === cc.length + n) return d;
  if (d.length === n) return cc + d;
  throw new InvalidPhoneError(input, `${d.length} digits do not fit the national rule; ${expected(rule)}`);
}

/** True when the string is a valid phone number under the rule. */
export function isValidPhone(input: string, opts: PhoneOptions | PhoneRule = {}): boolean {
  try {
    normalizePhone(input, opts);
    return true;
  } catch {
    return false;
  }
}

/** Same number after normalisation; unparseable values compare by their trimmed text, case-insensitively. */
export function samePhone(a: string, b: string, opts: PhoneOptions | PhoneRule = {}): boolean {
  return normalizeSender(a, opts).toLowerCase() === normalizeSender(b, opts).toLowerCase();
}

/** The national form of an E.164 number of the rule's country (`+79001234567` → `89001234567`), else undefined. */
export function nationalForm(e164: string, opts: PhoneOptions | PhoneRule = {}): string | undefined {
  const rule = resolvePhoneRule(opts);
  const cc = `+${rule.countryCode}`;
  return e164.startsWith(cc) ? rule.trunkPrefix + e164.slice(cc.length) : undefined;
}

/** A sender name with letters (`SCSERV`, `MegaFon`): it cannot be answered and is never a client. */
export function isAlphanumericSender(from: string): boolean {
  return /\p{L}/u.test(from);
}

/** A short service number (`900`, `0611`): digits only, too short to be a subscriber number. */
export function isShortCode(from: string): boolean {
  const compact = from.replace(SEPARATORS, '');
  return /^\d{1,6}$/.test(compact);
}

/**
 * The key to match an inbound sender against clients: E.164 when the sender is a phone number in
 * any accepted form, else the raw sender trimmed (alphanumeric names, short codes).
 */
export function normalizeSender(from: string, opts: PhoneOptions | PhoneRule = {}): string {
  const raw = from.trim();
  if (isAlphanumericSender(raw) || isShortCode(raw)) return raw;
  try {
    return normalizePhone(raw, opts);
  } catch {
    return raw;
  }
}
