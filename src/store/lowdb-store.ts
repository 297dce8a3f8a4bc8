/**
 * LowdbStore: the Store on files under one data folder, one lowdb document per file, written through
 * DurableJsonFile (unique temp → fsync → rename → fsync dir, mode 0600; dirs 0700).
 *
 * Layout (see LAYOUT.md):
 *   server.lock                      the single writer's pid (lock.ts); taken by open() unless readOnly
 *   meta.json                        {v, values: {key: value}}
 *   clients.json                     {v, clients: {phone: Client}}
 *   partials.json                    {v, sets: {key: PartialSet}}   (incomplete multiparts: few)
 *   campaigns/<encoded id>.json      one Campaign each
 *   chat/sessions/<id>.json          one web chat session each; chat/once.json used single-use keys (chat-files.ts)
 *   inbox/head.json                  {v, segmentSize}
 *   inbox/YYYY-MM/seg-000123.json    {v, n, records: InboxEntry[]}  ≤ segmentSize entries, id `in-<seq>`
 *   jobs/head.json                   {v, segmentSize}
 *   jobs/YYYY-MM/seg-000045.json     {v, n, records: Job[]}         id `job-<seq>`
 *   queue/index.json                 {v, closed: [[a,b]…], closedCounts, closedCampaigns}
 *   spool/                           CLI → server requests (spool.ts); not touched by the store
 *
 * Why this shape: lowdb rewrites a whole file per write (416 ms at 100k records), so every write here
 * rewrites one bounded file: the inbox tail segment, the one job segment holding the job, or a small
 * document. Ids carry a sequence number, so seq → segment is arithmetic (no id index).
 *
 * Jobs: a segment is "closed" once it is sealed (full) and none of its jobs is queued/sending.
 * queue/index.json lists closed segments (as ranges) and their summed counts, and changes only when a
 * segment closes or reopens — not per send. At open only the open segments are read, rebuilding the
 * per-priority pending queues (PendingQueue) and counts in memory. We deliberately do not persist a
 * list of pending ids: it would be rewritten in O(pending) on every send.
 *
 * Inbox dedup: dedup keys of the most recent `dedupSegments` segments (default 10 = 10,000 entries)
 * are held in memory, rebuilt at open; duplicates come from re-reading the modem after a failed delete,
 * i.e. within minutes, so an older key is not needed. listInbound reads segments newest first and
 * stops once `limit` entries matched (or, with `since`, at the first segment entirely older).
 *
 * Concurrency: one process writes (server.lock); inside it every operation runs in order through one
 * promise chain, so a segment is never read from disk while its newer copy is being written.
 * Readers in other processes ({readOnly: true}) see whole files thanks to the atomic rename.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from 'pino';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';
import { DIR_MODE, DurableJsonFile, TEMP_SUFFIX, readJsonFile, writeFileDurable } from './durable-json-file.js';
import { CorruptFileError, NotFoundError, ReadOnlyStoreError, StoreClosedError } from './errors.js';
import { emptyQueueCounts, emptyStateCounts, inboxPredicate, isPending, isoMs, jobPredicate, limitOf } from './filters.js';
import { inboxId, jobId, seqOf } from './ids.js';
import { ChatFiles } from './chat-files.js';
import { acquireDataLock, type DataLock } from './lock.js';
import { compareCampaigns } from './memory.js';
import { PendingQueue } from './pending-queue.js';
import { RangeSet, type Range } from './ranges.js';
import { SegmentLog } from './segment-log.js';
import {
  PRIORITY_ORDER,
  type Campaign,
  type ChatSession,
  type ChatSessionFilter,
  type Client,
  type InboxEntry,
  type InboxFilter,
  type Job,
  type JobFilter,
  type JobPriority,
  type JobState,
  type PartialSet,
  type QueueCounts,
  type Store,
} from './types.js';

export interface LowdbStoreOptions {
  /** List/read only: takes no lock, creates and writes nothing; writes throw ReadOnlyStoreError. */
  readOnly?: boolean;
  /** Take `server.lock` in open() (default true unless readOnly). Pass false when the caller holds it. */
  lock?: boolean;
  /** With `lock`: keep retrying a lock held by a live process this long (a CLI doing one direct op). */
  lockWaitMs?: number;
  /** Recorded in the lock: 'cli' for a CLI doing one direct operation (default 'server'). */
  lockRole?: 'server' | 'cli';
  /** Records per inbox/job segment for a new data folder (default 1000). Existing folders keep theirs. */
  segmentSize?: number;
  /** Records per job segment file for a new data folder (default 200; `segmentSize` when only that is given). */
  jobSegmentSize?: number;
  /** Recent inbox segments whose dedup keys stay in memory (default 10). */
  dedupSegments?: number;
  /** Old segments cached in memory per log (default 16). */
  cacheSegments?: number;
  clock?: Clock;
  logger?: Logger;
}

