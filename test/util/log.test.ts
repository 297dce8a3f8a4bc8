/**
 * The logger's redaction (src/util/log.ts): secrets censored at the top of a log object and one level
 * down, in child bindings, inside a logged error; the caller's objects left as they were.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger('info', dest), lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log redaction', () => {
  it('censors secret keys at the top and one level down, keeps the rest, leaves the caller\'s object unchanged', () => {
    const { log, lines, parsed } = capture();
    const obj = { password: 'hunter2', token: 'tok-123', to: '+79001234567', account: { login: 'acme', webhookSecret: 'whsec_abc', pass: 'smtp-pw' }, headers: { authorization: 'Bearer xyz' }, n: 3 };
    const before = structuredClone(obj);
    log.info(obj, 'something happened');
    expect(parsed()[0]).toMatchObject({
      password: '[redacted]',
      token: '[redacted]',
      to: '+79001234567',
      account: { login: 'acme', webhookSecret: '[redacted]', pass: '[redacted]' },
      headers: { authorization: '[redacted]' },
      n: 3,
      msg: 'something happened',
    });
    for (const secret of ['hunter2', 'tok-123', 'whsec_abc', 'smtp-pw', 'Bearer xyz']) expect(lines.join('\n')).not.toContain(secret);
    expect(obj).toEqual(before);
  });

  it('censors child bindings and an error\'s own secret field; the error keeps its message and stack', () => {
    const { log, lines, parsed } = capture();
    const err = Object.assign(new Error('smtp refused'), { pass: 'smtp-pw', code: 'EAUTH' });
    log.child({ module: 'forward', key: 'k-secret' }).error({ err }, 'send failed');
    const line = parsed()[0]!;
    expect(line).toMatchObject({ module: 'forward', key: '[redacted]', err: { message: 'smtp refused', code: 'EAUTH', pass: '[redacted]' } });
    expect(String((line.err as { stack?: string }).stack)).toContain('smtp refused');
    expect(lines.join('\n')).not.toMatch(/k-secret|smtp-pw/);
    expect(err.pass).toBe('smtp-pw');
  });
});
