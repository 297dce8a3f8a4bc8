/**
 * Accounts and forwards in memory: the part of MemoryStore (unit tests) that implements
 * AccountStore and ForwardStore. Same observable behaviour as the lowdb backend (both pass the
 * accounts/forwards contract in test/store/accounts-contract.ts).
 */
import { realClock, type Clock } from '../util/clock.js';
import type { Account, AccountStore, Forward, ForwardClaimQuery, ForwardFilter, ForwardStore, NewForward } from './account-types.js';
import { NotFoundError } from './errors.js';
import { limitOf } from './filters.js';
import { forwardId } from './ids.js';

const clone = <T>(v: T): T => structuredClone(v);

/** Compiles a ForwardFilter (without limit) into a predicate; shared by both backends. */
export function forwardPredicate(filter: ForwardFilter = {}): (f: Forward) => boolean {
  return (f) =>
    (filter.account === undefined || f.account === filter.account) &&
    (filter.status === undefined || f.status === filter.status) &&
    (filter.ref === undefined || f.ref === filter.ref);
}

/** Oldest due first, then by id sequence: the order the dispatcher works in. */
export function compareDue(a: Forward, b: Forward): number {
  const da = a.nextAttemptAt ?? a.createdAt;
  const db = b.nextAttemptAt ?? b.createdAt;
  if (da !== db) return da < db ? -1 : 1;
  return seqNum(a.id) - seqNum(b.id);
}

function seqNum(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1)) || 0;
}

export class MemoryAccountsAndForwards implements AccountStore, ForwardStore {
  private readonly accounts = new Map<string, Account>();
  private readonly forwards: Forward[] = [];
  private readonly pending = new Set<string>();

  constructor(private readonly clock: Clock = realClock) {}

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // Accounts ------------------------------------------------------------------------------

  async getAccount(login: string): Promise<Account | undefined> {
    const a = this.accounts.get(login);
    return a && clone(a);
  }

  async findAccountByTokenHash(tokenHash: string): Promise<Account | undefined> {
    for (const a of this.accounts.values()) if (a.tokenHash === tokenHash) return clone(a);
    return undefined;
  }

  async listAccounts(): Promise<Account[]> {
    return [...this.accounts.values()].sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : 0)).map(clone);
  }

  async putAccount(account: Account): Promise<void> {
    this.accounts.set(account.login, clone(account));
  }

  async removeAccount(login: string): Promise<boolean> {
    return this.accounts.delete(login);
  }

  // Forwards ------------------------------------------------------------------------------

  async addForwards(list: NewForward[]): Promise<Forward[]> {
    const now = this.nowIso();
    return list.map((f) => {
      const stored: Forward = { ...clone(f), id: forwardId(this.forwards.length), createdAt: now, updatedAt: now };
      this.forwards.push(stored);
      if (stored.status === 'pending') this.pending.add(stored.id);
      return clone(stored);
    });
  }

  private find(id: string): Forward | undefined {
    if (!/^fwd-\d+$/.test(id)) return undefined;
    return this.forwards[Number(id.slice(4))];
  }

  async getForward(id: string): Promise<Forward | undefined> {
    const f = this.find(id);
    return f && clone(f);
  }

  async updateForward(id: string, patch: Partial<Omit<Forward, 'id'>>): Promise<Forward> {
    const f = this.find(id);
    if (!f) throw new NotFoundError('forward', id);
    const { id: _ignored, ...rest } = clone(patch) as Partial<Forward>;
    Object.assign(f, rest, { updatedAt: rest.updatedAt ?? this.nowIso() });
    for (const k of Object.keys(rest) as (keyof typeof rest)[]) if (rest[k] === undefined) delete f[k];
    if (f.status === 'pending') this.pending.add(f.id);
    else this.pending.delete(f.id);
    return clone(f);
  }

  async listForwards(filter: ForwardFilter = {}): Promise<Forward[]> {
    const limit = limitOf(filter.limit);
    const match = forwardPredicate(filter);
    const out: Forward[] = [];
    for (let i = this.forwards.length - 1; i >= 0 && out.length < limit; i--) {
      const f = this.forwards[i]!;
      if (match(f)) out.push(clone(f));
    }
    return out;
  }

  async pendingForwards(): Promise<Forward[]> {
    return [...this.pending].map((id) => clone(this.find(id)!)).sort(compareDue);
  }

  async claimForwards(q: ForwardClaimQuery): Promise<{ forwards: Forward[]; nextDueAt?: string }> {
    const lane = [...this.pending].map((id) => this.find(id)!).filter((f) => f.account === q.account && f.channel === q.channel);
    const { claim, leased } = claimLane(lane, q, this.nowIso());
    for (const f of claim) Object.assign(f, leased(f));
    return { forwards: claim.map(clone), ...nextDue(lane) };
  }
}

/**
 * The shared rule of `claimForwards` for both backends: of one lane's pending forwards, those due
 * at `q.now` (oldest due first, `limit` of them), and the lease patch each gets.
 */
export function claimLane(lane: readonly Forward[], q: ForwardClaimQuery, nowIso: string): { claim: Forward[]; leased: (f: Forward) => Partial<Forward> } {
  const now = q.now.getTime();
  const claim = lane.filter((f) => Date.parse(f.nextAttemptAt ?? f.createdAt) <= now).sort(compareDue).slice(0, Math.max(0, q.limit));
  const until = new Date(now + q.leaseMs).toISOString();
  return { claim, leased: (f) => ({ nextAttemptAt: until, tries: f.tries + 1, updatedAt: nowIso }) };
}

/** The earliest due time of a lane (after a claim changed it). */
export function nextDue(lane: readonly Forward[]): { nextDueAt?: string } {
  let best: string | undefined;
  for (const f of lane) {
    const at = f.nextAttemptAt ?? f.createdAt;
    if (best === undefined || Date.parse(at) < Date.parse(best)) best = at;
  }
  return best === undefined ? {} : { nextDueAt: best };
}