interface ValuesDoc<T> {
  v: 1;
  values: Record<string, T>;
}

interface QueueIndexDoc {
  v: 1;
  closed: Range[];
  closedCounts: Record<JobState, number>;
  closedCampaigns: Record<string, Record<JobState, number>>;
}

type NewJob = Omit<Job, 'id' | 'createdAt' | 'updatedAt'>;

/** Jobs are flat except `parts`; a spread is ~10x cheaper than structuredClone for 100k-job enqueues. */
function cloneJob<J extends Partial<Job>>(j: J): J {
  const c = { ...j };
  if (j.parts) c.parts = j.parts.map((p) => ({ ...p }));
  return c;
}
const clone = <T>(v: T): T => structuredClone(v);

export class LowdbStore implements Store {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly readOnly: boolean;
  private readonly takeLock: boolean;
  private readonly lockWaitMs: number;
  private readonly lockRole: 'server' | 'cli';
  private lockHandle: DataLock | undefined;
  private isOpen = false;
  private chain: Promise<unknown> = Promise.resolve();

  private readonly inbox: SegmentLog<InboxEntry>;
  private readonly jobs: SegmentLog<Job>;
  private readonly dedup = new Map<string, number>();
  private readonly dedupBySegment = new Map<number, string[]>();
  private readonly dedupSegments: number;

  private meta!: Low<ValuesDoc<unknown>>;
  private clients!: Low<ValuesDoc<Client>>;
  private partials!: Low<ValuesDoc<PartialSet>>;
  private queueIndex!: Low<QueueIndexDoc>;
  private closed = new RangeSet();
  private readonly campaigns = new Map<string, Campaign>();
  private readonly chat: ChatFiles;

  /** Pending (queued|sending) job count per open segment. */
  private readonly openSegs = new Map<number, number>();
  private readonly queues = new Map<JobPriority, PendingQueue>();
  private counts: QueueCounts = emptyQueueCounts();
  private readonly campaignCounts = new Map<string, Record<JobState, number>>();

