import { describe, it, expect } from 'vitest';
import { AtError, AtTimeoutError, CmeError, CmsError, CommandError, PortClosedError, errorForFinal, parseErrorCode } from '../../src/at/errors.js';

describe('typed AT errors', () => {
  it('maps numeric and text CME/CMS finals to typed errors with codes and meanings', () => {
    const cms = errorForFinal('+CMS ERROR: 500', 'AT+CMGS=23');
    expect(cms).toBeInstanceOf(CmsError);
    expect((cms as CmsError).cms).toBe(500);
    expect(cms.message).toBe('AT+CMGS=23 failed: +CMS ERROR: 500 (unknown error)');
    expect(cms.command).toBe('AT+CMGS=23');

    const cme = errorForFinal('+CME ERROR: SIM not inserted', 'AT+CPIN?');
    expect(cme).toBeInstanceOf(CmeError);
    expect((cme as CmeError).cme).toBe('SIM not inserted');

    const plain = errorForFinal('COMMAND NOT SUPPORT', 'AT+CNMI=2,1');
    expect(plain).toBeInstanceOf(CommandError);
    expect(plain.message).toContain('AT+CNMI=2,1');
    expect(plain.retryable).toBe(false);
  });

  it('classifies retryable vs permanent CMS codes', () => {
    for (const c of [500, 512, 332, 41, 42, 330, 331]) expect(new CmsError(c).retryable, `CMS ${c}`).toBe(true);
    for (const c of [304, 305, 21, 28, 38, 96, 321]) expect(new CmsError(c).retryable, `CMS ${c}`).toBe(false);
  });

  it('classifies CME codes: SIM missing is permanent, SIM busy is retryable', () => {
    expect(new CmeError(10).retryable).toBe(false);
    expect(new CmeError(14).retryable).toBe(true);
    expect(new CmeError('SIM busy').retryable).toBe(true);
    expect(new CmeError('SIM not inserted').retryable).toBe(false);
  });

  it('timeouts and closed ports are retryable AtErrors carrying context', () => {
    const t = new AtTimeoutError('AT+CSQ', 'final', 500, ['+CSQ: 17,99']);
    expect(t).toBeInstanceOf(AtError);
    expect(t.retryable).toBe(true);
    expect(t.partial).toEqual(['+CSQ: 17,99']);
    expect(t.message).toContain('AT+CSQ timed out after 500 ms');
    const p = new PortClosedError('port closed', 'AT');
    expect(p.code).toBe('PORT_CLOSED');
    expect(p.retryable).toBe(true);
  });

  it('parseErrorCode ignores other lines', () => {
    expect(parseErrorCode('ERROR')).toBeUndefined();
    expect(parseErrorCode('+CME ERROR: 10')).toEqual({ kind: 'cme', code: 10 });
  });
});
