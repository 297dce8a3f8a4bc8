import { describe, it, expect } from 'vitest';
import {
  InvalidPhoneError,
  isAlphanumericSender,
  isShortCode,
  isValidPhone,
  normalizePhone,
  normalizeSender,
  resolvePhoneRule,
  samePhone,
} from '../../src/util/phone.js';

describe('normalizePhone (Russia, the default)', () => {
  it.each([
    ['+79001234567', '+79001234567'],
    ['+7 900 123-45-67', '+79001234567'],
    ['+7 (900) 123-45-67', '+79001234567'],
    ['8 900 123 45 67', '+79001234567'],
    ['8(900)123.45.67', '+79001234567'],
    ['89001234567', '+79001234567'],
    ['79001234567', '+79001234567'],
    ['9001234567', '+79001234567'],
    ['0079001234567', '+79001234567'],
    ['\u00a0+7\u00a0900\u00a0123\u201145\u201167 ', '+79001234567'],
    ['+49 30 1234567', '+49301234567'], // foreign numbers in international form pass through
  ])('%j → %s', (input, out) => {
    expect(normalizePhone(input)).toBe(out);
  });

  it.each([
    ['', 'empty'],
    ['abc', 'characters other than digits'],
    ['+7 900 123', 'numbers under +7 have 10 digits'],
    ['+7900123456789', 'numbers under +7 have 10 digits'],
    ['+0123456789', 'never starts with 0'],
    ['+12a4567890', 'only digits'],
    ['123', 'do not fit the national rule'],
  ])('rejects %j', (input, fragment) => {
    let err: unknown;
    try {
      normalizePhone(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPhoneError);
    expect((err as InvalidPhoneError).code).toBe('INVALID_PHONE');
    expect((err as Error).message).toContain(JSON.stringify(input));
    expect((err as Error).message).toContain(fragment);
  });

  it('10 digits are a national number even when they start with the trunk prefix', () => {
    // 8 + 9 digits is too short for the trunk form, so it is read as 10 national digits.
    expect(normalizePhone('8900123456')).toBe('+78900123456');
  });

  it('says what is expected', () => {
    expect(() => normalizePhone('12345')).toThrow(/expected \+<country code><number> \(e\.g\. \+79001234567\), 8 \+ 10 national digits, or 10 national digits/);
  });
});

describe('normalizePhone with other national rules', () => {
  it('Spain: no trunk prefix, 9 national digits', () => {
    expect(normalizePhone('612 345 678', { country: 'ES' })).toBe('+34612345678');
    expect(normalizePhone('34612345678', { country: 'ES' })).toBe('+34612345678');
    expect(normalizePhone('+34 612 34 56 78', { country: 'es' })).toBe('+34612345678');
    // A Russian national form means nothing in Spain.
    expect(() => normalizePhone('89001234567', { country: 'ES' })).toThrow(InvalidPhoneError);
  });

  it('NANP: trunk 1 and country code 1', () => {
    expect(normalizePhone('1 (212) 555-0100', { country: 'US' })).toBe('+12125550100');
    expect(normalizePhone('212.555.0100', { country: 'US' })).toBe('+12125550100');
  });

  it('Kazakhstan shares the +7 / 8 rule', () => {
    expect(normalizePhone('8 701 123 45 67', { country: 'KZ' })).toBe('+77011234567');
  });

  it('an explicit country code with a trunk prefix and no fixed length', () => {
    const rule = { countryCode: '44', nationalPrefix: '0' };
    expect(normalizePhone('07700 900123', rule)).toBe('+447700900123');
    expect(normalizePhone('447700900123', rule)).toBe('+447700900123');
    expect(resolvePhoneRule(rule)).toEqual({ countryCode: '44', trunkPrefix: '0', nationalLength: undefined });
  });

  it('an unknown country is an error naming the known ones', () => {
    expect(() => normalizePhone('123', { country: 'XX' })).toThrow(/no phone numbering rule for country "XX" \(known: RU, KZ, ES, US, CA\)/);
  });

  it('a bad explicit country code is refused', () => {
    expect(() => resolvePhoneRule({ countryCode: '07' })).toThrow(InvalidPhoneError);
  });
});

describe('senders', () => {
  it('alphanumeric senders and short codes are not phones', () => {
    expect(isAlphanumericSender('SCSERV')).toBe(true);
    expect(isAlphanumericSender('МегаФон')).toBe(true);
    expect(isAlphanumericSender('+79001234567')).toBe(false);
    expect(isShortCode('900')).toBe(true);
    expect(isShortCode('0611')).toBe(true);
    expect(isShortCode('89001234567')).toBe(false);
  });

  it('normalizeSender gives E.164 for phones and the raw name otherwise', () => {
    expect(normalizeSender('89001234567')).toBe('+79001234567');
    expect(normalizeSender(' +79001234567 ')).toBe('+79001234567');
    expect(normalizeSender('SCSERV')).toBe('SCSERV');
    expect(normalizeSender('900')).toBe('900');
    expect(normalizeSender('+7900')).toBe('+7900'); // malformed stays as it came
  });

  it('samePhone compares after normalisation', () => {
    expect(samePhone('8 900 123-45-67', '+79001234567')).toBe(true);
    expect(samePhone('79001234567', '+7 (900) 123 45 67')).toBe(true);
    expect(samePhone('+79001234567', '+79001234568')).toBe(false);
    expect(samePhone('scserv', 'SCSERV')).toBe(true);
    expect(samePhone('612345678', '+34612345678', { country: 'ES' })).toBe(true);
    expect(samePhone('612345678', '+34612345678')).toBe(false);
  });

  it('isValidPhone', () => {
    expect(isValidPhone('8 900 123 45 67')).toBe(true);
    expect(isValidPhone('8 900 123 45')).toBe(false);
  });
});