  constructor(
    readonly dir: string,
    opts: LowdbStoreOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.log = moduleLogger(opts.logger, 'store');
    this.readOnly = opts.readOnly ?? false;
    this.takeLock = !this.readOnly && (opts.lock ?? true);
    this.lockWaitMs = opts.lockWaitMs ?? 0;
    this.lockRole = opts.lockRole ?? 'server';
    this.dedupSegments = opts.dedupSegments ?? 10;
    const segOpts = {
      segmentSize: opts.segmentSize ?? 1000,
      cacheSegments: opts.cacheSegments ?? 16,
      readOnly: this.readOnly,
      clock: this.clock,
    };
    this.inbox = new SegmentLog<InboxEntry>(path.join(dir, 'inbox'), segOpts);
    // Jobs are rewritten 2–4 times each while sending (sending, parts, sent), inbox entries about
    // once: smaller job segments keep that serialise+fsync cost low (bench: scripts/bench/throughput.mjs).
    this.jobs = new SegmentLog<Job>(path.join(dir, 'jobs'), { ...segOpts, segmentSize: opts.jobSegmentSize ?? opts.segmentSize ?? 200 });
    this.chat = new ChatFiles(dir, () => this.clock.now());
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    if (!this.readOnly) await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
    if (this.takeLock) this.lockHandle = await acquireDataLock(this.dir, { waitMs: this.lockWaitMs, role: this.lockRole });
    try {
      if (!this.readOnly) {
        const removed = await cleanTempFiles(this.dir);
        if (removed.length) this.log.warn({ removed }, 'removed temp files left by an interrupted write');
      }
      this.meta = await this.doc<ValuesDoc<unknown>>('meta.json', { v: 1, values: {} });
      this.clients = await this.doc<ValuesDoc<Client>>('clients.json', { v: 1, values: {} });
      this.partials = await this.doc<ValuesDoc<PartialSet>>('partials.json', { v: 1, values: {} });
      this.queueIndex = await this.doc<QueueIndexDoc>(path.join('queue', 'index.json'), {
        v: 1,
        closed: [],
        closedCounts: emptyStateCounts(),
        closedCampaigns: {},
      });
      await this.loadCampaigns();
      await this.chat.load();
      await this.inbox.open();
      await this.jobs.open();
      await this.loadDedup();
      await this.loadJobs();
      this.isOpen = true;
    } catch (e) {
      await this.lockHandle?.release();
      this.lockHandle = undefined;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    await this.chain.catch(() => {});
    this.isOpen = false;
    await this.lockHandle?.release();
    this.lockHandle = undefined;
  }

  // Plumbing -------------------------------------------------------------------------------

  /** Runs `fn` after every earlier operation (see "Concurrency" above). */
  private run<T>(op: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    if (!this.isOpen) return Promise.reject(new StoreClosedError(op));
    if (write && this.readOnly) return Promise.reject(new ReadOnlyStoreError(op));
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => {});
    return p;
  }

  private async doc<T extends { v: number }>(rel: string, empty: T): Promise<Low<T>> {
    const file = path.join(this.dir, rel);
    const db = new Low<T>(new DurableJsonFile<T>(file), empty);
    await db.read();
    if (db.data.v !== 1) throw new CorruptFileError(file, `unsupported version ${JSON.stringify(db.data.v)}`);
    return db;
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // Inbox ---------------------------------------------------------------------------------

  private async loadDedup(): Promise<void> {
    const recent = this.inbox.newestFirst().slice(0, this.dedupSegments).reverse();
    for (const n of recent) this.indexDedup(n, await this.inbox.records(n), n * this.inbox.segmentSize);
  }

  private indexDedup(n: number, entries: readonly InboxEntry[], firstSeq: number): void {
    let keys = this.dedupBySegment.get(n);
    if (!keys) {
      keys = [];
      this.dedupBySegment.set(n, keys);
      // Forget the keys of the segment that just left the window.
      const old = n - this.dedupSegments;
      for (const k of this.dedupBySegment.get(old) ?? []) {
        const seq = this.dedup.get(k);
        if (seq !== undefined && this.inbox.segmentOf(seq) === old) this.dedup.delete(k);
      }
      this.dedupBySegment.delete(old);
    }
    entries.forEach((e, i) => {
      this.dedup.set(e.dedupKey, firstSeq + i);
      keys.push(e.dedupKey);
    });
  }

  addInbound(entry: Omit<InboxEntry, 'id'>): Promise<{ entry: InboxEntry; duplicate: boolean }> {
    return this.run('addInbound', true, async () => {
      const known = this.dedup.get(entry.dedupKey);
      if (known !== undefined) {
        const e = await this.inbox.get(known);
        if (e) return { entry: clone(e), duplicate: true };
      }
      const [stored] = await this.inbox.append(1, (seq) => ({ ...clone(entry), id: inboxId(seq) }));
      const seq = seqOf(stored!.id, 'in')!;
      this.indexDedup(this.inbox.segmentOf(seq), [stored!], seq);
      return { entry: clone(stored!), duplicate: false };
    });
  }

  updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
    return this.run('updateInbound', true, async () => {
      const seq = seqOf(id, 'in');
      const { id: _ignored, ...rest } = clone(patch) as Partial<InboxEntry>;
      let oldKey: string | undefined;
      const e =
        seq === undefined
          ? undefined
          : await this.inbox.update(seq, (r) => {
              oldKey = r.dedupKey;
              Object.assign(r, rest);
            });
      if (!e || seq === undefined) throw new NotFoundError('inbox entry', id);
      if (oldKey !== e.dedupKey && this.dedup.get(oldKey!) === seq) {
        this.dedup.delete(oldKey!);
        this.dedup.set(e.dedupKey, seq);
      }
      return clone(e);
    });
  }

