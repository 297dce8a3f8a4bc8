import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AtError, AtTimeoutError, CmeError, CmsError, CommandError, errorForFinal, parseErrorCode } from '../../src/at/errors.js';
import { cmeClass, cmsClass } from '../../src/at/error-codes.js';
import { PortClosedError } from '../../src/transport/errors.js';

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
  });

  it('one table classes CMS codes: network/modem states are transient, a bad number or PDU is not', () => {
    for (const c of [500, 512, 332, 41, 42, 330, 331, 38]) expect(cmsClass(c), `CMS ${c}`).toBe('network');
    // CMS 38 "network out of order" (TS 24.008: lasts a while) is the network's state, not the request's.
    expect(cmsClass(38)).toBe('network');
    expect(cmsClass(304)).toBe('pdu-format');
    for (const c of [21, 28, 96]) expect(cmsClass(c), `CMS ${c}`).toBe('invalid-number');
    for (const c of [302, 314, 321, 399]) expect(cmsClass(c), `CMS ${c}`).toBe('modem');
    expect(cmsClass('SIM busy')).toBe('modem');
    expect(cmeClass(30)).toBe('network');
    expect(cmeClass(10)).toBe('modem');
  });

  it('errors carry a code and context, not a `retryable` flag nothing reads', () => {
    const t = new AtTimeoutError('AT+CSQ', 'final', 500, ['+CSQ: 17,99']);
    expect(t).toBeInstanceOf(AtError);
    expect(t.code).toBe('AT_TIMEOUT');
    expect(t.partial).toEqual(['+CSQ: 17,99']);
    expect(t.message).toContain('AT+CSQ timed out after 500 ms');
    expect('retryable' in new CmsError(500)).toBe(false);
    const p = new PortClosedError('port closed', 'AT');
    expect(p.code).toBe('PORT_CLOSED');
    expect(p.message).toBe('AT aborted: port closed');
  });

  it('the transport imports nothing from the AT layer (PortClosedError lives in transport/)', () => {
    const dir = join(import.meta.dirname, '../../src/transport');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/from '\.\.\/at\//);
    }
  });

  it('parseErrorCode ignores other lines', () => {
    expect(parseErrorCode('ERROR')).toBeUndefined();
    expect(parseErrorCode('+CME ERROR: 10')).toEqual({ kind: 'cme', code: 10 });
  });
});
