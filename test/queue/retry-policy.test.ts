import { describe, it, expect } from 'vitest';
import { backoffMs, categorize, decide, DEFAULT_RETRY_POLICY, describeError } from '../../src/queue/retry-policy.js';
import { AtTimeoutError, CmeError, CmsError, CommandError } from '../../src/at/errors.js';
import { PortClosedError } from '../../src/transport/errors.js';
import { InterruptedSendError } from '../../src/queue/worker.js';
import { InvalidPhoneError } from '../../src/util/phone.js';
import { InvalidNumberError, SmsEncodeError } from '../../src/sms/index.js';
import { ModemProtocolError } from '../../src/modem/errors.js';

const job = (attempts: number, duplicates = 0) => ({ attempts, duplicates, priority: 'notification' as const });

describe('categorize', () => {
  it.each([
    [new CmsError(500), 'network'],
    [new CmsError(512), 'network'],
    [new CmsError(331), 'network'],
    [new CmsError(330), 'network'],
    [new CmsError(332), 'network'],
    [new CmsError(41), 'network'],
    [new CmsError(42), 'network'],
    [new CmsError(47), 'network'],
    [new CmsError(38), 'network'],
    [new CmeError(30), 'network'],
    [new CmeError(31), 'network'],
    [new CmeError(32), 'network'],
    [new CmsError(21), 'invalid-number'],
    [new CmsError(28), 'invalid-number'],
    [new CmsError(96), 'invalid-number'],
    [new CmsError(10), 'barred'],
    [new CmsError(304), 'pdu-format'],
    [new CmsError(305), 'pdu-format'],
    [new CmsError(314), 'modem'],
    [new CmsError('SIM busy'), 'modem'],
    [new CmeError(10), 'modem'],
    [new CommandError('ERROR', 'AT+CMGS=20'), 'modem'],
    [new InvalidNumberError('abc', 'no digits'), 'invalid-number'],
    [new InvalidPhoneError('12ab', 'contains characters other than digits'), 'invalid-number'],
    [new InterruptedSendError('job-1', 1, '2026-01-01T00:00:00Z'), 'unknown-outcome'],
    [new SmsEncodeError('text needs 300 parts'), 'unencodable'],
    [new AtTimeoutError('AT+CMGS=20', 'prompt', 5000, []), 'link'],
    [new AtTimeoutError('AT+CMGS=20', 'final', 60000, []), 'unknown-outcome'],
    [new PortClosedError('port closed', 'AT+CMGS=20'), 'link'],
    [Object.assign(new PortClosedError('unplugged'), { stage: 'final' }), 'unknown-outcome'],
    [new ModemProtocolError('no +CMGS: <mr> in reply (OK)', 'AT+CMGS'), 'unknown-outcome'],
    [new TypeError('boom'), 'other'],
  ] as const)('%s → %s', (err, cat) => {
    expect(categorize(err)).toBe(cat);
  });

  it('recognises errors by code, not by class name', () => {
    // A look-alike name without the code is not trusted; a code without the class name is.
    expect(categorize(Object.assign(new Error('x'), { name: 'InvalidNumberError' }))).toBe('other');
    expect(categorize(Object.assign(new Error('x'), { name: 'AtTimeoutError', stage: 'final' }))).toBe('other');
    expect(categorize(Object.assign(new Error('x'), { code: 'AT_TIMEOUT', stage: 'final' }))).toBe('unknown-outcome');
    expect(categorize(Object.assign(new Error('x'), { code: 'CMS_ERROR', cms: 42 }))).toBe('network');
  });
});

describe('decide', () => {
  it('backs off 30 s, 1 min, 2 min … capped at 15 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, DEFAULT_RETRY_POLICY) / 1000)).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(backoffMs(1000, DEFAULT_RETRY_POLICY)).toBe(900_000);
  });

  it('retries transient errors until maxAttempts, then fails as attempts-exhausted', () => {
    expect(decide(new CmsError(500), job(1))).toEqual({ action: 'retry', delayMs: 30_000, category: 'network' });
    expect(decide(new CmsError(500), job(7))).toMatchObject({ action: 'retry' });
    expect(decide(new CmsError(500), job(8))).toEqual({ action: 'fail', reason: 'attempts-exhausted', category: 'network' });
    expect(decide(new CmsError(500), job(3), { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 })).toMatchObject({ action: 'fail' });
  });

  it('fails permanent categories on the first attempt', () => {
    expect(decide(new InvalidNumberError('x', 'no digits'), job(1))).toEqual({ action: 'fail', reason: 'invalid-number', category: 'invalid-number' });
    expect(decide(new CmsError(304), job(1))).toMatchObject({ action: 'fail', reason: 'pdu-format' });
  });

  it('re-sends an unknown outcome once, then holds; hold policy holds at once', () => {
    const t = new AtTimeoutError('AT+CMGS=20', 'final', 60000, []);
    expect(decide(t, job(1, 0))).toEqual({ action: 'resend', delayMs: 60_000, category: 'unknown-outcome' });
    // A reply (ack, command result) goes again at once: the worker sends only to a modem that answers again.
    expect(decide(t, { attempts: 1, duplicates: 0, priority: 'reply' })).toEqual({ action: 'resend', delayMs: 0, category: 'unknown-outcome' });
    expect(decide(t, { attempts: 1, duplicates: 0, priority: 'mass' })).toMatchObject({ action: 'resend', delayMs: 60_000 });
    // Bounded for replies too: the second unknown outcome holds.
    expect(decide(t, { attempts: 2, duplicates: 1, priority: 'reply' })).toEqual({ action: 'hold', category: 'unknown-outcome' });
    expect(decide(t, job(2, 1))).toEqual({ action: 'hold', category: 'unknown-outcome' });
    expect(decide(t, job(1, 0), { ...DEFAULT_RETRY_POLICY, onUnknown: 'hold' })).toEqual({ action: 'hold', category: 'unknown-outcome' });
    // Unknown outcomes are not cut short by maxAttempts: the question is duplicates, not attempts.
    expect(decide(t, job(8, 0))).toMatchObject({ action: 'resend' });
  });

  it('describes errors with the CMS code once', () => {
    expect(describeError(new CmsError(500, 'AT+CMGS=20'))).toBe('CmsError: AT+CMGS=20 failed: +CMS ERROR: 500 (unknown error)');
    expect(describeError(Object.assign(new Error('send refused'), { cms: 42 }))).toBe('Error: send refused (CMS 42)');
  });
});