  getInbound(id: string): Promise<InboxEntry | undefined> {
    return this.run('getInbound', false, async () => {
      const seq = seqOf(id, 'in');
      const e = seq === undefined ? undefined : await this.inbox.get(seq);
      return e && clone(e);
    });
  }

  /** Newest first. */
  listInbound(filter: InboxFilter = {}): Promise<InboxEntry[]> {
    return this.run('listInbound', false, async () => {
      const limit = limitOf(filter.limit);
      const match = inboxPredicate(filter);
      const sinceMs = filter.since === undefined ? undefined : isoMs(filter.since, 'since');
      const out: InboxEntry[] = [];
      for (const n of this.inbox.newestFirst()) {
        if (out.length >= limit) break;
        const recs = await this.inbox.records(n);
        for (let i = recs.length - 1; i >= 0 && out.length < limit; i--) if (match(recs[i]!)) out.push(clone(recs[i]!));
        // receivedAt is this server's clock at append time, so older segments hold older entries.
        if (sinceMs !== undefined && recs.length && Date.parse(recs.at(-1)!.receivedAt) < sinceMs) break;
      }
      return out;
    });
  }

  // Partials ------------------------------------------------------------------------------

  getPartial(key: string): Promise<PartialSet | undefined> {
    return this.run('getPartial', false, async () => {
      const p = this.partials.data.values[key];
      return p && clone(p);
    });
  }

  putPartial(set: PartialSet): Promise<void> {
    return this.run('putPartial', true, async () => {
      this.partials.data.values[set.key] = clone(set);
      await this.partials.write();
    });
  }

  deletePartial(key: string): Promise<void> {
    return this.run('deletePartial', true, async () => {
      if (!(key in this.partials.data.values)) return;
      delete this.partials.data.values[key];
      await this.partials.write();
    });
  }

  listPartials(): Promise<PartialSet[]> {
    return this.run('listPartials', false, async () => Object.values(this.partials.data.values).map(clone));
  }

  // Clients -------------------------------------------------------------------------------

  getClient(phone: string): Promise<Client | undefined> {
    return this.run('getClient', false, async () => {
      const c = Object.hasOwn(this.clients.data.values, phone) ? this.clients.data.values[phone] : undefined;
      return c && clone(c);
    });
  }

  upsertClient(client: Client): Promise<void> {
    return this.run('upsertClient', true, async () => {
      this.clients.data.values[client.phone] = clone(client);
      await this.clients.write();
    });
  }

  removeClient(phone: string): Promise<boolean> {
    return this.run('removeClient', true, async () => {
      if (!Object.hasOwn(this.clients.data.values, phone)) return false;
      delete this.clients.data.values[phone];
      await this.clients.write();
      return true;
    });
  }

