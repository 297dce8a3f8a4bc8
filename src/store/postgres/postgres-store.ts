/**
 * The Store on PostgreSQL, for several hosts sharing one queue and one inbox (issue 17). Each record
 * is its JSON document plus the columns queries filter on; claims use `FOR UPDATE SKIP LOCKED` so
 * hosts never wait on each other's rows, and every multi-row change runs in one transaction.
 * The lease/claim rules are the shared ones of ../claims.ts, applied to the locked row in JS, so
 * this backend answers exactly like MemoryStore and LowdbStore (test/store/contract.ts).
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { realClock, type Clock } from '../../util/clock.js';
import { moduleLogger, type Logger } from '../../util/log.js';
import { applyJobPatch, claimPatch, validateClaim } from '../claims.js';
import { deliveryKeys, deliveryRefs, UNMATCHED_KEEP } from '../delivery-refs.js';
import { claimLane, nextDue } from '../memory-accounts.js';
import type { ForwardClaimQuery } from '../account-types.js';
import { LeaseLostError, NotFoundError, StoreClosedError, StoreError } from '../errors.js';
import { seqOf } from '../ids.js';
import { emptyQueueCounts, emptyStateCounts, isoMs, isPending, limitOf, priorityRank, selectChatSessions } from '../filters.js';
import {
  PRIORITY_ORDER,
  type Account,
  type ChatSession,
  type ChatSessionFilter,
  type Forward,
  type ForwardFilter,
  type NewForward,
  type Campaign,
  type ClaimOptions,
  type Client,
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
  type DeliveryPartRef,
  type DeliveryPartsQuery,
  type UnmatchedReport,
  type SelfServiceRecord,
  type ServerStatus,
  type HostStatus,
  type SharedStore,
} from '../types.js';
import { migrate } from './migrate.js';

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db`. */
  url: string;
  /** Schema holding the tables (default: the connection's search_path, normally `public`). */
  schema?: string;
  /** This server's name among the hosts sharing the database (its status row); default the machine's hostname. */
  host?: string;
  /** Pool size (default 5). */
  maxConnections?: number;
  clock?: Clock;
  logger?: Logger;
}

type Queryable = pg.Pool | pg.PoolClient;
type NewJob = Omit<Job, 'id' | 'createdAt' | 'updatedAt'>;

/** The channel `enqueue` notifies on commit, so idle workers on every host claim at once. */
export const WORK_CHANNEL = 'sms_work';
const STATUS_DOC = 'status';
const SEEN_PARTS_DOC = 'seen-parts';
const CONCAT_REF_DOC = 'concat-ref';
const UNMATCHED_TOTAL_DOC = 'unmatched-total';
/** Rows per INSERT of a batch (14 parameters each, under PostgreSQL's 65535). */
const INSERT_CHUNK = 2000;

/**
 * The SQL of a table of JSON documents under one key column, written once: the store's methods and
 * `importRecords` use the same statements.
 */
function keyedDocs(table: string, key: string) {
  return {
    get: `SELECT doc FROM ${table} WHERE ${key} = $1`,
    upsert: `INSERT INTO ${table} (${key}, doc) VALUES ($1, $2) ON CONFLICT (${key}) DO UPDATE SET doc = EXCLUDED.doc`,
    delete: `DELETE FROM ${table} WHERE ${key} = $1`,
    list: `SELECT doc FROM ${table} ORDER BY ${key}`,
  };
}
const PARTIALS = keyedDocs('partials', 'key');
const CLIENTS = keyedDocs('clients', 'phone');
const SELF_SERVICE = keyedDocs('self_service', 'phone');
const DOCUMENTS = keyedDocs('documents', 'name');
const CHAT_SESSIONS = keyedDocs('chat_sessions', 'id');
const UPSERT_ACCOUNT =
  'INSERT INTO accounts (login, token_hash, doc) VALUES ($1, $2, $3) ON CONFLICT (login) DO UPDATE SET token_hash = EXCLUDED.token_hash, doc = EXCLUDED.doc';
const UPSERT_CAMPAIGN =
  'INSERT INTO campaigns (id, created_at, doc) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, doc = EXCLUDED.doc';

/** The columns of a job row, from its document. */
function jobColumns(j: Omit<Job, 'id'>): unknown[] {
  return [
    j.state,
    priorityRank(j.priority),
    new Date(isoMs(j.nextAttemptAt, 'nextAttemptAt')),
    j.modem ?? null,
    j.to,
    j.account ?? null,
    j.campaignId ?? null,
    new Date(isoMs(j.createdAt, 'createdAt')),
    j.sentAt === undefined ? null : new Date(isoMs(j.sentAt, 'sentAt')),
    j.lease?.owner ?? null,
    j.lease === undefined ? null : new Date(isoMs(j.lease.until, 'lease.until')),
    JSON.stringify(docOf(j)),
    deliveryKeys(j as Job),
  ];
}
const JOB_COLUMNS = 'state, priority_rank, next_attempt_at, modem, to_addr, account, campaign_id, created_at, sent_at, lease_owner, lease_until, doc, delivery_keys';
const JOB_SET = JOB_COLUMNS.split(', ').map((c, i) => `${c} = $${i + 2}`).join(', ');

