/**
 * Sessions of the self-service page, in memory only: a restart logs everyone out, which costs a
 * subscriber one login and keeps session secrets out of the data folder entirely. The cookie holds
 * a random 256-bit id; the map is keyed by its SHA-256, so even a heap dump does not hand out
 * usable cookies. A session lasts a fixed `ttlMs` from login (15 minutes), on the injectable clock;
 * expired ones are dropped when seen and swept at every login.
 */
import { createHash, randomBytes } from 'node:crypto';
import { realClock, type Clock } from '../../util/clock.js';

export interface PageSession {
  phone: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** The CSRF token the session's forms carry. */
  csrf: string;
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

export class PageSessions {
  private readonly byHash = new Map<string, PageSession>();
  private readonly clock: Clock;

  constructor(
    readonly ttlMs: number,
    o: { clock?: Clock } = {},
  ) {
    this.clock = o.clock ?? realClock;
  }

  /** A new session for `phone`; answers the cookie value (shown once, never stored). */
  create(phone: string): { id: string; session: PageSession } {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const session: PageSession = { phone, expiresAt: this.clock.now() + this.ttlMs, csrf: randomBytes(24).toString('base64url') };
    this.byHash.set(hashId(id), session);
    return { id, session };
  }

  /** The live session a cookie names, or undefined (unknown, malformed or expired). */
  get(id: string | undefined): PageSession | undefined {
    if (!id || id.length > 100) return undefined;
    const key = hashId(id);
    const s = this.byHash.get(key);
    if (s && s.expiresAt <= this.clock.now()) {
      this.byHash.delete(key);
      return undefined;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.byHash.delete(hashId(id));
  }

  get size(): number {
    return this.byHash.size;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [k, s] of this.byHash) if (s.expiresAt <= now) this.byHash.delete(k);
  }
}