  /** Sorted by phone. */
  listClients(): Promise<Client[]> {
    return this.run('listClients', false, async () =>
      Object.values(this.clients.data.values)
        .sort((a, b) => (a.phone < b.phone ? -1 : a.phone > b.phone ? 1 : 0))
        .map(clone),
    );
  }

  // Jobs ----------------------------------------------------------------------------------

  private queue(p: JobPriority): PendingQueue {
    let q = this.queues.get(p);
    if (!q) {
      q = new PendingQueue();
      this.queues.set(p, q);
    }
    return q;
  }

  private async loadJobs(): Promise<void> {
    const idx = this.queueIndex.data;
    this.closed = RangeSet.fromJSON(idx.closed);
    this.counts = emptyQueueCounts();
    for (const s of Object.keys(idx.closedCounts) as JobState[]) this.counts.byState[s] += idx.closedCounts[s] ?? 0;
    for (const [cid, c] of Object.entries(idx.closedCampaigns)) this.campaignCounts.set(cid, { ...emptyStateCounts(), ...c });
    const size = this.jobs.segmentSize;
    for (const n of this.jobs.segmentNumbers()) {
      if (this.closed.has(n)) continue;
      const recs = await this.jobs.records(n);
      let pending = 0;
      recs.forEach((j, i) => {
        this.account(j, n * size + i, +1);
        if (isPending(j.state)) pending++;
      });
      this.openSegs.set(n, pending);
    }
    // Tidy after a crash between a segment write and its close.
    if (!this.readOnly) for (const n of [...this.openSegs.keys()]) await this.closeIfDone(n);
  }

  /** Adds (sign +1) or removes (-1) a job's contribution to counts and the pending queues. */
  private account(j: Job, seq: number, sign: 1 | -1): void {
    this.counts.byState[j.state] += sign;
    if (isPending(j.state)) this.counts.byPriority[j.priority] += sign;
    if (j.campaignId !== undefined) {
      let c = this.campaignCounts.get(j.campaignId);
      if (!c) this.campaignCounts.set(j.campaignId, (c = emptyStateCounts()));
      c[j.state] += sign;
    }
    if (j.state === 'queued') {
      if (sign > 0) this.queue(j.priority).set(seq, Date.parse(j.nextAttemptAt));
      else this.queue(j.priority).delete(seq);
    }
  }

  private segmentCounts(recs: readonly Job[]): { byState: Record<JobState, number>; campaigns: Map<string, Record<JobState, number>> } {
    const byState = emptyStateCounts();
    const campaigns = new Map<string, Record<JobState, number>>();
    for (const j of recs) {
      byState[j.state]++;
      if (j.campaignId === undefined) continue;
      let c = campaigns.get(j.campaignId);
      if (!c) campaigns.set(j.campaignId, (c = emptyStateCounts()));
      c[j.state]++;
    }
    return { byState, campaigns };
  }

  /** Adds (close) or subtracts (reopen) a segment's counts to the persisted closed aggregate, and writes it. */
  private async moveClosed(n: number, sign: 1 | -1): Promise<void> {
    const recs = await this.jobs.records(n);
    const { byState, campaigns } = this.segmentCounts(recs);
    const idx = this.queueIndex.data;
    for (const s of Object.keys(byState) as JobState[]) idx.closedCounts[s] += sign * byState[s];
    for (const [cid, c] of campaigns) {
      const agg = (idx.closedCampaigns[cid] ??= emptyStateCounts());
      for (const s of Object.keys(c) as JobState[]) agg[s] += sign * c[s];
      if (Object.values(agg).every((v) => v === 0)) delete idx.closedCampaigns[cid];
    }
    if (sign > 0) this.closed.add(n);
    else this.closed.delete(n);
    idx.closed = this.closed.toJSON();
    await this.queueIndex.write();
  }

  private async closeIfDone(n: number): Promise<void> {
    if (this.openSegs.get(n) !== 0 || !this.jobs.isSealed(n)) return;
    await this.moveClosed(n, +1);
    this.openSegs.delete(n);
  }

