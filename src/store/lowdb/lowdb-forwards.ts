/**
 * Accounts and forwards on files (the LowdbStore part that implements AccountStore and ForwardStore):
 *
 *   accounts.json                  {v, values: {login: Account}}        few records, one small file
 *   forwards/head.json             {v, segmentSize}
 *   forwards/YYYY-MM/seg-000007.json  {v, n, records: Forward[]}        id `fwd-<seq>`, ≤ segmentSize
 *   forwards/closed.json           {v, closed: [[a,b],…]}               segments with nothing pending
 *
 * Like jobs: a forward is rewritten once per attempt, so segments are small (200), and a segment is
 * "closed" once full with no pending forward in it; only open segments are read at open(), which
 * rebuilds the pending set in memory. closed.json changes only when a segment closes or reopens
 * (`forwards retry` on an old forward). Callers (LowdbStore) serialise every call on their chain.
 */
import path from 'node:path';
import type { Low } from 'lowdb';
import type { Account, Forward, ForwardClaimQuery, ForwardFilter, NewForward } from '../account-types.js';
import { NotFoundError } from '../errors.js';
import { limitOf } from '../filters.js';
import { forwardId, seqOf } from '../ids.js';
import { claimLane, compareDue, forwardPredicate, nextDue } from '../memory-accounts.js';
import { RangeSet, type Range } from './ranges.js';
import { SegmentLog, type SegmentLogOptions } from './segment-log.js';

interface ValuesDoc<T> {
  v: 1;
  values: Record<string, T>;
}

interface ClosedDoc {
  v: 1;
  closed: Range[];
}

/** Opens one lowdb document under the data folder (LowdbStore's loader: version-checked). */
export type DocLoader = <T extends { v: number }>(rel: string, empty: T) => Promise<Low<T>>;

const clone = <T>(v: T): T => structuredClone(v);
const isPending = (f: Forward) => f.status === 'pending';

export class LowdbAccountsForwards {
  private accounts!: Low<ValuesDoc<Account>>;
  private closedDoc!: Low<ClosedDoc>;
  private closed = new RangeSet();
  readonly forwards: SegmentLog<Forward>;
  /** Pending forwards: seq → due time (ms). */
  private readonly pending = new Map<number, number>();
  /** Pending forwards by lane (`account\0channel`): what `claimForwards` reads without a scan. */
  private readonly lanes = new Map<string, Set<number>>();
  /** Pending count per open segment. */
  private readonly openSegs = new Map<number, number>();

  constructor(
    dir: string,
    segOpts: Omit<SegmentLogOptions, 'segmentSize'> & { segmentSize?: number },
    private readonly readOnly: boolean,
  ) {
    this.forwards = new SegmentLog<Forward>(path.join(dir, 'forwards'), { ...segOpts, segmentSize: segOpts.segmentSize ?? 200 });
  }

  async open(doc: DocLoader): Promise<void> {
    this.accounts = await doc<ValuesDoc<Account>>('accounts.json', { v: 1, values: {} });
    this.closedDoc = await doc<ClosedDoc>(path.join('forwards', 'closed.json'), { v: 1, closed: [] });
    this.closed = RangeSet.fromJSON(this.closedDoc.data.closed);
    await this.forwards.open();
    const size = this.forwards.segmentSize;
    for (const n of this.forwards.segmentNumbers()) {
      if (this.closed.has(n)) continue;
      const recs = await this.forwards.records(n);
      let count = 0;
      recs.forEach((f, i) => {
        if (!isPending(f)) return;
        count++;
        this.setPending(n * size + i, f);
      });
      this.openSegs.set(n, count);
    }
    if (!this.readOnly) for (const n of [...this.openSegs.keys()]) await this.closeIfDone(n);
  }

  /** Checkpoints forwards/ (a cleanly closed folder has no forwards journal). */
  async close(): Promise<void> {
    await this.forwards.close();
  }

  // Accounts ------------------------------------------------------------------------------

  getAccount(login: string): Account | undefined {
    const a = Object.hasOwn(this.accounts.data.values, login) ? this.accounts.data.values[login] : undefined;
    return a && clone(a);
  }

  findAccountByTokenHash(tokenHash: string): Account | undefined {
    const a = Object.values(this.accounts.data.values).find((x) => x.tokenHash === tokenHash);
    return a && clone(a);
  }

