/**
 * LowdbStore: the Store on files under one data folder, one lowdb document per file, written through
 * DurableJsonFile (unique temp → fsync → rename → fsync dir, mode 0600; dirs 0700).
 *
 * Layout (see LAYOUT.md):
 *   server.lock                      the single writer's pid (lock.ts); taken by open() unless readOnly
 *   meta.json                        {v, values: {status, optOutNumbers, seenParts}}  small typed documents
 *   clients.json                     {v, clients: {phone: Client}}
 *   selfservice.json                 {v, values: {phone: SelfServiceRecord}}
 *   partials.json                    {v, sets: {key: PartialSet}}   (incomplete multiparts: few)
 *   campaigns/<encoded id>.json      one Campaign each
 *   chat/sessions/<id>.json          one web chat session each; chat/once.json used single-use keys (chat-files.ts)
 *   inbox/head.json                  {v, segmentSize}
 *   inbox/YYYY-MM/seg-000123.json    {v, n, records: InboxEntry[]}  ≤ segmentSize entries, id `in-<seq>`
 *   inbox/journal-000007.jsonl       changed/added entries since the last checkpoint (segment-log.ts)
 *   jobs/head.json                   {v, segmentSize}
 *   jobs/YYYY-MM/seg-000045.json     {v, n, records: Job[]}         id `job-<seq>`
 *   jobs/journal-000012.jsonl        job state changes since the last checkpoint
 *   queue/index.json                 {v, closed: [[a,b]…], closedCounts, closedCampaigns, closedAt}
 *   delivery/unmatched.json          {v, total, reports: UnmatchedReport[]}  status reports no part matched (newest 1000)
 *   spool/                           CLI → server requests (spool.ts); not touched by the store
 *
 * Why this shape: lowdb rewrites a whole file per write (416 ms at 100k records), so history is split
 * into bounded segment files, and a record change is not even a segment rewrite: it is one line
 * appended to the log's journal, group-committed (one write + fdatasync for every change of the same
 * moment), folded into the segment files at checkpoints (segment-log.ts). Small documents (clients,
 * meta, partials, …) are still rewritten whole. Ids carry a sequence number, so seq → segment is
 * arithmetic (no id index).
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
 * promise chain, so a segment is never read from disk while its newer copy is being written. An
 * operation resolves once the journal lines it wrote or could have seen are durable (`run`).
 * Readers in other processes ({readOnly: true}) see whole files thanks to the atomic rename, and
 * replay the journal at open (ignoring a line still being written).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from 'pino';
import { realClock, type Clock } from '../../util/clock.js';
import { moduleLogger } from '../../util/log.js';
import { DIR_MODE, DurableJsonFile, TEMP_SUFFIX, readJsonFile, writeFileDurable } from './durable-json-file.js';
import { applyJobPatch, claimPatch, isStrandedFor, matchesModem, validateClaim } from '../claims.js';
import { CorruptFileError, LeaseLostError, NotFoundError, ReadOnlyStoreError, StoreClosedError } from '../errors.js';
import { compareCampaigns, emptyQueueCounts, emptyStateCounts, inboxPredicate, isPending, isoMs, jobPredicate, limitOf } from '../filters.js';
import { inboxId, jobId, seqOf } from '../ids.js';
import { LowdbAccountsForwards } from './lowdb-forwards.js';
import { ChatFiles } from './chat-files.js';
import { acquireDataLock, type DataLock } from './lock.js';
import { PendingQueue } from './pending-queue.js';
import { RangeSet, type Range } from './ranges.js';
import { SegmentLog } from './segment-log.js';
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
  type Client,
  type SelfServiceRecord,
  type InboxEntry,
  type InboxFilter,
  type Job,
  type JobFilter,
  type JobPriority,
  type JobState,
  type LastSent,
  type PartialSet,
  type QueueCounts,
  type QueuedByModem,
  type ServerStatus,
  type Store,
  type DeliveryPartRef,
  type DeliveryPartsQuery,
  type UnmatchedReport,
} from '../types.js';
import { deliveryRefs, keepUnmatched, latestSendByKey } from '../delivery-refs.js';
import { isNotFound } from '../../util/fs-errors.js';

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
  /** Checkpoint a log's journal into its segment files past this many bytes (default 1 MiB). */
  compactBytes?: number;
  /**
   * Journal record changes (default true). False: each change rewrites its segment file at once —
   * cheaper for a process that does one operation and closes (a CLI's direct write). A journal
   * left by a crash is replayed and checkpointed at open either way.
   */
  journal?: boolean;
  clock?: Clock;
  logger?: Logger;
}

