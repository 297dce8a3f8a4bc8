/**
 * Self-service access codes (seed 003, MTS "Electronic Assistant"): activation by keyword, a code
 * ordered by an (almost) empty SMS, verification with a lock after `maxFailures` wrong codes.
 *
 * Lock rules (the contract):
 * - after `maxFailures` consecutive wrong codes the number is locked for `lockHours`;
 * - while locked every verification answers "locked" — even with the right code — and never
 *   extends the lock (a stranger who keeps typing cannot keep the owner out for ever);
 * - when the lock has passed the failure count starts again and the old code works;
 * - a new code may be ordered during the lock; it replaces the old one and counts after the lock;
 * - success resets the count.
 * Every change is a read-modify-write of one record, serialised here (the server is the one writer).
 */
import type { Logger } from 'pino';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { CodeHasher, newCode } from './code-hash.js';
import type { SelfServiceRecord, SelfServiceRepo, SelfServiceSettings, SelfServiceStatus, VerifyResult } from './types.js';

export type OrderResult =
  /** A new code: send it to the number (sealed). `already-issued`: this entry got one before a crash. */
  | { kind: 'code'; code: string }
  | { kind: 'already-issued' }
  /** Not activated / too many orders today; `reply` is false when that reply already went out today. */
  | { kind: 'not-activated'; reply: boolean }
  | { kind: 'too-many'; reply: boolean };