function forwardColumns(f: Omit<Forward, 'id'>): unknown[] {
  return [f.account, f.status, f.ref, f.nextAttemptAt ?? f.createdAt];
}

function docOf<T extends object>(r: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = r as T & { id?: unknown };
  return rest;
}

const withId = <T>(row: { id: string; doc: unknown }): T => ({ ...(row.doc as object), id: row.id }) as T;

/** The modem condition of a claim (see matchesModem): `$n` is the claimer's modem or null. */
const modemMatch = (n: number) => `($${n}::text IS NULL OR modem IS NULL OR modem = $${n})`;

export class PostgresStore implements SharedStore {
  private pool: pg.Pool | undefined;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  /** This server's name among the hosts (its status row). */
  readonly host: string;

  constructor(private readonly opts: PostgresStoreOptions) {
    this.clock = opts.clock ?? realClock;
    this.host = opts.host ?? hostname();
    this.log = opts.logger && moduleLogger(opts.logger, 'postgres-store');
  }

  /** Connects and applies the schema migrations this version needs. */
  async open(): Promise<void> {
    if (this.pool) return;
    const pool = new pg.Pool({
      connectionString: this.opts.url,
      max: this.opts.maxConnections ?? 5,
      ...(this.opts.schema ? { options: `-c search_path=${this.opts.schema}` } : {}),
    });
    pool.on('error', (e) => this.log?.warn({ err: e.message }, 'idle PostgreSQL connection failed'));
    try {
      const c = await pool.connect();
      try {
        const applied = await migrate(c);
        if (applied.length) this.log?.info({ applied }, 'schema migrations applied');
      } finally {
        c.release();
      }
    } catch (e) {
      await pool.end();
      throw e;
    }
    this.pool = pool;
  }