interface ValuesDoc<T> {
  v: 1;
  values: Record<string, T>;
}

/** meta.json: small documents, each rewritten whole (keys kept from the untyped getMeta era). */
interface MetaValues {
  'server.status'?: ServerStatus;
  /** Non-client numbers that opted out, sorted. */
  optOutNumbers?: string[];
  'receiver.seenParts'?: Record<string, number>;
}
interface MetaDoc {
  v: 1;
  values: MetaValues;
}

/** Last-sender index entry: the newest sent job with an account, per recipient. */
interface SentMark {
  seq: number;
  account: string;
  sentAtMs: number;
}

/** Queue key of an unpinned job. */
const ANY_MODEM = '';

interface QueueIndexDoc {
  v: 1;
  closed: Range[];
  closedCounts: Record<JobState, number>;
  closedCampaigns: Record<string, Record<JobState, number>>;
  /**
   * When each closed segment closed (segment number → ISO). Every part in it left the modem before
   * then, so the delivery index reads only segments closed within the report window. Segments
   * closed before this field existed have no entry (and no parts that asked for reports).
   */
  closedAt?: Record<string, string>;
}

interface UnmatchedDoc {
  v: 1;
  total: number;
  reports: UnmatchedReport[];
}

/** Delivery index: `modem|mr` → seqs of jobs with a part sent with TP-SRR under that key. */
interface DeliveryIndex {
  /** Built for parts sent at or after this (ms); an earlier `since` rebuilds it. */
  sinceMs: number;
  /** `modem|mr` → the jobs with a part sent under it: seq → the job's `to` and that part's (latest) send time. */
  byKey: Map<string, Map<number, { to: string; sentMs: number }>>;
}

type NewJob = Omit<Job, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * Jobs are flat but for these nested objects; a spread is ~10x cheaper than structuredClone for
 * 100k-job enqueues and for the several state patches every send makes. A new nested field of Job
 * must be copied here (the store contract test "copies down to every nested object" checks them).
 */
function cloneJob<J extends Partial<Job>>(j: J): J {
  const c = { ...j };
  if (j.parts) c.parts = j.parts.map((p) => ({ ...p }));
  if (j.delivery) c.delivery = { ...j.delivery, parts: j.delivery.parts.map((p) => ({ ...p, ...(p.reports ? { reports: [...p.reports] } : {}) })) };
  if (j.lease) c.lease = { ...j.lease };
  if (j.writing) c.writing = { ...j.writing };
  if (j.repin) c.repin = { ...j.repin };
  if (j.smppReceipt) c.smppReceipt = { ...j.smppReceipt };
  return c;
}
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Key of the write-ahead copy of a route's forwards inside the inbox entry (routeInbound): the
 * entry's segment write is the commit point of claim + forwards. Never handed out; cleared by the
 * next write of that segment, replayed into forwards/ at open when a crash came in between.
 */
const FORWARDS_WAL = '_forwardsWal';
type WalEntry = InboxEntry & { [FORWARDS_WAL]?: Forward[] };

