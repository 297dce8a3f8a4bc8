/**
 * Operator console sessions: a login with the operator token (the API's `http.token`) opens a
 * session named by a random id, sent back as an HttpOnly SameSite=Strict cookie; each session has
 * its own CSRF token that every console POST must carry. Only the token's SHA-256 is kept; a login
 * compares digests in constant time (equal lengths whatever was typed: neither the content nor
 * the length leaks). Sessions live in memory: a restart logs the operator out, which is safer
 * than storing them.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { realClock, type Clock } from '../../util/clock.js';

export const ADMIN_COOKIE = 'sms_admin';

export interface AdminSession {
  id: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  /** The address it logged in from (shown in the action log: who did it). */
  ip: string;
}

export interface AdminSessionsOptions {
  /** The operator token (at least 16 characters); only its digest is kept. */
  token: string;
  /** Session lifetime from login (default 12 h). */
  ttlMs?: number;
  /** Most sessions at once; the oldest is dropped beyond it (default 100). */
  maxSessions?: number;
  clock?: Clock;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class AdminSessions {
  private readonly tokenDigest: Buffer;
  private readonly sessions = new Map<string, AdminSession>();
  private readonly clock: Clock;
  readonly ttlMs: number;
  private readonly max: number;

  constructor(o: AdminSessionsOptions) {
    if (o.token.length < 16) throw new RangeError('the operator token must have at least 16 characters');
    this.tokenDigest = digest(o.token);
    this.clock = o.clock ?? realClock;
    this.ttlMs = o.ttlMs ?? 12 * 3_600_000;
    this.max = o.maxSessions ?? 100;
  }

  /** Whether `token` is the operator token (constant time). */
  checkToken(token: string): boolean {
    return timingSafeEqual(digest(token), this.tokenDigest);
  }

  /** A new session after a successful login. */
  open(ip: string): AdminSession {
    const now = this.clock.now();
    const s: AdminSession = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), createdAt: now, expiresAt: now + this.ttlMs, ip };
    this.sessions.set(s.id, s);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    return s;
  }

  /** The live session a cookie names, else undefined (an expired one is forgotten). */
  get(id: string | undefined): AdminSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.clock.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  /** Whether a submitted CSRF token is the session's (constant time). */
  checkCsrf(s: AdminSession, submitted: unknown): boolean {
    return typeof submitted === 'string' && timingSafeEqual(digest(submitted), digest(s.csrf));
  }

  close(id: string): void {
    this.sessions.delete(id);
  }
}