  listAccounts(): Account[] {
    return Object.values(this.accounts.data.values)
      .sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : 0))
      .map(clone);
  }

  async putAccount(account: Account): Promise<void> {
    this.accounts.data.values[account.login] = clone(account);
    await this.accounts.write();
  }

  async removeAccount(login: string): Promise<boolean> {
    if (!Object.hasOwn(this.accounts.data.values, login)) return false;
    delete this.accounts.data.values[login];
    await this.accounts.write();
    return true;
  }

  // Forwards ------------------------------------------------------------------------------

  /**
   * The records `add` would store, with their ids, without writing anything: LowdbStore records
   * them in the inbox entry first (the commit point of a route claim), then calls `append`.
   */
  prepare(list: NewForward[], nowIso: string): Forward[] {
    const base = this.forwards.nextSeq;
    return list.map((f, i) => ({ ...clone(f), id: forwardId(base + i), createdAt: nowIso, updatedAt: nowIso }));
  }

  /** Appends prepared records; their ids must continue the log (a second call is a no-op). */
  async append(prepared: Forward[]): Promise<Forward[]> {
    const fresh = prepared.filter((f) => seqOf(f.id, 'fwd')! >= this.forwards.nextSeq);
    if (fresh.length === 0) return prepared.map(clone);
    const first = seqOf(fresh[0]!.id, 'fwd')!;
    if (first !== this.forwards.nextSeq) throw new Error(`forward ${fresh[0]!.id} does not continue the log at fwd-${this.forwards.nextSeq}`);
    let i = 0;
    const touched = new Set<number>();
    await this.forwards.append(fresh.length, (seq) => {
      const f = clone(fresh[i++]!);
      const n = this.forwards.segmentOf(seq);
      touched.add(n);
      if (!this.openSegs.has(n)) this.openSegs.set(n, 0);
      if (isPending(f)) {
        this.setPending(seq, f);
        this.openSegs.set(n, this.openSegs.get(n)! + 1);
      }
      return f;
    });
    for (const n of touched) await this.closeIfDone(n);
    return prepared.map(clone);
  }

  async add(list: NewForward[], nowIso: string): Promise<Forward[]> {
    return this.append(this.prepare(list, nowIso));
  }

  async get(id: string): Promise<Forward | undefined> {
    const seq = seqOf(id, 'fwd');
    const f = seq === undefined ? undefined : await this.forwards.get(seq);
    return f && clone(f);
  }

  async update(id: string, patch: Partial<Omit<Forward, 'id'>>, nowIso: string): Promise<Forward> {
    const seq = seqOf(id, 'fwd');
    const current = seq === undefined ? undefined : await this.forwards.get(seq);
    if (seq === undefined || !current) throw new NotFoundError('forward', id);
    const n = this.forwards.segmentOf(seq);
    if (this.closed.has(n)) {
      // `forwards retry` on an old one: the segment holds a pending forward again.
      this.closed.delete(n);
      this.openSegs.set(n, 0);
      await this.writeClosed();
    }
    const was = isPending(current);
    const { id: _ignored, ...rest } = clone(patch) as Partial<Forward>;
    const updated = (await this.forwards.update(seq, (r) => {
      Object.assign(r, rest, { updatedAt: rest.updatedAt ?? nowIso });
      for (const k of Object.keys(rest) as (keyof typeof rest)[]) if (rest[k] === undefined) delete r[k];
    }))!;
    if (isPending(updated)) this.setPending(seq, updated);
    else this.unsetPending(seq, current);
    this.openSegs.set(n, (this.openSegs.get(n) ?? 0) + (isPending(updated) ? 1 : 0) - (was ? 1 : 0));
    await this.closeIfDone(n);
    return clone(updated);
  }

  /** Newest first. `status: 'pending'` reads only the pending set. */
  async list(filter: ForwardFilter = {}): Promise<Forward[]> {
    const limit = limitOf(filter.limit);
    const match = forwardPredicate(filter);
    const out: Forward[] = [];
    if (filter.status === 'pending') {
      for (const seq of [...this.pending.keys()].sort((a, b) => b - a)) {
        if (out.length >= limit) break;
        const f = await this.forwards.get(seq);
        if (f && match(f)) out.push(clone(f));
      }
      return out;
    }
    for (const n of this.forwards.newestFirst()) {
      if (out.length >= limit) break;
      const recs = await this.forwards.records(n);
      for (let i = recs.length - 1; i >= 0 && out.length < limit; i--) if (match(recs[i]!)) out.push(clone(recs[i]!));
    }
    return out;
  }

  async pendingList(): Promise<Forward[]> {
    const out: Forward[] = [];
    for (const seq of this.pending.keys()) {
      const f = await this.forwards.get(seq);
      if (f) out.push(clone(f));
    }
    return out.sort(compareDue);
  }

  async claim(q: ForwardClaimQuery, nowIso: string): Promise<{ forwards: Forward[]; nextDueAt?: string }> {
    const lane: Forward[] = [];
    for (const seq of this.lanes.get(laneKey(q)) ?? []) {
      const f = await this.forwards.get(seq);
      if (f) lane.push(f);
    }
    const { claim, leased } = claimLane(lane, q, nowIso);
    const out: Forward[] = [];
    for (const f of claim) {
      const seq = seqOf(f.id, 'fwd')!;
      const patch = leased(f);
      const updated = (await this.forwards.update(seq, (r) => Object.assign(r, patch)))!;
      this.pending.set(seq, dueMs(updated));
      out.push(clone(updated));
    }
    return { forwards: out, ...nextDue(lane) };
  }

  private setPending(seq: number, f: Forward): void {
    this.pending.set(seq, dueMs(f));
    const key = laneKey(f);
    let set = this.lanes.get(key);
    if (!set) this.lanes.set(key, (set = new Set()));
    set.add(seq);
  }

  private unsetPending(seq: number, f: Forward): void {
    this.pending.delete(seq);
    const set = this.lanes.get(laneKey(f));
    set?.delete(seq);
    if (set?.size === 0) this.lanes.delete(laneKey(f));
  }

  private async closeIfDone(n: number): Promise<void> {
    if (this.readOnly || this.openSegs.get(n) !== 0 || !this.forwards.isSealed(n)) return;
    this.openSegs.delete(n);
    this.closed.add(n);
    await this.writeClosed();
  }

  private async writeClosed(): Promise<void> {
    this.closedDoc.data.closed = this.closed.toJSON();
    await this.closedDoc.write();
  }
}

function laneKey(f: { account: string; channel: string }): string {
  return `${f.account}\u0000${f.channel}`;
}

function dueMs(f: Forward): number {
  return Date.parse(f.nextAttemptAt ?? f.createdAt);
}
