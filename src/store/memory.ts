/**
 * In-memory Store for unit tests of the services above the store. Same observable behaviour as
 * LowdbStore (both pass test/store/contract.ts); nothing is persisted. Works without `open()`.
 * Not exported from the package index: tests import it by path. Every method runs without an
 * await before its last step, so each one is atomic against the others (claims included).
 */
import { realClock, type Clock } from '../util/clock.js';
import { applyJobPatch, claimPatch, isStrandedFor, matchesModem, validateClaim } from './claims.js';
import { LeaseLostError, NotFoundError } from './errors.js';
import {
  compareCampaigns,
  emptyQueueCounts,
  emptyStateCounts,
  inboxPredicate,
  isPending,
  isoMs,
  jobPredicate,
  limitOf,
  selectChatSessions,
} from './filters.js';
import { inboxId, jobId } from './ids.js';
import { MemoryAccountsAndForwards } from './memory-accounts.js';
import {
  PRIORITY_ORDER,
  type Account,
  type Forward,
  type ForwardClaimQuery,
  type ForwardFilter,
  type NewForward,
  type Campaign,
  type ChatSession,
  type ChatSessionFilter,
  type ClaimOptions,
  type QueuedByModem,
  type LastSent,
  type ServerStatus,
  type Client,
  type SelfServiceRecord,
  type InboxEntry,
  type InboxFilter,
  type Job,
  type JobFilter,
  type JobState,
  type PartialSet,
  type QueueCounts,
  type Store,
  type DeliveryPartRef,
  type DeliveryPartsQuery,
  type UnmatchedReport,
} from './types.js';
import { deliveryRefs, keepUnmatched } from './delivery-refs.js';

export interface MemoryStoreOptions {
  /** Time source for createdAt/updatedAt (default: the real clock). */
  clock?: Clock;
}

const clone = <T>(v: T): T => structuredClone(v);

export class MemoryStore implements Store {
  private readonly clock: Clock;
  private inbox: InboxEntry[] = [];
  private readonly inboxById = new Map<string, InboxEntry>();
  private readonly dedup = new Map<string, InboxEntry>();
  private readonly partials = new Map<string, PartialSet>();
  private readonly clients = new Map<string, Client>();
  private readonly selfService = new Map<string, SelfServiceRecord>();
  private jobs: Job[] = [];
  private readonly jobsById = new Map<string, Job>();
  private readonly campaigns = new Map<string, Campaign>();
  private readonly chatSessions = new Map<string, ChatSession>();
  private readonly onceKeys = new Map<string, string>();
  private readonly optOuts = new Set<string>();
  private status: ServerStatus | undefined;
  private seenParts: Record<string, number> = {};
  private unmatched: UnmatchedReport[] = [];
  private unmatchedTotal = 0;
  private inboxSeq = 0;
  private jobSeq = 0;
  private readonly acc: MemoryAccountsAndForwards;
  private nextRef = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.acc = new MemoryAccountsAndForwards(this.clock);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // Inbox ---------------------------------------------------------------------------------

  async addInbound(entry: Omit<InboxEntry, 'id'>): Promise<{ entry: InboxEntry; duplicate: boolean }> {
    const known = this.dedup.get(entry.dedupKey);
    if (known) return { entry: clone(known), duplicate: true };
    const stored: InboxEntry = { ...clone(entry), id: inboxId(this.inboxSeq++) };
    this.inbox.push(stored);
    this.inboxById.set(stored.id, stored);
    this.dedup.set(stored.dedupKey, stored);
    return { entry: clone(stored), duplicate: false };
  }