  /**
   * Calls `onWork` whenever any host enqueues jobs (LISTEN on a connection of its own; NOTIFY is
   * delivered on commit). Answers the unsubscribe. A lost connection (a database restart) is
   * opened again after 1, 2, 4 … 30 s, and `onWork` called once it is back (work may have been
   * enqueued meanwhile); until then the worker's idle poll still finds the work, only later.
   */
  async watchWork(onWork: () => void): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: ReturnType<Clock['setTimeout']> | undefined;
    let backoffMs = 1000;
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: this.opts.url, ...(this.opts.schema ? { options: `-c search_path=${this.opts.schema}` } : {}) });
      let lost = false;
      const onLost = (e?: Error) => {
        if (lost || stopped) return;
        lost = true;
        this.log?.warn({ err: e?.message, retryMs: backoffMs }, 'LISTEN connection lost: work enqueued on other hosts is found by polling until it is back');
        void c.end().catch(() => {});
        retry = this.clock.setTimeout(() => void reconnect(), backoffMs);
        backoffMs = Math.min(30_000, backoffMs * 2);
      };
      c.on('error', onLost);
      c.on('end', () => onLost());
      c.on('notification', () => onWork());
      try {
        await c.connect();
        await c.query(`LISTEN ${WORK_CHANNEL}`);
      } catch (e) {
        lost = true; // the caller retries (or fails the start): not the handlers above
        void c.end().catch(() => {});
        throw e;
      }
      client = c;
    };
    const reconnect = async () => {
      if (stopped) return;
      try {
        await connect();
        backoffMs = 1000;
        this.log?.info('LISTEN connection back');
        onWork();
      } catch (e) {
        this.log?.warn({ err: (e as Error).message, retryMs: backoffMs }, 'LISTEN reconnect failed');
        retry = this.clock.setTimeout(() => void reconnect(), backoffMs);
        backoffMs = Math.min(30_000, backoffMs * 2);
      }
    };
    await connect();
    return async () => {
      stopped = true;
      if (retry !== undefined) this.clock.clearTimeout(retry);
      await client?.end().catch(() => {});
    };
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.end();
  }

  private db(op: string): pg.Pool {
    if (!this.pool) throw new StoreClosedError(op);
    return this.pool;
  }

  /** Runs `fn` in one transaction on one connection. */
  private async tx<T>(op: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.db(op).connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // Inbox ---------------------------------------------------------------------------------

  async addInbound(entry: Omit<InboxEntry, 'id'>): Promise<{ entry: InboxEntry; duplicate: boolean }> {
    const db = this.db('addInbound');
    const doc = docOf(entry as InboxEntry);
    const ins = await db.query<{ id: string; doc: unknown }>(
      `INSERT INTO inbox (dedup_key, from_addr, status, received_at, doc) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (dedup_key) DO NOTHING RETURNING id, doc`,
      [entry.dedupKey, entry.from, entry.status, new Date(isoMs(entry.receivedAt, 'receivedAt')), JSON.stringify(doc)],
    );
    if (ins.rows[0]) return { entry: withId(ins.rows[0]), duplicate: false };
    const known = await db.query<{ id: string; doc: unknown }>('SELECT id, doc FROM inbox WHERE dedup_key = $1', [entry.dedupKey]);
    return { entry: withId(known.rows[0]!), duplicate: true };
  }

  async updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
    return this.tx('updateInbound', (c) => this.patchInbound(c, id, patch));
  }

  async routeInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>, forwards: NewForward[]): Promise<{ entry: InboxEntry; forwards: Forward[] }> {
    // One transaction: the claim and its forwards are stored together or not at all.
    return this.tx('routeInbound', async (c) => ({ entry: await this.patchInbound(c, id, patch), forwards: await this.insertForwards(c, forwards) }));
  }

  private async patchInbound(c: pg.PoolClient, id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
    const { rows } = await c.query<{ id: string; doc: unknown }>('SELECT id, doc FROM inbox WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw new NotFoundError('inbox entry', id);
    const e = { ...withId<InboxEntry>(rows[0]), ...docOf(patch as Partial<InboxEntry>), id };
    await c.query('UPDATE inbox SET dedup_key = $2, from_addr = $3, status = $4, received_at = $5, doc = $6 WHERE id = $1', [
      id,
      e.dedupKey,
      e.from,
      e.status,
      new Date(isoMs(e.receivedAt, 'receivedAt')),
      JSON.stringify(docOf(e)),
    ]);
    return JSON.parse(JSON.stringify(e)) as InboxEntry;
  }

  async getInbound(id: string): Promise<InboxEntry | undefined> {
    const { rows } = await this.db('getInbound').query<{ id: string; doc: unknown }>('SELECT id, doc FROM inbox WHERE id = $1', [id]);
    return rows[0] && withId(rows[0]);
  }

  async listInbound(filter: InboxFilter = {}): Promise<InboxEntry[]> {
    const limit = limitOf(filter.limit);
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter.from !== undefined) add('from_addr = ?', filter.from);
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.since !== undefined) add('received_at >= ?', new Date(isoMs(filter.since, 'since')));
    if (filter.account !== undefined) add(`doc->>'account' = ?`, filter.account);
    const sql =
      `SELECT id, doc FROM inbox ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC` +
      (limit === Infinity ? '' : ` LIMIT ${limit}`);
    const { rows } = await this.db('listInbound').query<{ id: string; doc: unknown }>(sql, args);
    return rows.map((r) => withId<InboxEntry>(r));
  }

  // Partials ------------------------------------------------------------------------------

  async getPartial(key: string): Promise<PartialSet | undefined> {
    const { rows } = await this.db('getPartial').query<{ doc: PartialSet }>(PARTIALS.get, [key]);
    return rows[0]?.doc;
  }

  async putPartial(set: PartialSet): Promise<void> {
    await this.db('putPartial').query(PARTIALS.upsert, [set.key, JSON.stringify(set)]);
  }

  async deletePartial(key: string): Promise<void> {
    await this.db('deletePartial').query(PARTIALS.delete, [key]);
  }

  async listPartials(): Promise<PartialSet[]> {
    const { rows } = await this.db('listPartials').query<{ doc: PartialSet }>(PARTIALS.list);
    return rows.map((r) => r.doc);
  }

  // Clients -------------------------------------------------------------------------------

  async getClient(phone: string): Promise<Client | undefined> {
    const { rows } = await this.db('getClient').query<{ doc: Client }>(CLIENTS.get, [phone]);
    return rows[0]?.doc;
  }

  async upsertClient(client: Client): Promise<void> {
    await this.db('upsertClient').query(CLIENTS.upsert, [client.phone, JSON.stringify(client)]);
  }

  async removeClient(phone: string): Promise<boolean> {
    const r = await this.db('removeClient').query(CLIENTS.delete, [phone]);
    return (r.rowCount ?? 0) > 0;
  }

  async listClients(): Promise<Client[]> {
    const { rows } = await this.db('listClients').query<{ doc: Client }>(CLIENTS.list);
    return rows.map((r) => r.doc);
  }

  // Self-service ----------------------------------------------------------------------------

  async getSelfService(phone: string): Promise<SelfServiceRecord | undefined> {
    const { rows } = await this.db('getSelfService').query<{ doc: SelfServiceRecord }>(SELF_SERVICE.get, [phone]);
    return rows[0]?.doc;
  }

  async putSelfService(record: SelfServiceRecord): Promise<void> {
    await this.db('putSelfService').query(SELF_SERVICE.upsert, [record.phone, JSON.stringify(record)]);
  }

  // Jobs ----------------------------------------------------------------------------------

  async enqueue(jobs: NewJob[]): Promise<Job[]> {
    if (jobs.length === 0) return [];
    const now = this.nowIso();
    const full = jobs.map((j) => ({ ...j, createdAt: now, updatedAt: now }));
    const rowsOf = full.map(jobColumns);
    return this.tx('enqueue', async (c) => {
      const out: Job[] = [];
      for (let at = 0; at < rowsOf.length; at += INSERT_CHUNK) {
        const chunk = rowsOf.slice(at, at + INSERT_CHUNK);
        const width = chunk[0]!.length;
        const values = chunk.map((_, r) => `(${Array.from({ length: width }, (_, k) => `$${r * width + k + 1}`).join(', ')})`);
        // Sequence values follow the VALUES order within one INSERT: ids are in enqueue order.
        const { rows } = await c.query<{ id: string; seq: string }>(
          `INSERT INTO jobs (${JOB_COLUMNS}) VALUES ${values.join(', ')} RETURNING id, seq`,
          chunk.flat(),
        );
        rows.sort((a, b) => Number(a.seq) - Number(b.seq));
        rows.forEach((r, k) => out.push({ ...(JSON.parse(JSON.stringify(full[at + k])) as Job), id: r.id }));
      }
      await c.query('SELECT pg_notify($1, $2)', [WORK_CHANNEL, String(out.length)]);
      return out;
    });
  }

  /** Writes a job document back to its row (the columns follow the document). */
  private async writeJob(c: Queryable, job: Job): Promise<Job> {
    await c.query(`UPDATE jobs SET ${JOB_SET} WHERE id = $1`, [job.id, ...jobColumns(job)]);
    return JSON.parse(JSON.stringify(job)) as Job;
  }

  private async lockJob(c: pg.PoolClient, id: string): Promise<Job> {
    const { rows } = await c.query<{ id: string; doc: unknown }>('SELECT id, doc FROM jobs WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw new NotFoundError('job', id);
    return withId<Job>(rows[0]);
  }

  async claimNext(o: ClaimOptions): Promise<Job | undefined> {
    validateClaim(o);
    const t = o.now?.getTime() ?? this.clock.now();
    const ranks = (o.priorities ?? PRIORITY_ORDER).map((p: JobPriority) => priorityRank(p));
    return this.tx('claimNext', async (c) => {
      // SKIP LOCKED: a row another host is claiming right now is passed over, not waited for.
      const pick = async (cond: string, extra: unknown[]) =>
        (
          await c.query<{ id: string; doc: unknown; priority_rank: number }>(
            `SELECT id, doc, priority_rank FROM jobs
              WHERE state = 'queued' AND next_attempt_at <= $1 AND priority_rank = ANY($2::smallint[]) AND ${cond}
              ORDER BY priority_rank, seq LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [new Date(t), ranks, ...extra],
          )
        ).rows[0];
      // pinnedFirst: within a priority this modem's own jobs first; an unpinned job wins only from a higher priority.
      const pinned = o.pinnedFirst && o.modem !== undefined ? await pick('modem = $3', [o.modem]) : undefined;
      const row = pinned
        ? ((await pick(`${modemMatch(3)} AND priority_rank < $4`, [o.modem, pinned.priority_rank])) ?? pinned)
        : await pick(modemMatch(3), [o.modem ?? null]);
      if (!row) return undefined;
      const j = withId<Job>(row);
      return this.writeJob(c, applyJobPatch(j, claimPatch(j, o, t), this.nowIso()));
    });
  }

  async renewLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<Job> {
    validateClaim({ owner, leaseMs });
    const t = now?.getTime() ?? this.clock.now();
    return this.tx('renewLease', async (c) => {
      const j = await this.lockJob(c, id);
      if (j.state !== 'sending' || j.lease?.owner !== owner) throw new LeaseLostError(id, owner, j.state === 'sending' ? j.lease?.owner : undefined);
      return this.writeJob(c, applyJobPatch(j, { lease: { owner, until: new Date(t + leaseMs).toISOString() } }, this.nowIso()));
    });
  }

  async claimStranded(o: Omit<ClaimOptions, 'priorities'>): Promise<Job[]> {
    validateClaim(o);
    const t = o.now?.getTime() ?? this.clock.now();
    const until = new Date(t + o.leaseMs).toISOString();
    return this.tx('claimStranded', async (c) => {
      const { rows } = await c.query<{ id: string; doc: unknown }>(
        `SELECT id, doc FROM jobs
          WHERE state = 'sending' AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until <= $2) AND ${modemMatch(3)}
          ORDER BY seq FOR UPDATE SKIP LOCKED`,
        [o.owner, new Date(t), o.modem ?? null],
      );
      const out: Job[] = [];
      for (const r of rows) out.push(await this.writeJob(c, applyJobPatch(withId<Job>(r), { lease: { owner: o.owner, until } }, this.nowIso())));
      return out;
    });
  }

  async concatRef(id: string): Promise<number> {
    return this.tx('concatRef', async (c) => {
      const j = await this.lockJob(c, id);
      if (j.concatRef !== undefined) return j.concatRef;
      // The counter row is locked by the upsert until commit: two hosts never hand out one reference twice in a row.
      const { rows } = await c.query<{ doc: number }>(
        `INSERT INTO documents (name, doc) VALUES ($1, '1') ON CONFLICT (name) DO UPDATE SET doc = to_jsonb(((documents.doc)::int + 1) % 256)
         RETURNING doc`,
        [CONCAT_REF_DOC],
      );
      const ref = (rows[0]!.doc + 255) % 256;
      await this.writeJob(c, applyJobPatch(j, { concatRef: ref }, this.nowIso()));
      return ref;
    });
  }

  async nextWakeup(): Promise<Date | undefined> {
    const { rows } = await this.db('nextWakeup').query<{ t: Date | null }>(`SELECT min(next_attempt_at) AS t FROM jobs WHERE state = 'queued'`);
    return rows[0]?.t ?? undefined;
  }

  async updateJob(id: string, patch: Partial<Omit<Job, 'id'>>): Promise<Job> {
    const { id: _ignored, ...rest } = patch as Partial<Job>;
    if (rest.nextAttemptAt !== undefined) isoMs(rest.nextAttemptAt, 'nextAttemptAt');
    return this.tx('updateJob', async (c) => this.writeJob(c, applyJobPatch(await this.lockJob(c, id), rest, this.nowIso())));
  }

  async getJob(id: string): Promise<Job | undefined> {
    const { rows } = await this.db('getJob').query<{ id: string; doc: unknown }>('SELECT id, doc FROM jobs WHERE id = $1', [id]);
    return rows[0] && withId(rows[0]);
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const limit = limitOf(filter.limit);
    const field = filter.timeField ?? 'createdAt';
    if (field !== 'createdAt' && field !== 'sentAt') throw new RangeError(`timeField must be createdAt or sentAt, got ${JSON.stringify(field)}`);
    const col = field === 'createdAt' ? 'created_at' : 'sent_at';
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter.state !== undefined) add('state = ?', filter.state);
    if (filter.priority !== undefined) add('priority_rank = ?', priorityRank(filter.priority));
    if (filter.campaignId !== undefined) add('campaign_id = ?', filter.campaignId);
    if (filter.to !== undefined) add('to_addr = ?', filter.to);
    if (filter.account !== undefined) add('account = ?', filter.account);
    if (filter.modem !== undefined) add('modem = ?', filter.modem);
    if (filter.since !== undefined) add(`${col} >= ?`, new Date(isoMs(filter.since, 'since')));
    if (filter.until !== undefined) add(`${col} < ?`, new Date(isoMs(filter.until, 'until')));
    const sql =
      `SELECT id, doc FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC` +
      (limit === Infinity ? '' : ` LIMIT ${limit}`);
    const { rows } = await this.db('listJobs').query<{ id: string; doc: unknown }>(sql, args);
    return rows.map((r) => withId<Job>(r));
  }

  async lastSentTo(to: string, since: string): Promise<LastSent | undefined> {
    const { rows } = await this.db('lastSentTo').query<{ id: string; doc: Job }>(
      `SELECT id, doc FROM jobs WHERE to_addr = $1 AND state = 'sent' AND account IS NOT NULL AND sent_at >= $2
        ORDER BY sent_at DESC, seq DESC LIMIT 1`,
      [to, new Date(isoMs(since, 'since'))],
    );
    const r = rows[0];
    return r && { jobId: r.id, account: r.doc.account!, sentAt: r.doc.sentAt! };
  }

  async queueCounts(): Promise<QueueCounts> {
    const { rows } = await this.db('queueCounts').query<{ state: JobState; priority_rank: number; n: string }>(
      'SELECT state, priority_rank, count(*) AS n FROM jobs GROUP BY state, priority_rank',
    );
    const c = emptyQueueCounts();
    for (const r of rows) {
      c.byState[r.state] += Number(r.n);
      if (isPending(r.state)) c.byPriority[PRIORITY_ORDER[r.priority_rank]!] += Number(r.n);
    }
    return c;
  }

  async queuedByModem(): Promise<QueuedByModem> {
    const { rows } = await this.db('queuedByModem').query<{ modem: string | null; n: string }>(
      `SELECT modem, count(*) AS n FROM jobs WHERE state = 'queued' GROUP BY modem`,
    );
    const out: QueuedByModem = { pinned: {}, unpinned: 0 };
    for (const r of rows) {
      if (r.modem === null) out.unpinned = Number(r.n);
      else out.pinned[r.modem] = Number(r.n);
    }
    return out;
  }

  // Campaigns -----------------------------------------------------------------------------

  async putCampaign(c: Campaign): Promise<void> {
    await this.db('putCampaign').query(UPSERT_CAMPAIGN, [c.id, c.createdAt, JSON.stringify(c)]);
  }

  async getCampaign(id: string): Promise<Campaign | undefined> {
    const { rows } = await this.db('getCampaign').query<{ doc: Campaign }>('SELECT doc FROM campaigns WHERE id = $1', [id]);
    return rows[0]?.doc;
  }

  /** Oldest first (by createdAt, then id — compared as strings, like compareCampaigns). */
  async listCampaigns(): Promise<Campaign[]> {
    const { rows } = await this.db('listCampaigns').query<{ doc: Campaign }>('SELECT doc FROM campaigns ORDER BY created_at, id');
    return rows.map((r) => r.doc);
  }

  async campaignProgress(id: string): Promise<Record<JobState, number>> {
    const { rows } = await this.db('campaignProgress').query<{ state: JobState; n: string }>(
      'SELECT state, count(*) AS n FROM jobs WHERE campaign_id = $1 GROUP BY state',
      [id],
    );
    const c = emptyStateCounts();
    for (const r of rows) c[r.state] = Number(r.n);
    return c;
  }

  // Opt-outs and small documents ----------------------------------------------------------

  async listOptOuts(): Promise<string[]> {
    const { rows } = await this.db('listOptOuts').query<{ phone: string }>('SELECT phone FROM opt_outs ORDER BY phone');
    return rows.map((r) => r.phone);
  }

  async hasOptOut(phone: string): Promise<boolean> {
    const { rows } = await this.db('hasOptOut').query('SELECT 1 FROM opt_outs WHERE phone = $1', [phone]);
    return rows.length > 0;
  }

  async setOptOut(phone: string, optedOut: boolean): Promise<boolean> {
    const r = optedOut
      ? await this.db('setOptOut').query('INSERT INTO opt_outs (phone) VALUES ($1) ON CONFLICT DO NOTHING', [phone])
      : await this.db('setOptOut').query('DELETE FROM opt_outs WHERE phone = $1', [phone]);
    return (r.rowCount ?? 0) > 0;
  }

  private async getDoc<T>(name: string): Promise<T | undefined> {
    const { rows } = await this.db('get ' + name).query<{ doc: T }>(DOCUMENTS.get, [name]);
    return rows[0]?.doc;
  }

  private async putDoc(name: string, doc: unknown): Promise<void> {
    await this.db('put ' + name).query(DOCUMENTS.upsert, [name, JSON.stringify(doc)]);
  }

  /** This host's snapshot (each host has its own: see `listHosts`). */
  async getStatus(): Promise<ServerStatus | undefined> {
    const { rows } = await this.db('getStatus').query<{ doc: ServerStatus }>('SELECT doc FROM hosts WHERE host = $1', [this.host]);
    return rows[0]?.doc;
  }

  /** Writes this host's snapshot and its heartbeat (the database's clock). */
  async putStatus(s: ServerStatus): Promise<void> {
    await this.db('putStatus').query(
      `INSERT INTO hosts (host, started_at, heartbeat_at, doc) VALUES ($1, $2, now(), $3)
       ON CONFLICT (host) DO UPDATE SET started_at = EXCLUDED.started_at, heartbeat_at = now(), doc = EXCLUDED.doc`,
      [this.host, new Date(isoMs(s.startedAt, 'startedAt')), JSON.stringify(s)],
    );
  }

  /** Every host that ever wrote its status, by name, with the age of its last heartbeat. */
  async listHosts(): Promise<HostStatus[]> {
    const { rows } = await this.db('listHosts').query<{ host: string; started_at: Date; heartbeat_at: Date; age: number; doc: ServerStatus }>(
      'SELECT host, started_at, heartbeat_at, extract(epoch FROM now() - heartbeat_at)::float8 AS age, doc FROM hosts ORDER BY host',
    );
    return rows.map((r) => ({
      host: r.host,
      startedAt: r.started_at.toISOString(),
      heartbeatAt: r.heartbeat_at.toISOString(),
      ageSeconds: Math.max(0, r.age),
      status: r.doc,
    }));
  }

  /** Forgets a host (`status` stops listing it); its jobs are untouched. */
  async removeHost(host: string): Promise<boolean> {
    const r = await this.db('removeHost').query('DELETE FROM hosts WHERE host = $1', [host]);
    return (r.rowCount ?? 0) > 0;
  }

  async getSeenParts(): Promise<Record<string, number>> {
    return (await this.getDoc<Record<string, number>>(SEEN_PARTS_DOC)) ?? {};
  }

  async putSeenParts(seen: Record<string, number>): Promise<void> {
    await this.putDoc(SEEN_PARTS_DOC, seen);
  }

  // Accounts ------------------------------------------------------------------------------

  async getAccount(login: string): Promise<Account | undefined> {
    const { rows } = await this.db('getAccount').query<{ doc: Account }>('SELECT doc FROM accounts WHERE login = $1', [login]);
    return rows[0]?.doc;
  }

  async findAccountByTokenHash(tokenHash: string): Promise<Account | undefined> {
    const { rows } = await this.db('findAccountByTokenHash').query<{ doc: Account }>('SELECT doc FROM accounts WHERE token_hash = $1 ORDER BY login LIMIT 1', [tokenHash]);
    return rows[0]?.doc;
  }

  async listAccounts(): Promise<Account[]> {
    const { rows } = await this.db('listAccounts').query<{ doc: Account }>('SELECT doc FROM accounts ORDER BY login');
    return rows.map((r) => r.doc);
  }

  async putAccount(account: Account): Promise<void> {
    await this.db('putAccount').query(UPSERT_ACCOUNT, [account.login, account.tokenHash, JSON.stringify(account)]);
  }

  async removeAccount(login: string): Promise<boolean> {
    const r = await this.db('removeAccount').query('DELETE FROM accounts WHERE login = $1', [login]);
    return (r.rowCount ?? 0) > 0;
  }

  // Forwards ------------------------------------------------------------------------------

  async addForwards(forwards: NewForward[]): Promise<Forward[]> {
    if (forwards.length === 0) return [];
    return this.tx('addForwards', (c) => this.insertForwards(c, forwards));
  }

  private async insertForwards(c: pg.PoolClient, forwards: NewForward[]): Promise<Forward[]> {
    const now = this.nowIso();
    const out: Forward[] = [];
    for (const f of forwards) {
      const doc = JSON.parse(JSON.stringify({ ...f, createdAt: now, updatedAt: now })) as Omit<Forward, 'id'>;
      const { rows } = await c.query<{ id: string }>('INSERT INTO forwards (account, status, ref, due, doc) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
        ...forwardColumns(doc),
        JSON.stringify(doc),
      ]);
      out.push({ ...doc, id: rows[0]!.id });
    }
    return out;
  }

  async getForward(id: string): Promise<Forward | undefined> {
    const { rows } = await this.db('getForward').query<{ id: string; doc: unknown }>('SELECT id, doc FROM forwards WHERE id = $1', [id]);
    return rows[0] && withId(rows[0]);
  }

  async updateForward(id: string, patch: Partial<Omit<Forward, 'id'>>): Promise<Forward> {
    return this.tx('updateForward', async (c) => {
      const { rows } = await c.query<{ id: string; doc: unknown }>('SELECT id, doc FROM forwards WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) throw new NotFoundError('forward', id);
      const rest = docOf(patch as Partial<Forward>);
      // A key patched to undefined is removed (JSON drops it), as in the other backends.
      const f = JSON.parse(JSON.stringify({ ...withId<Forward>(rows[0]), ...rest, updatedAt: rest.updatedAt ?? this.nowIso() })) as Forward;
      await c.query('UPDATE forwards SET account = $2, status = $3, ref = $4, due = $5, doc = $6 WHERE id = $1', [id, ...forwardColumns(f), JSON.stringify(docOf(f))]);
      return f;
    });
  }

  async listForwards(filter: ForwardFilter = {}): Promise<Forward[]> {
    const limit = limitOf(filter.limit);
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, v] of [['account', filter.account], ['status', filter.status], ['ref', filter.ref]] as const) {
      if (v === undefined) continue;
      args.push(v);
      where.push(`${col} = $${args.length}`);
    }
    const sql =
      `SELECT id, doc FROM forwards ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC` +
      (limit === Infinity ? '' : ` LIMIT ${limit}`);
    const { rows } = await this.db('listForwards').query<{ id: string; doc: unknown }>(sql, args);
    return rows.map((r) => withId<Forward>(r));
  }

  async pendingForwards(): Promise<Forward[]> {
    const { rows } = await this.db('pendingForwards').query<{ id: string; doc: unknown }>(
      `SELECT id, doc FROM forwards WHERE status = 'pending' ORDER BY due, seq`,
    );
    return rows.map((r) => withId<Forward>(r));
  }

  /** The lane (account, channel) is locked for the claim: two sessions never lease one forward. */
  async claimForwards(q: ForwardClaimQuery): Promise<{ forwards: Forward[]; nextDueAt?: string }> {
    return this.tx('claimForwards', async (c) => {
      const { rows } = await c.query<{ id: string; doc: unknown }>(
        `SELECT id, doc FROM forwards WHERE status = 'pending' AND account = $1 AND doc->>'channel' = $2 ORDER BY seq FOR UPDATE`,
        [q.account, q.channel],
      );
      const lane = rows.map((r) => withId<Forward>(r));
      const { claim, leased } = claimLane(lane, q, this.nowIso());
      const out: Forward[] = [];
      for (const f of claim) {
        const next = JSON.parse(JSON.stringify({ ...f, ...leased(f) })) as Forward;
        await c.query('UPDATE forwards SET account = $2, status = $3, ref = $4, due = $5, doc = $6 WHERE id = $1', [f.id, ...forwardColumns(next), JSON.stringify(docOf(next))]);
        Object.assign(f, next);
        out.push(next);
      }
      return { forwards: out, ...nextDue(lane) };
    });
  }

  // Web chat sessions and single-use keys ---------------------------------------------------

  async putChatSession(session: ChatSession): Promise<void> {
    await this.db('putChatSession').query(CHAT_SESSIONS.upsert, [session.id, JSON.stringify(session)]);
  }

  async getChatSession(id: string): Promise<ChatSession | undefined> {
    const { rows } = await this.db('getChatSession').query<{ doc: ChatSession }>(CHAT_SESSIONS.get, [id]);
    return rows[0]?.doc;
  }

  /** Filtered by the shared rules (filters.ts) over all sessions: they are few and short-lived. */
  async listChatSessions(filter: ChatSessionFilter = {}): Promise<ChatSession[]> {
    const { rows } = await this.db('listChatSessions').query<{ doc: ChatSession }>('SELECT doc FROM chat_sessions');
    return selectChatSessions(rows.map((r) => r.doc), filter);
  }

  async deleteChatSession(id: string): Promise<void> {
    await this.db('deleteChatSession').query(CHAT_SESSIONS.delete, [id]);
  }

  async useOnce(key: string, expiresAt: string): Promise<boolean> {
    const exp = new Date(isoMs(expiresAt, 'expiresAt'));
    return this.tx('useOnce', async (c) => {
      await c.query('DELETE FROM once_keys WHERE expires_at <= $1', [new Date(this.clock.now())]);
      const r = await c.query('INSERT INTO once_keys (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, exp]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  // Delivery reports ----------------------------------------------------------------------

  async deliveryParts(q: DeliveryPartsQuery): Promise<DeliveryPartRef[]> {
    const sinceMs = isoMs(q.since, 'since');
    // A job sent (all parts) before `since` has no part in the window; with `to`, the jobs_to index
    // narrows the rows to one recipient's instead of one in 256 of every job ever sent.
    const { rows } = await this.db('deliveryParts').query<{ id: string; doc: unknown }>(
      'SELECT id, doc FROM jobs WHERE delivery_keys @> ARRAY[$1::text] AND (sent_at IS NULL OR sent_at >= $2)' +
        (q.to === undefined ? '' : ' AND to_addr = $3') +
        ' ORDER BY seq',
      [`${q.modem}|${q.mr}`, new Date(sinceMs), ...(q.to === undefined ? [] : [q.to])],
    );
    return rows.flatMap((r) => deliveryRefs(withId<Job>(r), q, sinceMs));
  }

  async addUnmatchedReport(r: UnmatchedReport): Promise<boolean> {
    return this.tx('addUnmatchedReport', async (c) => {
      const ins = await c.query('INSERT INTO unmatched_reports (hash, doc) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING', [r.hash, JSON.stringify(r)]);
      if ((ins.rowCount ?? 0) === 0) return false;
      await c.query(
        `INSERT INTO documents (name, doc) VALUES ($1, '1') ON CONFLICT (name) DO UPDATE SET doc = to_jsonb((documents.doc)::bigint + 1)`,
        [UNMATCHED_TOTAL_DOC],
      );
      await c.query('DELETE FROM unmatched_reports WHERE seq <= (SELECT max(seq) FROM unmatched_reports) - $1', [UNMATCHED_KEEP]);
      return true;
    });
  }

  async listUnmatchedReports(limit = 100): Promise<{ total: number; reports: UnmatchedReport[] }> {
    const n = limitOf(limit);
    const db = this.db('listUnmatchedReports');
    const total = Number((await this.getDoc<number>(UNMATCHED_TOTAL_DOC)) ?? 0);
    if (n === 0) return { total, reports: [] };
    const { rows } = await db.query<{ doc: UnmatchedReport }>(
      `SELECT doc FROM unmatched_reports ORDER BY seq DESC${n === Infinity ? '' : ` LIMIT ${n}`}`,
    );
    return { total, reports: rows.map((r) => r.doc) };
  }

  // Import (`store migrate`) --------------------------------------------------------------

  /**
   * Copies records of another store in ONE transaction, keeping their ids (`in-N`, `job-N`,
   * `fwd-N`: the sequences continue after them). Refuses a database that already holds messages.
   */
  async importRecords(r: ImportRecords): Promise<void> {
    await this.tx('importRecords', async (c) => {
      const { rows } = await c.query<{ n: string }>('SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM jobs) + (SELECT count(*) FROM forwards) AS n');
      if (Number(rows[0]!.n) > 0) throw new StoreError('STORE_NOT_EMPTY', 'the target database already holds messages: migrate into an empty database');
      const seq = (id: string, prefix: 'in' | 'job' | 'fwd') => {
        const n = seqOf(id, prefix);
        if (n === undefined) throw new StoreError('STORE_CORRUPT', `unexpected id ${JSON.stringify(id)}`);
        return n;
      };
      for (const e of r.inbox) {
        await c.query('INSERT INTO inbox (seq, dedup_key, from_addr, status, received_at, doc) VALUES ($1, $2, $3, $4, $5, $6)', [
          seq(e.id, 'in'), e.dedupKey, e.from, e.status, new Date(isoMs(e.receivedAt, 'receivedAt')), JSON.stringify(docOf(e)),
        ]);
      }
      for (const j of r.jobs) await c.query(`INSERT INTO jobs (seq, ${JOB_COLUMNS}) VALUES ($1, ${JOB_COLUMNS.split(', ').map((_, k) => `$${k + 2}`).join(', ')})`, [seq(j.id, 'job'), ...jobColumns(j)]);
      for (const f of r.forwards) {
        await c.query('INSERT INTO forwards (seq, account, status, ref, due, doc) VALUES ($1, $2, $3, $4, $5, $6)', [seq(f.id, 'fwd'), ...forwardColumns(f), JSON.stringify(docOf(f))]);
      }
      for (const [table, seqName] of [['inbox', 'inbox_seq'], ['jobs', 'jobs_seq'], ['forwards', 'forwards_seq']]) {
        await c.query(`SELECT setval('${seqName}', (SELECT coalesce(max(seq) + 1, 0) FROM ${table}), false)`);
      }
      for (const x of r.clients) await c.query(CLIENTS.upsert, [x.phone, JSON.stringify(x)]);
      for (const x of r.campaigns) {
        await c.query(UPSERT_CAMPAIGN, [x.id, x.createdAt, JSON.stringify(x)]);
      }
      for (const p of r.optOuts) await c.query('INSERT INTO opt_outs (phone) VALUES ($1) ON CONFLICT DO NOTHING', [p]);
      for (const x of r.partials) await c.query(PARTIALS.upsert, [x.key, JSON.stringify(x)]);
      for (const a of r.accounts) {
        await c.query(UPSERT_ACCOUNT, [a.login, a.tokenHash, JSON.stringify(a)]);
      }
      await c.query(DOCUMENTS.upsert, [SEEN_PARTS_DOC, JSON.stringify(r.seenParts)]);
    });
  }
}

/** What `importRecords` copies: everything a Store lists. */
export interface ImportRecords {
  inbox: InboxEntry[];
  jobs: Job[];
  forwards: Forward[];
  clients: Client[];
  campaigns: Campaign[];
  optOuts: string[];
  partials: PartialSet[];
  accounts: Account[];
  seenParts: Record<string, number>;
}
