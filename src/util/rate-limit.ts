/**
 * Per-key token bucket (a smoothed sliding window): `limit` requests per `windowMs`, refilled
 * continuously. Used per sender so one phone (or an SMS-bombing script) cannot make the server
 * spend money on replies. Memory is bounded: keys live in a Map in least-recently-used order, idle
 * keys whose bucket is full again are dropped (they are indistinguishable from new keys), and past
 * `maxKeys` the least recently used key is dropped even if not full (that key is forgiven — the
 * price of a bound).
 */
import { realClock, type Clock } from './clock.js';

export interface RateLimiterOptions {
  /** Requests allowed per window (the bucket size). */
  limit: number;
  /** Window length in ms: a full bucket refills over this time. */
  windowMs: number;
  /** Most keys tracked at once (default 10 000). */
  maxKeys?: number;
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(opts: RateLimiterOptions) {
    if (!(opts.limit >= 1) || !Number.isFinite(opts.limit)) throw new RangeError(`rate limit must be at least 1 per window, got ${opts.limit}`);
    if (!(opts.windowMs > 0)) throw new RangeError(`rate window must be a positive number of ms, got ${opts.windowMs}`);
    this.limit = opts.limit;
    this.windowMs = opts.windowMs;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.clock = opts.clock ?? realClock;
  }

  /** Take one token for `key`: true when allowed. `now` (ms) defaults to the clock. */
  allow(key: string, now: number = this.clock.now()): boolean {
    const b = this.current(key, now);
    this.buckets.delete(key); // re-insert: Map order is recency order
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    this.buckets.set(key, b);
    this.evict(now);
    return allowed;
  }

  /** Tokens left for `key` now, without taking one. */
  remaining(key: string, now: number = this.clock.now()): number {
    return Math.floor(this.current(key, now).tokens);
  }

  /** Keys currently tracked (for tests and status). */
  get size(): number {
    return this.buckets.size;
  }

  private current(key: string, now: number): Bucket {
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.limit, at: now };
    // A clock that steps back (NTP) must not drain or overfill: treat it as no time passed.
    const elapsed = Math.max(0, now - b.at);
    return { tokens: Math.min(this.limit, b.tokens + (elapsed * this.limit) / this.windowMs), at: Math.max(now, b.at) };
  }

  private evict(now: number): void {
    // Oldest first; stop at the first key still refilling, so each call does O(evicted) work.
    for (const [key, b] of this.buckets) {
      const full = now - b.at >= this.windowMs;
      if (!full && this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