  async updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
    const e = this.inboxById.get(id);
    if (!e) throw new NotFoundError('inbox entry', id);
    const { id: _ignored, ...rest } = clone(patch) as Partial<InboxEntry>;
    if (rest.dedupKey !== undefined && rest.dedupKey !== e.dedupKey) {
      this.dedup.delete(e.dedupKey);
      this.dedup.set(rest.dedupKey, e);
    }
    Object.assign(e, rest);
    return clone(e);
  }

  async routeInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>, forwards: NewForward[]): Promise<{ entry: InboxEntry; forwards: Forward[] }> {
    if (!this.inboxById.has(id)) throw new NotFoundError('inbox entry', id);
    const entry = await this.updateInbound(id, patch);
    return { entry, forwards: await this.acc.addForwards(forwards) };
  }

  async getInbound(id: string): Promise<InboxEntry | undefined> {
    const e = this.inboxById.get(id);
    return e && clone(e);
  }

  async listInbound(filter: InboxFilter = {}): Promise<InboxEntry[]> {
    const limit = limitOf(filter.limit);
    const match = inboxPredicate(filter);
    const out: InboxEntry[] = [];
    for (let i = this.inbox.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.inbox[i]!;
      if (match(e)) out.push(clone(e));
    }
    return out;
  }

  // Partials ------------------------------------------------------------------------------

  async getPartial(key: string): Promise<PartialSet | undefined> {
    const p = this.partials.get(key);
    return p && clone(p);
  }

  async putPartial(set: PartialSet): Promise<void> {
    this.partials.set(set.key, clone(set));
  }

  async deletePartial(key: string): Promise<void> {
    this.partials.delete(key);
  }

  async listPartials(): Promise<PartialSet[]> {
    return [...this.partials.values()].map(clone);
  }

  // Clients -------------------------------------------------------------------------------

  async getClient(phone: string): Promise<Client | undefined> {
    const c = this.clients.get(phone);
    return c && clone(c);
  }

  async upsertClient(client: Client): Promise<void> {
    this.clients.set(client.phone, clone(client));
  }

  async removeClient(phone: string): Promise<boolean> {
    return this.clients.delete(phone);
  }

  /** Sorted by phone. */
  async listClients(): Promise<Client[]> {
    return [...this.clients.values()].sort((a, b) => (a.phone < b.phone ? -1 : a.phone > b.phone ? 1 : 0)).map(clone);
  }

  // Self-service ----------------------------------------------------------------------------

  async getSelfService(phone: string): Promise<SelfServiceRecord | undefined> {
    const r = this.selfService.get(phone);
    return r && clone(r);
  }

  async putSelfService(record: SelfServiceRecord): Promise<void> {
    this.selfService.set(record.phone, clone(record));
  }

  // Jobs ----------------------------------------------------------------------------------

  async enqueue(jobs: Omit<Job, 'id' | 'createdAt' | 'updatedAt'>[]): Promise<Job[]> {
    const now = this.nowIso();
    for (const j of jobs) isoMs(j.nextAttemptAt, 'nextAttemptAt');
    return jobs.map((j) => {
      const job: Job = { ...clone(j), id: jobId(this.jobSeq++), createdAt: now, updatedAt: now };
      this.jobs.push(job);
      this.jobsById.set(job.id, job);
      return clone(job);
    });
  }

  async claimNext(o: ClaimOptions): Promise<Job | undefined> {
    validateClaim(o);
    const t = o.now?.getTime() ?? this.clock.now();
    for (const p of PRIORITY_ORDER) {
      if (o.priorities && !o.priorities.includes(p)) continue;
      const due = (x: Job) => x.priority === p && x.state === 'queued' && Date.parse(x.nextAttemptAt) <= t && matchesModem(x, o.modem);
      const j = (o.pinnedFirst && o.modem !== undefined ? this.jobs.find((x) => due(x) && x.modem === o.modem) : undefined) ?? this.jobs.find(due);
      if (j) return clone(applyJobPatch(j, claimPatch(j, o, t), this.nowIso()));
    }
    return undefined;
  }

  async renewLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<Job> {
    validateClaim({ owner, leaseMs });
    const j = this.jobsById.get(id);
    if (!j) throw new NotFoundError('job', id);
    if (j.state !== 'sending' || j.lease?.owner !== owner) throw new LeaseLostError(id, owner, j.state === 'sending' ? j.lease?.owner : undefined);
    const t = now?.getTime() ?? this.clock.now();
    return clone(applyJobPatch(j, { lease: { owner, until: new Date(t + leaseMs).toISOString() } }, this.nowIso()));
  }

  async claimStranded(o: Omit<ClaimOptions, 'priorities'>): Promise<Job[]> {
    validateClaim(o);
    const t = o.now?.getTime() ?? this.clock.now();
    const until = new Date(t + o.leaseMs).toISOString();
    return this.jobs
      .filter((j) => isStrandedFor(j, o.owner, t) && matchesModem(j, o.modem))
      .map((j) => clone(applyJobPatch(j, { lease: { owner: o.owner, until } }, this.nowIso())));
  }

  async concatRef(id: string): Promise<number> {
    const j = this.jobsById.get(id);
    if (!j) throw new NotFoundError('job', id);
    if (j.concatRef === undefined) {
      applyJobPatch(j, { concatRef: this.nextRef }, this.nowIso());
      this.nextRef = (this.nextRef + 1) % 256;
    }
    return j.concatRef!;
  }

  async nextWakeup(): Promise<Date | undefined> {
    let min = Infinity;
    for (const j of this.jobs) if (j.state === 'queued') min = Math.min(min, Date.parse(j.nextAttemptAt));
    return min === Infinity ? undefined : new Date(min);
  }

  async updateJob(id: string, patch: Partial<Omit<Job, 'id'>>): Promise<Job> {
    const j = this.jobsById.get(id);
    if (!j) throw new NotFoundError('job', id);
    const { id: _ignored, ...rest } = clone(patch) as Partial<Job>;
    if (rest.nextAttemptAt !== undefined) isoMs(rest.nextAttemptAt, 'nextAttemptAt');
    return clone(applyJobPatch(j, rest, this.nowIso()));
  }

  async getJob(id: string): Promise<Job | undefined> {
    const j = this.jobsById.get(id);
    return j && clone(j);
  }

  /** Newest first. */
  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const limit = limitOf(filter.limit);
    const match = jobPredicate(filter);
    const out: Job[] = [];
    for (let i = this.jobs.length - 1; i >= 0 && out.length < limit; i--) {
      const j = this.jobs[i]!;
      if (match(j)) out.push(clone(j));
    }
    return out;
  }

  async lastSentTo(to: string, since: string): Promise<LastSent | undefined> {
    const sinceMs = isoMs(since, 'since');
    let best: Job | undefined;
    for (const j of this.jobs) {
      if (j.to !== to || j.state !== 'sent' || j.account === undefined || j.sentAt === undefined) continue;
      if (Date.parse(j.sentAt) < sinceMs) continue;
      if (!best || Date.parse(j.sentAt) >= Date.parse(best.sentAt!)) best = j;
    }
    return best && { jobId: best.id, account: best.account!, sentAt: best.sentAt! };
  }

  async queueCounts(): Promise<QueueCounts> {
    const c = emptyQueueCounts();
    for (const j of this.jobs) {
      c.byState[j.state]++;
      if (isPending(j.state)) c.byPriority[j.priority]++;
    }
    return c;
  }

  async queuedByModem(): Promise<QueuedByModem> {
    const out: QueuedByModem = { pinned: {}, unpinned: 0 };
    for (const j of this.jobs) {
      if (j.state !== 'queued') continue;
      if (j.modem === undefined) out.unpinned++;
      else out.pinned[j.modem] = (out.pinned[j.modem] ?? 0) + 1;
    }
    return out;
  }

  // Campaigns -----------------------------------------------------------------------------

  async putCampaign(c: Campaign): Promise<void> {
    this.campaigns.set(c.id, clone(c));
  }

  async getCampaign(id: string): Promise<Campaign | undefined> {
    const c = this.campaigns.get(id);
    return c && clone(c);
  }

  /** Oldest first (by createdAt, then id). */
  async listCampaigns(): Promise<Campaign[]> {
    return [...this.campaigns.values()].sort(compareCampaigns).map(clone);
  }

  async campaignProgress(id: string): Promise<Record<JobState, number>> {
    const c = emptyStateCounts();
    for (const j of this.jobs) if (j.campaignId === id) c[j.state]++;
    return c;
  }

  // Web chat sessions and single-use keys ---------------------------------------------------

  async putChatSession(session: ChatSession): Promise<void> {
    this.chatSessions.set(session.id, clone(session));
  }

  async getChatSession(id: string): Promise<ChatSession | undefined> {
    const s = this.chatSessions.get(id);
    return s && clone(s);
  }

  async listChatSessions(f: ChatSessionFilter = {}): Promise<ChatSession[]> {
    return selectChatSessions(this.chatSessions.values(), f);
  }


  async deleteChatSession(id: string): Promise<void> {
    this.chatSessions.delete(id);
  }

  async useOnce(key: string, expiresAt: string): Promise<boolean> {
    const now = this.clock.now();
    for (const [k, exp] of this.onceKeys) if (Date.parse(exp) <= now) this.onceKeys.delete(k);
    if (this.onceKeys.has(key)) return false;
    this.onceKeys.set(key, expiresAt);
    return true;
  }

  // Opt-outs and small documents ----------------------------------------------------------

  async listOptOuts(): Promise<string[]> {
    return [...this.optOuts].sort();
  }

  async hasOptOut(phone: string): Promise<boolean> {
    return this.optOuts.has(phone);
  }

  async setOptOut(phone: string, optedOut: boolean): Promise<boolean> {
    if (this.optOuts.has(phone) === optedOut) return false;
    if (optedOut) this.optOuts.add(phone);
    else this.optOuts.delete(phone);
    return true;
  }

  async getStatus(): Promise<ServerStatus | undefined> {
    return this.status && clone(this.status);
  }

  async putStatus(s: ServerStatus): Promise<void> {
    this.status = clone(s);
  }

  async getSeenParts(): Promise<Record<string, number>> {
    return { ...this.seenParts };
  }

  async putSeenParts(seen: Record<string, number>): Promise<void> {
    this.seenParts = { ...seen };
  }

  // Accounts and forwards (memory-accounts.ts) --------------------------------------------

  getAccount(login: string): Promise<Account | undefined> {
    return this.acc.getAccount(login);
  }
  findAccountByTokenHash(tokenHash: string): Promise<Account | undefined> {
    return this.acc.findAccountByTokenHash(tokenHash);
  }
  listAccounts(): Promise<Account[]> {
    return this.acc.listAccounts();
  }
  putAccount(account: Account): Promise<void> {
    return this.acc.putAccount(account);
  }
  removeAccount(login: string): Promise<boolean> {
    return this.acc.removeAccount(login);
  }
  addForwards(forwards: NewForward[]): Promise<Forward[]> {
    return this.acc.addForwards(forwards);
  }
  getForward(id: string): Promise<Forward | undefined> {
    return this.acc.getForward(id);
  }
  updateForward(id: string, patch: Partial<Omit<Forward, 'id'>>): Promise<Forward> {
    return this.acc.updateForward(id, patch);
  }
  listForwards(filter?: ForwardFilter): Promise<Forward[]> {
    return this.acc.listForwards(filter);
  }
  pendingForwards(): Promise<Forward[]> {
    return this.acc.pendingForwards();
  }
  claimForwards(q: ForwardClaimQuery): Promise<{ forwards: Forward[]; nextDueAt?: string }> {
    return this.acc.claimForwards(q);
  }

  // Delivery reports ----------------------------------------------------------------------

  async deliveryParts(q: DeliveryPartsQuery): Promise<DeliveryPartRef[]> {
    const sinceMs = isoMs(q.since, 'since');
    return this.jobs.flatMap((j) => (q.to === undefined || j.to === q.to ? deliveryRefs(j, q, sinceMs) : []));
  }

  async addUnmatchedReport(r: UnmatchedReport): Promise<boolean> {
    if (!keepUnmatched(this.unmatched, r)) return false;
    this.unmatchedTotal++;
    return true;
  }

  async listUnmatchedReports(limit = 100): Promise<{ total: number; reports: UnmatchedReport[] }> {
    const n = limitOf(limit);
    return { total: this.unmatchedTotal, reports: n === 0 ? [] : this.unmatched.slice(-n).reverse().map(clone) };
  }
}