/** A copy of an inbox entry without the write-ahead copy. */
function cloneEntry(e: InboxEntry): InboxEntry {
  const c = structuredClone(e) as WalEntry;
  delete c[FORWARDS_WAL];
  return c;
}

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

  private meta!: Low<MetaDoc>;
  private clients!: Low<ValuesDoc<Client>>;
  private selfService!: Low<ValuesDoc<SelfServiceRecord>>;
  private partials!: Low<ValuesDoc<PartialSet>>;
  private queueIndex!: Low<QueueIndexDoc>;
  private closed = new RangeSet();
  private readonly campaigns = new Map<string, Campaign>();
  private readonly chat: ChatFiles;
  private optOuts: { list: readonly string[]; set: Set<string> } | undefined;

  /** Pending (queued|sending) job count per open segment. */
  private readonly openSegs = new Map<number, number>();
  /** Queued jobs per priority, then per pinned modem (ANY_MODEM: unpinned). */
  private readonly queues = new Map<JobPriority, Map<string, PendingQueue>>();
  /** Seqs of jobs in `sending` (claimStranded looks only at these). */
  private readonly sending = new Set<number>();
  /** Built on the first lastSentTo (a scan of every job segment), then kept current on each write. */
  private lastSent: Map<string, SentMark> | undefined;
  /** Built on the first deliveryParts (the segments of the report window), then kept current on each write. */
  private delivery: DeliveryIndex | undefined;
  private unmatched!: Low<UnmatchedDoc>;
  private nextRef = 0;
  private counts: QueueCounts = emptyQueueCounts();
  private readonly campaignCounts = new Map<string, Record<JobState, number>>();
  /** accounts.json and forwards/ (lowdb-forwards.ts). */
  private readonly acc: LowdbAccountsForwards;
  /** Inbox seqs still carrying a write-ahead copy of their forwards (cleared lazily, clearWal). */
  private readonly walSeqs = new Set<number>();

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
      compactBytes: opts.compactBytes,
      journal: opts.journal,
      logger: this.log,
    };
    this.inbox = new SegmentLog<InboxEntry>(path.join(dir, 'inbox'), segOpts);
    // Job segments are smaller than inbox ones: a job changes 2–4 times while it is sent, so its
    // segment is dirty more often and a checkpoint rewrites it whole.
    this.jobs = new SegmentLog<Job>(path.join(dir, 'jobs'), { ...segOpts, segmentSize: opts.jobSegmentSize ?? opts.segmentSize ?? 200 });
    this.acc = new LowdbAccountsForwards(dir, { ...segOpts, segmentSize: opts.jobSegmentSize ?? opts.segmentSize ?? 200 }, this.readOnly);
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
      this.meta = await this.doc<MetaDoc>('meta.json', { v: 1, values: {} });
      this.clients = await this.doc<ValuesDoc<Client>>('clients.json', { v: 1, values: {} });
      this.selfService = await this.doc<ValuesDoc<SelfServiceRecord>>('selfservice.json', { v: 1, values: {} });
      this.partials = await this.doc<ValuesDoc<PartialSet>>('partials.json', { v: 1, values: {} });
      this.queueIndex = await this.doc<QueueIndexDoc>(path.join('queue', 'index.json'), {
        v: 1,
        closed: [],
        closedCounts: emptyStateCounts(),
        closedCampaigns: {},
      });
      this.unmatched = await this.doc<UnmatchedDoc>(path.join('delivery', 'unmatched.json'), { v: 1, total: 0, reports: [] });
      await this.loadCampaigns();
      await this.chat.load();
      await this.inbox.open();
      await this.jobs.open();
      await this.loadDedup();
      await this.loadJobs();
      await this.acc.open((rel, empty) => this.doc(rel, empty));
      await this.replayWal();
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
    await this.inbox.close();
    await this.jobs.close();
    await this.acc.close();
    await this.lockHandle?.release();
    this.lockHandle = undefined;
  }

  // Plumbing -------------------------------------------------------------------------------

  /**
   * Runs `fn` after every earlier operation (see "Concurrency" above) and resolves once everything
   * it changed or saw is durable: the journals up to their position when `fn` finished. The chain
   * does not wait for that fsync — the next operations run meanwhile and share the next one (group
   * commit) — but no caller learns of a change before it is on disk.
   */
  private run<T>(op: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    if (!this.isOpen) return Promise.reject(new StoreClosedError(op));
    if (write && this.readOnly) return Promise.reject(new ReadOnlyStoreError(op));
    const p = this.chain.then(fn, fn).then((v) => ({ v, inbox: this.inbox.mark(), jobs: this.jobs.mark(), forwards: this.acc.forwards.mark() }));
    this.chain = p.catch(() => {});
    return p.then(async (r) => {
      await this.inbox.whenDurable(r.inbox);
      await this.jobs.whenDurable(r.jobs);
      // forwards/ journals too: a forward added, claimed or done is acknowledged only once on disk.
      await this.acc.forwards.whenDurable(r.forwards);
      return r.v;
    });
  }

  /** Journal write rounds per log since open (one write + fdatasync each): group commit made visible. */
  journalFlushes(): { inbox: number; jobs: number } {
    return { inbox: this.inbox.journalFlushes, jobs: this.jobs.journalFlushes };
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
        if (e) return { entry: cloneEntry(e), duplicate: true };
      }
      const tail = this.inbox.lastSegment();
      if (tail !== undefined) await this.clearWal(tail);
      const [stored] = await this.inbox.append(1, (seq) => ({ ...clone(entry), id: inboxId(seq) }));
      const seq = seqOf(stored!.id, 'in')!;
      this.indexDedup(this.inbox.segmentOf(seq), [stored!], seq);
      return { entry: cloneEntry(stored!), duplicate: false };
    });
  }

  updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
    return this.run('updateInbound', true, async () => cloneEntry(await this.patchInbound(id, patch)));
  }

  /** Patches an entry in its segment (one write); `wal` rides along as the write-ahead copy. */
  private async patchInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>, wal?: Forward[]): Promise<InboxEntry> {
    const seq = seqOf(id, 'in');
    const { id: _ignored, ...rest } = clone(patch) as Partial<InboxEntry>;
    if (seq !== undefined) await this.clearWal(this.inbox.segmentOf(seq));
    let oldKey: string | undefined;
    const e =
      seq === undefined
        ? undefined
        : await this.inbox.update(seq, (r) => {
            oldKey = r.dedupKey;
            Object.assign(r, rest);
            if (wal) (r as WalEntry)[FORWARDS_WAL] = wal;
          });
    if (!e || seq === undefined) throw new NotFoundError('inbox entry', id);
    if (wal) this.walSeqs.add(seq);
    if (oldKey !== e.dedupKey && this.dedup.get(oldKey!) === seq) {
      this.dedup.delete(oldKey!);
      this.dedup.set(e.dedupKey, seq);
    }
    return e;
  }

  /**
   * Claim and forwards in one durable write: the entry's segment is written with the claim and a
   * copy of the forwards (the commit point), then the forwards are appended to forwards/. A crash
   * between the two is repaired at open (replayWal); before that, nothing has seen the forwards.
   */
  routeInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>, forwards: NewForward[]): Promise<{ entry: InboxEntry; forwards: Forward[] }> {
    return this.run('routeInbound', true, async () => {
      if (forwards.length === 0) return { entry: cloneEntry(await this.patchInbound(id, patch)), forwards: [] };
      const prepared = this.acc.prepare(forwards, this.nowIso());
      const entry = await this.patchInbound(id, patch, prepared);
      const stored = await this.acc.append(prepared);
      return { entry: cloneEntry(entry), forwards: stored };
    });
  }

  /**
   * Drops the write-ahead copies held in segment `n` (their forwards are in forwards/ by now) just
   * before that segment is written anyway: no extra write per routed message.
   */
  private async clearWal(n: number): Promise<void> {
    for (const seq of this.walSeqs) {
      if (this.inbox.segmentOf(seq) !== n) continue;
      const r = (await this.inbox.get(seq)) as WalEntry | undefined;
      if (r) delete r[FORWARDS_WAL];
      this.walSeqs.delete(seq);
    }
  }

  /** At open: forwards whose entry write committed but whose own append a crash cut off. */
  private async replayWal(): Promise<void> {
    const size = this.inbox.segmentSize;
    for (const n of this.inbox.newestFirst().slice(0, 2).reverse()) {
      const recs = (await this.inbox.records(n)) as WalEntry[];
      for (let i = 0; i < recs.length; i++) {
        const wal = recs[i]![FORWARDS_WAL];
        if (!wal) continue;
        this.walSeqs.add(n * size + i);
        if (this.readOnly) continue;
        const missing = wal.filter((f) => seqOf(f.id, 'fwd')! >= this.acc.forwards.nextSeq);
        if (missing.length) {
          await this.acc.append(missing);
          this.log.warn({ entry: recs[i]!.id, forwards: missing.map((f) => f.id) }, 'forwards of a routed entry restored after a crash');
        }
      }
    }
  }

  getInbound(id: string): Promise<InboxEntry | undefined> {
    return this.run('getInbound', false, async () => {
      const seq = seqOf(id, 'in');
      const e = seq === undefined ? undefined : await this.inbox.get(seq);
      return e && cloneEntry(e);
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
        for (let i = recs.length - 1; i >= 0 && out.length < limit; i--) if (match(recs[i]!)) out.push(cloneEntry(recs[i]!));
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

  // Self-service ----------------------------------------------------------------------------

  getSelfService(phone: string): Promise<SelfServiceRecord | undefined> {
    return this.run('getSelfService', false, async () => {
      const r = Object.hasOwn(this.selfService.data.values, phone) ? this.selfService.data.values[phone] : undefined;
      return r && clone(r);
    });
  }

  putSelfService(record: SelfServiceRecord): Promise<void> {
    return this.run('putSelfService', true, async () => {
      this.selfService.data.values[record.phone] = clone(record);
      await this.selfService.write();
    });
  }

  // Jobs ----------------------------------------------------------------------------------

  private queue(p: JobPriority, modem: string | undefined): PendingQueue {
    let byModem = this.queues.get(p);
    if (!byModem) this.queues.set(p, (byModem = new Map()));
    const key = modem ?? ANY_MODEM;
    let q = byModem.get(key);
    if (!q) byModem.set(key, (q = new PendingQueue()));
    return q;
  }

  private async loadJobs(): Promise<void> {
    const idx = this.queueIndex.data;
    this.closed = RangeSet.fromJSON(idx.closed);
    this.counts = emptyQueueCounts();
    for (const s of Object.keys(idx.closedCounts) as JobState[]) this.counts.byState[s] += idx.closedCounts[s] ?? 0;
    for (const [cid, c] of Object.entries(idx.closedCampaigns)) this.campaignCounts.set(cid, { ...emptyStateCounts(), ...c });
    const size = this.jobs.segmentSize;
    let refSeq = -1;
    const noteRef = (j: Job, seq: number) => {
      if (j.concatRef !== undefined && seq > refSeq) {
        refSeq = seq;
        this.nextRef = (j.concatRef + 1) % 256;
      }
    };
    for (const n of this.jobs.segmentNumbers()) {
      if (this.closed.has(n)) continue;
      const recs = await this.jobs.records(n);
      let pending = 0;
      recs.forEach((j, i) => {
        this.account(j, n * size + i, +1);
        noteRef(j, n * size + i);
        if (isPending(j.state)) pending++;
      });
      this.openSegs.set(n, pending);
    }
    // The concatenation reference goes on from the newest job holding one (a closed tail too).
    const tail = this.jobs.lastSegment();
    if (tail !== undefined && this.closed.has(tail)) (await this.jobs.records(tail)).forEach((j, i) => noteRef(j, tail * size + i));
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
      if (sign > 0) this.queue(j.priority, j.modem).set(seq, Date.parse(j.nextAttemptAt));
      else this.queue(j.priority, j.modem).delete(seq);
    } else if (j.state === 'sending') {
      if (sign > 0) this.sending.add(seq);
      else this.sending.delete(seq);
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
    // A segment marked closed is not read at open: its final states must be on disk first.
    if (sign > 0) await this.jobs.whenDurable(this.jobs.mark());
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
    const closedAt = (idx.closedAt ??= {});
    if (sign > 0) closedAt[n] = this.nowIso();
    else delete closedAt[n];
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

  /** The oldest due seq of priority p a claimer of `modem` may take (FIFO across its queues, or its own first). */
  private firstDue(p: JobPriority, modem: string | undefined, nowMs: number, pinnedFirst = false): number | undefined {
    const byModem = this.queues.get(p);
    if (!byModem) return undefined;
    let best: number | undefined;
    const consider = (q: PendingQueue | undefined) => {
      const seq = q?.first(nowMs);
      if (seq !== undefined && (best === undefined || seq < best)) best = seq;
    };
    if (modem === undefined) for (const q of byModem.values()) consider(q);
    else {
      consider(byModem.get(modem));
      if (best !== undefined && pinnedFirst) return best;
      consider(byModem.get(ANY_MODEM));
    }
    return best;
  }

  claimNext(o: ClaimOptions): Promise<Job | undefined> {
    return this.run('claimNext', true, async () => {
      validateClaim(o);
      const t = o.now?.getTime() ?? this.clock.now();
      for (const p of PRIORITY_ORDER) {
        if (o.priorities && !o.priorities.includes(p)) continue;
        const seq = this.firstDue(p, o.modem, t, o.pinnedFirst === true);
        if (seq === undefined) continue;
        const current = (await this.jobs.get(seq))!;
        return cloneJob(await this.patchJob(seq, current, claimPatch(current, o, t)));
      }
      return undefined;
    });
  }

  renewLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<Job> {
    return this.run('renewLease', true, async () => {
      validateClaim({ owner, leaseMs });
      const { seq, current } = await this.jobAt(id);
      if (current.state !== 'sending' || current.lease?.owner !== owner) {
        throw new LeaseLostError(id, owner, current.state === 'sending' ? current.lease?.owner : undefined);
      }
      const t = now?.getTime() ?? this.clock.now();
      return cloneJob(await this.patchJob(seq, current, { lease: { owner, until: new Date(t + leaseMs).toISOString() } }));
    });
  }

  claimStranded(o: Omit<ClaimOptions, 'priorities'>): Promise<Job[]> {
    return this.run('claimStranded', true, async () => {
      validateClaim(o);
      const t = o.now?.getTime() ?? this.clock.now();
      const lease = { owner: o.owner, until: new Date(t + o.leaseMs).toISOString() };
      const out: Job[] = [];
      for (const seq of [...this.sending].sort((a, b) => a - b)) {
        const current = (await this.jobs.get(seq))!;
        if (!isStrandedFor(current, o.owner, t) || !matchesModem(current, o.modem)) continue;
        out.push(cloneJob(await this.patchJob(seq, current, { lease })));
      }
      return out;
    });
  }

  concatRef(id: string): Promise<number> {
    return this.run('concatRef', true, async () => {
      const { seq, current } = await this.jobAt(id);
      if (current.concatRef !== undefined) return current.concatRef;
      const ref = this.nextRef;
      await this.patchJob(seq, current, { concatRef: ref });
      this.nextRef = (ref + 1) % 256;
      return ref;
    });
  }

  queuedByModem(): Promise<QueuedByModem> {
    return this.run('queuedByModem', false, async () => {
      const out: QueuedByModem = { pinned: {}, unpinned: 0 };
      for (const byModem of this.queues.values()) {
        for (const [key, q] of byModem) {
          if (key === ANY_MODEM) out.unpinned += q.size;
          else if (q.size > 0) out.pinned[key] = (out.pinned[key] ?? 0) + q.size;
        }
      }
      return out;
    });
  }

  nextWakeup(): Promise<Date | undefined> {
    return this.run('nextWakeup', false, async () => {
      let min: number | undefined;
      for (const byModem of this.queues.values()) {
        for (const q of byModem.values()) {
          const d = q.minDue();
          if (d !== undefined && (min === undefined || d < min)) min = d;
        }
      }
      return min === undefined ? undefined : new Date(min);
    });
  }

  private async jobAt(id: string): Promise<{ seq: number; current: Job }> {
    const seq = seqOf(id, 'job');
    const current = seq === undefined ? undefined : await this.jobs.get(seq);
    if (seq === undefined || !current) throw new NotFoundError('job', id);
    return { seq, current };
  }

  /** Applies a patch to the stored job and writes its segment, keeping counts, queues and indexes current. */
  private async patchJob(seq: number, current: Job, patch: Partial<Job>): Promise<Job> {
    const n = this.jobs.segmentOf(seq);
    if (this.closed.has(n) && !('state' in patch) && !('campaignId' in patch)) {
      // A finished job gains a delivery report: no count changes, so the segment stays closed and
      // the queue index is not rewritten (one segment write, not three).
      const updated = (await this.jobs.update(seq, (r) => applyJobPatch(r, patch, this.nowIso())))!;
      this.noteDelivery(updated, seq);
      return updated;
    }
    if (this.closed.has(n)) {
      // A finished job changes again (late delivery report, re-queue of an unknown outcome).
      // Its counts stay in this.counts; only the persisted closed aggregate gives them back.
      await this.moveClosed(n, -1);
      this.openSegs.set(n, 0);
    }
    const wasPending = isPending(current.state);
    this.account(current, seq, -1);
    const updated = (await this.jobs.update(seq, (r) => applyJobPatch(r, patch, this.nowIso())))!;
    this.account(updated, seq, +1);
    if (this.lastSent) this.noteSent(this.lastSent, updated, seq);
    this.noteDelivery(updated, seq);
    const delta = (isPending(updated.state) ? 1 : 0) - (wasPending ? 1 : 0);
    this.openSegs.set(n, (this.openSegs.get(n) ?? 0) + delta);
    await this.closeIfDone(n);
    return updated;
  }

  updateJob(id: string, patch: Partial<Omit<Job, 'id'>>): Promise<Job> {
    return this.run('updateJob', true, async () => {
      const { seq, current } = await this.jobAt(id);
      const { id: _ignored, ...rest } = cloneJob(patch as Partial<Job>);
      if (rest.nextAttemptAt !== undefined) isoMs(rest.nextAttemptAt, 'nextAttemptAt');
      return cloneJob(await this.patchJob(seq, current, rest));
    });
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.run('getJob', false, async () => {
      const seq = seqOf(id, 'job');
      const j = seq === undefined ? undefined : await this.jobs.get(seq);
      return j && cloneJob(j);
    });
  }

  /**
   * Newest first. A queued/sending filter reads only open segments; `since` on createdAt stops at
   * the first older segment; `since` on sentAt skips segments closed before it (every job in a
   * closed segment was final by its `closedAt`): the daily cap's seed at start reads today's
   * segments, not the whole history.
   */
  listJobs(filter: JobFilter = {}): Promise<Job[]> {
    return this.run('listJobs', false, async () => {
      const limit = limitOf(filter.limit);
      const match = jobPredicate(filter);
      const onlyOpen = filter.state !== undefined && isPending(filter.state);
      const timeField = filter.timeField ?? 'createdAt';
      const sinceMs = filter.since !== undefined && timeField === 'createdAt' ? isoMs(filter.since, 'since') : undefined;
      const sentSinceMs = filter.since !== undefined && timeField === 'sentAt' ? isoMs(filter.since, 'since') : undefined;
      const closedAt = this.queueIndex.data.closedAt ?? {};
      const out: Job[] = [];
      for (const n of this.jobs.newestFirst()) {
        if (out.length >= limit) break;
        if (onlyOpen && this.closed.has(n)) continue;
        if (sentSinceMs !== undefined && this.closed.has(n) && closedAt[n] !== undefined && Date.parse(closedAt[n]) < sentSinceMs) continue;
        const recs = await this.jobs.records(n);
        for (let i = recs.length - 1; i >= 0 && out.length < limit; i--) if (match(recs[i]!)) out.push(cloneJob(recs[i]!));
        // createdAt is this store's clock at enqueue, so older segments hold older jobs.
        if (sinceMs !== undefined && recs.length && Date.parse(recs.at(-1)!.createdAt) < sinceMs) break;
      }
      return out;
    });
  }

  lastSentTo(to: string, since: string): Promise<LastSent | undefined> {
    return this.run('lastSentTo', false, async () => {
      const sinceMs = isoMs(since, 'since');
      const index = this.lastSent ?? (await this.buildLastSent());
      const m = index.get(to);
      if (!m || m.sentAtMs < sinceMs) return undefined;
      return { jobId: jobId(m.seq), account: m.account, sentAt: new Date(m.sentAtMs).toISOString() };
    });
  }

  /**
   * One pass over every job segment (oldest first), then kept current by patchJob. Memory: one
   * entry per recipient ever texted on behalf of an account. Built lazily: a server that routes no
   * inbound to accounts never pays for it.
   */
  private async buildLastSent(): Promise<Map<string, SentMark>> {
    const index = new Map<string, SentMark>();
    const size = this.jobs.segmentSize;
    for (const n of this.jobs.segmentNumbers()) (await this.jobs.records(n)).forEach((j, i) => this.noteSent(index, j, n * size + i));
    this.lastSent = index;
    return index;
  }

  private noteSent(index: Map<string, SentMark>, j: Job, seq: number): void {
    if (j.state !== 'sent' || j.account === undefined || j.sentAt === undefined) return;
    const sentAtMs = Date.parse(j.sentAt);
    const m = index.get(j.to);
    if (!m || sentAtMs >= m.sentAtMs) index.set(j.to, { seq, account: j.account, sentAtMs });
  }

  deliveryParts(q: DeliveryPartsQuery): Promise<DeliveryPartRef[]> {
    return this.run('deliveryParts', false, async () => {
      const sinceMs = isoMs(q.since, 'since');
      const index = this.delivery && this.delivery.sinceMs <= sinceMs ? this.delivery : await this.buildDelivery(sinceMs);
      const key = `${q.modem}|${q.mr}`;
      const seqs = index.byKey.get(key);
      if (!seqs) return [];
      const out: DeliveryPartRef[] = [];
      for (const [seq, e] of [...seqs]) {
        if (e.sentMs < sinceMs) {
          // Parts older than the window never match again: forget them (memory stays bounded; every
          // lookup of this key sweeps all its jobs, whichever recipient it asks for). What was
          // forgotten is older than sinceMs: an earlier `since` must rebuild.
          seqs.delete(seq);
          index.sinceMs = Math.max(index.sinceMs, sinceMs);
          continue;
        }
        // Another recipient's job is not read (its segment may be long out of the cache).
        if (q.to !== undefined && e.to !== q.to) continue;
        const j = await this.jobs.get(seq);
        if (j) out.push(...deliveryRefs(j, q, sinceMs));
      }
      if (seqs.size === 0) index.byKey.delete(key);
      return out;
    });
  }

  /**
   * Reads the open segments and the segments closed since `sinceMs` (queue/index.json `closedAt`):
   * a part sent in the window is in one of those. Kept current by patchJob afterwards.
   */
  private async buildDelivery(sinceMs: number): Promise<DeliveryIndex> {
    const index: DeliveryIndex = { sinceMs, byKey: new Map() };
    const closedAt = this.queueIndex.data.closedAt ?? {};
    const size = this.jobs.segmentSize;
    for (const n of this.jobs.segmentNumbers()) {
      if (this.closed.has(n)) {
        const at = closedAt[n];
        if (at === undefined || Date.parse(at) < sinceMs) continue;
      }
      (await this.jobs.records(n)).forEach((j, i) => this.indexDelivery(index, j, n * size + i));
    }
    this.delivery = index;
    return index;
  }

  private indexDelivery(index: DeliveryIndex, j: Job, seq: number): void {
    for (const [key, sentMs] of latestSendByKey(j)) {
      let jobs = index.byKey.get(key);
      if (!jobs) index.byKey.set(key, (jobs = new Map()));
      jobs.set(seq, { to: j.to, sentMs });
    }
  }

  private noteDelivery(j: Job, seq: number): void {
    if (this.delivery) this.indexDelivery(this.delivery, j, seq);
  }

  addUnmatchedReport(r: UnmatchedReport): Promise<boolean> {
    return this.run('addUnmatchedReport', true, async () => {
      const doc = this.unmatched.data;
      if (!keepUnmatched(doc.reports, r)) return false;
      doc.total++;
      await this.unmatched.write();
      return true;
    });
  }

  listUnmatchedReports(limit = 100): Promise<{ total: number; reports: UnmatchedReport[] }> {
    return this.run('listUnmatchedReports', false, async () => {
      const n = limitOf(limit);
      const doc = this.unmatched.data;
      return { total: doc.total, reports: n === 0 ? [] : doc.reports.slice(-n).reverse().map(clone) };
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
      if (isNotFound(e)) return;
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

  // Opt-outs and small documents (meta.json) ---------------------------------------------

  private async writeMeta<K extends keyof MetaValues>(key: K, value: MetaValues[K]): Promise<void> {
    this.meta.data.values[key] = clone(value);
    await this.meta.write();
  }

  listOptOuts(): Promise<string[]> {
    return this.run('listOptOuts', false, async () => [...(this.meta.data.values.optOutNumbers ?? [])]);
  }

  hasOptOut(phone: string): Promise<boolean> {
    return this.run('hasOptOut', false, async () => this.optOutSet().has(phone));
  }

  /** A Set over meta's opt-out list, rebuilt when the list is replaced: every send asks (worker), a list may be long. */
  private optOutSet(): Set<string> {
    const list = this.meta.data.values.optOutNumbers ?? [];
    if (this.optOuts?.list !== list) this.optOuts = { list, set: new Set(list) };
    return this.optOuts.set;
  }

  setOptOut(phone: string, optedOut: boolean): Promise<boolean> {
    return this.run('setOptOut', true, async () => {
      const list = this.meta.data.values.optOutNumbers ?? [];
      if (this.optOutSet().has(phone) === optedOut) return false;
      await this.writeMeta('optOutNumbers', optedOut ? [...list, phone].sort() : list.filter((p) => p !== phone));
      return true;
    });
  }

  // Accounts and forwards (lowdb-forwards.ts) ---------------------------------------------

  getAccount(login: string): Promise<Account | undefined> {
    return this.run('getAccount', false, async () => this.acc.getAccount(login));
  }

  findAccountByTokenHash(tokenHash: string): Promise<Account | undefined> {
    return this.run('findAccountByTokenHash', false, async () => this.acc.findAccountByTokenHash(tokenHash));
  }

  listAccounts(): Promise<Account[]> {
    return this.run('listAccounts', false, async () => this.acc.listAccounts());
  }

  putAccount(account: Account): Promise<void> {
    return this.run('putAccount', true, () => this.acc.putAccount(account));
  }

  removeAccount(login: string): Promise<boolean> {
    return this.run('removeAccount', true, () => this.acc.removeAccount(login));
  }

  addForwards(forwards: NewForward[]): Promise<Forward[]> {
    return this.run('addForwards', true, () => this.acc.add(forwards, this.nowIso()));
  }

  getForward(id: string): Promise<Forward | undefined> {
    return this.run('getForward', false, () => this.acc.get(id));
  }

  updateForward(id: string, patch: Partial<Omit<Forward, 'id'>>): Promise<Forward> {
    return this.run('updateForward', true, () => this.acc.update(id, patch, this.nowIso()));
  }

  /** Newest first. */
  listForwards(filter?: ForwardFilter): Promise<Forward[]> {
    return this.run('listForwards', false, () => this.acc.list(filter));
  }

  pendingForwards(): Promise<Forward[]> {
    return this.run('pendingForwards', false, () => this.acc.pendingList());
  }

  claimForwards(q: ForwardClaimQuery): Promise<{ forwards: Forward[]; nextDueAt?: string }> {
    return this.run('claimForwards', true, () => this.acc.claim(q, this.nowIso()));
  }

  getStatus(): Promise<ServerStatus | undefined> {
    return this.run('getStatus', false, async () => {
      const st = this.meta.data.values['server.status'];
      return st && clone(st);
    });
  }

  putStatus(st: ServerStatus): Promise<void> {
    return this.run('putStatus', true, () => this.writeMeta('server.status', st));
  }

  getSeenParts(): Promise<Record<string, number>> {
    return this.run('getSeenParts', false, async () => ({ ...this.meta.data.values['receiver.seenParts'] }));
  }

  putSeenParts(seen: Record<string, number>): Promise<void> {
    return this.run('putSeenParts', true, () => this.writeMeta('receiver.seenParts', seen));
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
      if (isNotFound(e)) return;
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