export interface SelfServiceOptions {
  repo: SelfServiceRepo;
  settings: SelfServiceSettings;
  /** The server's secret key (32 bytes); the code MAC key is derived from it. */
  key: Buffer;
  clock?: Clock;
  logger?: Logger;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class SelfService {
  readonly settings: SelfServiceSettings;
  private readonly repo: SelfServiceRepo;
  private readonly hasher: CodeHasher;
  private readonly clock: Clock;
  private readonly log: Logger;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(o: SelfServiceOptions) {
    this.repo = o.repo;
    this.settings = o.settings;
    this.hasher = new CodeHasher(o.key);
    this.clock = o.clock ?? realClock;
    this.log = moduleLogger(o.logger, 'selfservice');
  }

  /** The activation keyword: idempotent; returns whether the number was already active. */
  activate(phone: string): Promise<{ alreadyActive: boolean }> {
    return this.update(phone, (r, now) => {
      const alreadyActive = r.activatedAt !== undefined;
      if (!alreadyActive) r.activatedAt = now;
      this.log.info({ phone, alreadyActive }, 'self-service activated');
      return { alreadyActive };
    });
  }

  /** A code order from `phone`, made by inbox entry `entryId`. The code is returned once, to be sent; only its hash is kept. */
  orderCode(phone: string, entryId: string, opts: { reissue?: boolean } = {}): Promise<OrderResult> {
    return this.update(phone, (r, nowIso, now): OrderResult => {
      const today = day(now);
      if (r.activatedAt === undefined) {
        const reply = r.notActivatedReplyDay !== today;
        r.notActivatedReplyDay = today;
        this.log.info({ phone, reply }, 'code order from a number that is not activated');
        return { kind: 'not-activated', reply };
      }
      if (r.codeEntry === entryId && !opts.reissue) return { kind: 'already-issued' };
      const counted = r.codeEntry !== entryId; // a re-issue for the same request is not a new order
      if (r.ordersDay !== today) {
        r.ordersDay = today;
        r.ordersToday = 0;
      }
      if (counted && r.ordersToday >= this.settings.codesPerDay) {
        const reply = r.tooManyReplyDay !== today;
        r.tooManyReplyDay = today;
        this.log.warn({ phone, reply, limit: this.settings.codesPerDay }, 'too many code orders today: no code');
        return { kind: 'too-many', reply };
      }
      const code = newCode(this.settings.codeLength);
      if (counted) r.ordersToday += 1;
      r.codeHash = this.hasher.hash(phone, code);
      r.codeIssuedAt = nowIso;
      r.codeEntry = entryId;
      // Never the code: only that one was issued.
      this.log.info({ phone, ordersToday: r.ordersToday }, 'self-service code issued');
      return { kind: 'code', code };
    });
  }

  verify(phone: string, code: string): Promise<VerifyResult> {
    return this.update(phone, (r, _nowIso, now): VerifyResult => {
      if (r.activatedAt === undefined) return { ok: false, error: 'not-activated' };
      if (r.lockedUntil !== undefined) {
        if (Date.parse(r.lockedUntil) > now) return { ok: false, lockedUntil: r.lockedUntil };
        // The lock has passed: a fresh count, the old (or a newer) code works again.
        delete r.lockedUntil;
        r.failures = 0;
      }
      if (r.codeHash !== undefined && this.hasher.verify(phone, code, r.codeHash)) {
        r.failures = 0;
        this.log.info({ phone }, 'self-service code accepted');
        return { ok: true };
      }
      r.failures += 1;
      if (r.failures >= this.settings.maxFailures) {
        r.lockedUntil = new Date(now + this.settings.lockHours * 3_600_000).toISOString();
        this.log.warn({ phone, failures: r.failures, lockedUntil: r.lockedUntil }, 'self-service locked after wrong codes');
        return { ok: false, lockedUntil: r.lockedUntil };
      }
      this.log.info({ phone, failures: r.failures }, 'wrong self-service code');
      return { ok: false, attemptsLeft: this.settings.maxFailures - r.failures };
    });
  }

  /** Lift a lock and clear the failure count (operator action). */
  unlock(phone: string): Promise<SelfServiceStatus> {
    return this.update(phone, (r) => {
      delete r.lockedUntil;
      r.failures = 0;
      this.log.info({ phone }, 'self-service unlocked by the operator');
      return toStatus(r, this.clock.now());
    });
  }

  /** Turn self-service off for the number: activation and code are dropped. */
  deactivate(phone: string): Promise<SelfServiceStatus> {
    return this.update(phone, (r) => {
      delete r.activatedAt;
      delete r.codeHash;
      delete r.codeIssuedAt;
      delete r.codeEntry;
      delete r.lockedUntil;
      r.failures = 0;
      this.log.info({ phone }, 'self-service deactivated');
      return toStatus(r, this.clock.now());
    });
  }

  async status(phone: string): Promise<SelfServiceStatus> {
    const r = (await this.repo.getSelfService(phone)) ?? blank(phone, new Date(this.clock.now()).toISOString());
    return toStatus(r, this.clock.now());
  }

  private update<T>(phone: string, fn: (r: SelfServiceRecord, nowIso: string, now: number) => T): Promise<T> {
    const run = this.tail.then(async () => {
      const now = this.clock.now();
      const nowIso = new Date(now).toISOString();
      const r = structuredClone((await this.repo.getSelfService(phone)) ?? blank(phone, nowIso));
      const out = fn(r, nowIso, now);
      r.updatedAt = nowIso;
      await this.repo.putSelfService(r);
      return out;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function blank(phone: string, nowIso: string): SelfServiceRecord {
  return { phone, failures: 0, ordersToday: 0, updatedAt: nowIso };
}

/** Status as shown by the CLI and the page; a lock that has passed shows as none. */
export function toStatus(r: SelfServiceRecord, now: number): SelfServiceStatus {
  const locked = r.lockedUntil !== undefined && Date.parse(r.lockedUntil) > now;
  return {
    phone: r.phone,
    activated: r.activatedAt !== undefined,
    activatedAt: r.activatedAt ?? null,
    hasCode: r.codeHash !== undefined,
    codeIssuedAt: r.codeIssuedAt ?? null,
    failures: locked || r.lockedUntil === undefined ? r.failures : 0,
    lockedUntil: locked ? r.lockedUntil! : null,
  };
}