  enqueue(jobs: NewJob[]): Promise<Job[]> {
    return this.run('enqueue', true, async () => {
      for (const j of jobs) isoMs(j.nextAttemptAt, 'nextAttemptAt');
      const now = this.nowIso();
      const before = this.jobs.lastSegment();
      const out: Job[] = [];
      const touched = new Set<number>(before === undefined ? [] : [before]);
      let i = 0;
      // Accounted and copied as made, so the stored records are referenced only by their segments.
      await this.jobs.append(
        jobs.length,
        (seq) => {
          const j: Job = { ...cloneJob(jobs[i++]!), id: jobId(seq), createdAt: now, updatedAt: now };
          const n = this.jobs.segmentOf(seq);
          touched.add(n);
          this.account(j, seq, +1);
          this.openSegs.set(n, (this.openSegs.get(n) ?? 0) + (isPending(j.state) ? 1 : 0));
          out.push(cloneJob(j));
          return j;
        },
        false,
      );
      for (const n of touched) await this.closeIfDone(n);
      return out;
    });
  }

  nextSendable(now: Date): Promise<Job | undefined> {
    return this.run('nextSendable', false, async () => {
      const t = now.getTime();
      for (const p of PRIORITY_ORDER) {
        const seq = this.queues.get(p)?.first(t);
        if (seq === undefined) continue;
        const j = await this.jobs.get(seq);
        if (j) return cloneJob(j);
      }
      return undefined;
    });
  }

  nextWakeup(): Promise<Date | undefined> {
    return this.run('nextWakeup', false, async () => {
      let min: number | undefined;
      for (const q of this.queues.values()) {
        const d = q.minDue();
        if (d !== undefined && (min === undefined || d < min)) min = d;
      }
      return min === undefined ? undefined : new Date(min);
    });
  }

  updateJob(id: string, patch: Partial<Omit<Job, 'id'>>): Promise<Job> {
    return this.run('updateJob', true, async () => {
      const seq = seqOf(id, 'job');
      const current = seq === undefined ? undefined : await this.jobs.get(seq);
      if (seq === undefined || !current) throw new NotFoundError('job', id);
      const { id: _ignored, ...rest } = clone(patch) as Partial<Job>;
      if (rest.nextAttemptAt !== undefined) isoMs(rest.nextAttemptAt, 'nextAttemptAt');
      const n = this.jobs.segmentOf(seq);
      if (this.closed.has(n)) {
        // A finished job changes again (late delivery report, re-queue of an unknown outcome).
        // Its counts stay in this.counts; only the persisted closed aggregate gives them back.
        await this.moveClosed(n, -1);
        this.openSegs.set(n, 0);
      }
      const wasPending = isPending(current.state);
      this.account(current, seq, -1);
      const updated = (await this.jobs.update(seq, (r) => {
        Object.assign(r, rest, { updatedAt: rest.updatedAt ?? this.nowIso() });
      }))!;
      this.account(updated, seq, +1);
      const delta = (isPending(updated.state) ? 1 : 0) - (wasPending ? 1 : 0);
      this.openSegs.set(n, (this.openSegs.get(n) ?? 0) + delta);
      await this.closeIfDone(n);
      return cloneJob(updated);
    });
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.run('getJob', false, async () => {
      const seq = seqOf(id, 'job');
      const j = seq === undefined ? undefined : await this.jobs.get(seq);
      return j && cloneJob(j);
    });
  }

  /** Newest first. A queued/sending filter reads only open segments. */
  listJobs(filter: JobFilter = {}): Promise<Job[]> {
    return this.run('listJobs', false, async () => {
      const limit = limitOf(filter.limit);
      const match = jobPredicate(filter);
      const onlyOpen = filter.state !== undefined && isPending(filter.state);
      const out: Job[] = [];
      for (const n of this.jobs.newestFirst()) {
        if (out.length >= limit) break;
        if (onlyOpen && this.closed.has(n)) continue;
        const recs = await this.jobs.records(n);
        for (let i = recs.length - 1; i >= 0 && out.length < limit; i--) if (match(recs[i]!)) out.push(cloneJob(recs[i]!));
      }
      return out;
    });
  }

