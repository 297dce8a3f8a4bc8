import { describe, it, expect } from 'vitest';
import { RateLimiter } from '../../src/util/rate-limit.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('RateLimiter', () => {
  it('allows `limit` requests per window per key, then refuses', () => {
    const rl = new RateLimiter({ limit: 3, windowMs: 60_000 });
    expect([1, 2, 3, 4].map(() => rl.allow('+79001234567', 0))).toEqual([true, true, true, false]);
    expect(rl.allow('+79001112233', 0)).toBe(true); // other keys are independent
  });

  it('refills continuously: one token per windowMs/limit', () => {
    const rl = new RateLimiter({ limit: 2, windowMs: 60_000 });
    rl.allow('a', 0);
    rl.allow('a', 0);
    expect(rl.allow('a', 29_999)).toBe(false);
    expect(rl.allow('a', 30_000)).toBe(true);
    expect(rl.allow('a', 30_001)).toBe(false);
    expect(rl.remaining('a', 90_000)).toBe(2);
  });

  it('refused requests do not earn tokens and a backwards clock step does not refill', () => {
    const rl = new RateLimiter({ limit: 1, windowMs: 1000 });
    expect(rl.allow('a', 5000)).toBe(true);
    expect(rl.allow('a', 1000)).toBe(false);
    expect(rl.allow('a', 5999)).toBe(false);
    expect(rl.allow('a', 6000)).toBe(true);
  });

  it('uses the injected clock when no time is given', () => {
    const clock = new FakeClock(0);
    const rl = new RateLimiter({ limit: 1, windowMs: 1000, clock });
    expect(rl.allow('a')).toBe(true);
    expect(rl.allow('a')).toBe(false);
    clock.advance(1000);
    expect(rl.allow('a')).toBe(true);
  });

  it('evicts idle keys (their buckets are full again) so memory stays bounded', () => {
    const rl = new RateLimiter({ limit: 5, windowMs: 1000 });
    for (let i = 0; i < 100; i++) rl.allow(`k${i}`, i);
    expect(rl.size).toBe(100);
    rl.allow('late', 2000);
    expect(rl.size).toBe(1);
  });

  it('past maxKeys drops the least recently used key', () => {
    const rl = new RateLimiter({ limit: 1, windowMs: 1_000_000, maxKeys: 2 });
    rl.allow('a', 0);
    rl.allow('b', 1);
    rl.allow('a', 2); // a is now the most recent (and refused)
    rl.allow('c', 3); // evicts b
    expect(rl.size).toBe(2);
    expect(rl.remaining('b', 3)).toBe(1); // forgotten: a fresh bucket
    expect(rl.allow('a', 4)).toBe(false); // still remembered
  });

  it('rejects nonsense options', () => {
    expect(() => new RateLimiter({ limit: 0, windowMs: 1000 })).toThrow(/at least 1/);
    expect(() => new RateLimiter({ limit: 1, windowMs: 0 })).toThrow(/positive/);
  });
});
