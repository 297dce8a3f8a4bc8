/** Console sessions: token check, lifetime, the bound on open sessions, CSRF tokens per session. */
import { describe, expect, it } from 'vitest';
import { AdminSessions } from '../../src/web/admin/sessions.js';
import { FakeClock } from '../helpers/fake-clock.js';

const TOKEN = 'sessions-test-token-0123456789';

describe('AdminSessions', () => {
  it('accepts only the exact token; refuses a token shorter than 16 characters at construction', () => {
    const s = new AdminSessions({ token: TOKEN });
    expect(s.checkToken(TOKEN)).toBe(true);
    for (const wrong of ['', TOKEN.slice(0, -1), `${TOKEN} `, TOKEN.toUpperCase()]) expect(s.checkToken(wrong)).toBe(false);
    expect(() => new AdminSessions({ token: 'short' })).toThrow(RangeError);
  });

  it('a session ends after its lifetime; each has its own CSRF token', () => {
    const clock = new FakeClock(Date.parse('2026-11-27T10:00:00Z'));
    const s = new AdminSessions({ token: TOKEN, ttlMs: 60_000, clock });
    const a = s.open('127.0.0.1');
    const b = s.open('127.0.0.1');
    expect(a.id).not.toBe(b.id);
    expect(s.checkCsrf(a, a.csrf)).toBe(true);
    expect(s.checkCsrf(a, b.csrf)).toBe(false);
    expect(s.checkCsrf(a, undefined)).toBe(false);
    clock.advance(59_999);
    expect(s.get(a.id)).toBe(a);
    clock.advance(1);
    expect(s.get(a.id)).toBeUndefined();
    expect(s.get(undefined)).toBeUndefined();
  });

  it('keeps at most maxSessions: the oldest is dropped', () => {
    const s = new AdminSessions({ token: TOKEN, maxSessions: 2 });
    const [a, b, c] = [s.open('a'), s.open('b'), s.open('c')];
    expect(s.get(a.id)).toBeUndefined();
    expect(s.get(b.id)).toBe(b);
    expect(s.get(c.id)).toBe(c);
    s.close(b.id);
    expect(s.get(b.id)).toBeUndefined();
  });
});