  /** byState over all jobs ever; byPriority over pending (queued or sending) jobs. */
  queueCounts(): Promise<QueueCounts> {
    return this.run('queueCounts', false, async () => clone(this.counts));
  }

  // Web chat sessions and single-use keys (chat-files.ts) -----------------------------------

  putChatSession(session: ChatSession): Promise<void> {
    return this.run('putChatSession', true, () => this.chat.putChatSession(session));
  }

  getChatSession(id: string): Promise<ChatSession | undefined> {
    return this.run('getChatSession', false, () => this.chat.getChatSession(id));
  }

  listChatSessions(filter?: ChatSessionFilter): Promise<ChatSession[]> {
    return this.run('listChatSessions', false, () => this.chat.listChatSessions(filter));
  }

  deleteChatSession(id: string): Promise<void> {
    return this.run('deleteChatSession', true, () => this.chat.deleteChatSession(id));
  }

  useOnce(key: string, expiresAt: string): Promise<boolean> {
    return this.run('useOnce', true, () => this.chat.useOnce(key, expiresAt));
  }

  // Campaigns -----------------------------------------------------------------------------

  private campaignFile(id: string): string {
    return path.join(this.dir, 'campaigns', encodeURIComponent(id) + '.json');
  }

  private async loadCampaigns(): Promise<void> {
    let files: string[];
    try {
      files = await readdir(path.join(this.dir, 'campaigns'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const f of files) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const c = await readJsonFile<Campaign>(path.join(this.dir, 'campaigns', f));
      if (c) this.campaigns.set(c.id, c);
    }
  }

  putCampaign(c: Campaign): Promise<void> {
    return this.run('putCampaign', true, async () => {
      await writeFileDurable(this.campaignFile(c.id), JSON.stringify(c));
      this.campaigns.set(c.id, clone(c));
    });
  }

  getCampaign(id: string): Promise<Campaign | undefined> {
    return this.run('getCampaign', false, async () => {
      const c = this.campaigns.get(id);
      return c && clone(c);
    });
  }

  /** Oldest first (by createdAt, then id). */
  listCampaigns(): Promise<Campaign[]> {
    return this.run('listCampaigns', false, async () => [...this.campaigns.values()].sort(compareCampaigns).map(clone));
  }

  campaignProgress(id: string): Promise<Record<JobState, number>> {
    return this.run('campaignProgress', false, async () => ({ ...emptyStateCounts(), ...this.campaignCounts.get(id) }));
  }

  // Meta ----------------------------------------------------------------------------------

  getMeta<T>(key: string): Promise<T | undefined> {
    return this.run('getMeta', false, async () =>
      Object.hasOwn(this.meta.data.values, key) ? clone(this.meta.data.values[key] as T) : undefined,
    );
  }

  setMeta<T>(key: string, value: T): Promise<void> {
    return this.run('setMeta', true, async () => {
      this.meta.data.values[key] = clone(value);
      await this.meta.write();
    });
  }
}

/**
 * Removes `.<name>.<pid>-<rand>.tmp` files an interrupted DurableJsonFile write left behind (the target
 * file was never replaced, so nothing else needs repair). Skips spool/, whose temp files belong to
 * CLI processes. Only the lock holder calls this. Returns the removed paths.
 */
export async function cleanTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const ent of entries) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) {
        if (d === dir && ent.name === 'spool') continue;
        await walk(p);
      } else if (ent.name.startsWith('.') && ent.name.endsWith(TEMP_SUFFIX)) {
        await rm(p, { force: true });
        removed.push(p);
      }
    }
  };
  await walk(dir);
  return removed;
}
