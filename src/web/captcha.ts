/**
 * Self-hosted proof-of-work captcha (ALTCHA v2, `altcha-lib`): no third-party service sees the
 * visitors. A challenge is signed (HMAC), expires, and is accepted once: the signature of every
 * accepted challenge is recorded until it expires (`Store.useOnce`), so a
 * solved challenge cannot be replayed, not even after a restart.
 *
 * Deterministic mode: the server picks the counter the solver must reach (uniform in
 * [difficulty/2, difficulty]) and signs the derived key, so verifying costs one HMAC while solving
 * costs ~3/4·difficulty SHA-256 hashes in the browser (Web Crypto; the page imports altcha-lib's
 * own browser build). Proof of work slows bots; the per-IP/destination/prefix limits bound them.
 *
 * `mode: "off"` (local testing only) accepts every request; the daemon logs a warning at start.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createChallenge, randomInt, verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { OnceStore } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';

export type CaptchaMode = 'pow' | 'off';

export type CaptchaErrorCode = 'captcha-required' | 'captcha-invalid' | 'captcha-expired' | 'captcha-used';

export class CaptchaError extends Error {
  readonly status = 403;
  constructor(
    readonly code: CaptchaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaptchaError';
  }
}

export interface CaptchaOptions {
  mode: CaptchaMode;
  /** Where used challenges are recorded until they expire (the Store). */
  guard: OnceStore;
  /** HMAC secret; default: random per process (outstanding challenges die with a restart). */
  secret?: Buffer;
  /** Highest counter the solver may have to reach (default 50 000: about 0.3–1 s in a browser). */
  difficulty?: number;
  /** Challenge lifetime (default 10 minutes). */
  ttlMs?: number;
  clock?: Clock;
}

/** What GET …/captcha answers: an ALTCHA challenge, or `{ mode: "off" }`. */
export type CaptchaChallenge = (Challenge & { mode: 'pow' }) | { mode: 'off' };

const ALGORITHM = 'SHA-256';

export class PowCaptcha {
  readonly mode: CaptchaMode;
  readonly difficulty: number;
  private readonly guard: OnceStore;
  private readonly signSecret: string;
  private readonly keySecret: string;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(o: CaptchaOptions) {
    this.mode = o.mode;
    this.guard = o.guard;
    this.difficulty = o.difficulty ?? 50_000;
    if (!Number.isInteger(this.difficulty) || this.difficulty < 2) throw new RangeError(`captcha difficulty must be a whole number ≥ 2, got ${o.difficulty}`);
    const secret = o.secret ?? randomBytes(32);
    // Two independent keys from one secret: one signs the challenge, one the expected answer.
    this.signSecret = createHmac('sha256', secret).update('altcha-challenge').digest('hex');
    this.keySecret = createHmac('sha256', secret).update('altcha-key').digest('hex');
    this.ttlMs = o.ttlMs ?? 10 * 60_000;
    this.clock = o.clock ?? realClock;
  }

  async challenge(): Promise<CaptchaChallenge> {
    if (this.mode === 'off') return { mode: 'off' };
    const c = await createChallenge({
      algorithm: ALGORITHM,
      cost: 1,
      counter: randomInt(Math.floor(this.difficulty / 2), this.difficulty),
      deriveKey,
      expiresAt: Math.floor((this.clock.now() + this.ttlMs) / 1000),
      hmacSignatureSecret: this.signSecret,
      hmacKeySignatureSecret: this.keySecret,
    });
    return { mode: 'pow', ...c };
  }

  /**
   * Accepts a solved challenge once. `payload`: `{challenge, solution}` or its base64 JSON (the
   * ALTCHA widget's form). Throws CaptchaError: required, invalid, expired or used.
   */
  async verify(payload: unknown): Promise<void> {
    if (this.mode === 'off') return;
    if (payload === undefined || payload === null || payload === '') throw new CaptchaError('captcha-required', 'solve the security check first (GET /chat/api/captcha)');
    const p = decodePayload(payload);
    if (!p) throw new CaptchaError('captcha-invalid', 'the security check answer is malformed: expected {challenge, solution} or its base64 JSON');
    const expiresAt = p.challenge.parameters.expiresAt;
    if (typeof expiresAt !== 'number' || expiresAt * 1000 <= this.clock.now()) {
      throw new CaptchaError('captcha-expired', 'the security check expired: take a new one');
    }
    let r: Awaited<ReturnType<typeof verifySolution>>;
    try {
      r = await verifySolution({
        challenge: p.challenge,
        solution: p.solution,
        deriveKey,
        hmacSignatureSecret: this.signSecret,
        hmacKeySignatureSecret: this.keySecret,
      });
    } catch {
      throw new CaptchaError('captcha-invalid', 'the security check answer is malformed');
    }
    if (r.expired) throw new CaptchaError('captcha-expired', 'the security check expired: take a new one');
    if (!r.verified) {
      throw new CaptchaError('captcha-invalid', r.invalidSignature ? 'the security check was not issued by this server' : 'the security check answer is wrong');
    }
    const first = await this.guard.useOnce(`captcha:${p.challenge.signature}`, new Date(expiresAt * 1000).toISOString());
    if (!first) throw new CaptchaError('captcha-used', 'this security check was already used: take a new one');
  }
}

function decodePayload(v: unknown): { challenge: Challenge; solution: Solution } | undefined {
  let o: unknown = v;
  if (typeof v === 'string') {
    if (v.length > 4096) return undefined;
    try {
      o = JSON.parse(Buffer.from(v, 'base64').toString('utf8'));
    } catch {
      return undefined;
    }
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const { challenge, solution } = o as { challenge?: unknown; solution?: unknown };
  if (typeof challenge !== 'object' || challenge === null || typeof solution !== 'object' || solution === null) return undefined;
  const c = challenge as Partial<Challenge>;
  if (typeof c.signature !== 'string' || typeof c.parameters !== 'object' || c.parameters === null) return undefined;
  return { challenge: c as Challenge, solution: solution as Solution };
}
