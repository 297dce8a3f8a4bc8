/**
 * The data model and the Store contract. Services and the daemon depend on this interface only;
 * `LowdbStore` (files under the data folder, one writer: `lowdb/`) and `MemoryStore` (unit tests,
 * not exported from the package index) implement it, and both pass test/store/contract.ts.
 */

import type { AccountStore, Forward, ForwardStore, NewForward } from './account-types.js';

export * from './account-types.js';
import type { ChatSessionStore, OnceStore } from './chat-types.js';

export * from './chat-types.js';

export type InboxStatus =
  /** Stored, not yet routed (src/inbound/pipeline.ts). */
  | 'new'
  /** Claimed by a route (a recognised command with its replies queued, …). */
  | 'processed'
  /** No route claimed it: kept, no reply (seed 000: "not included in processing"). */
  | 'ignored'
  /** A command refused (unregistered sender for `CLIENT info`, rate-limited). */
  | 'rejected'
  /** Could not be decoded: `raw` and `error` keep what came in. */
  | 'error'
  /** An incoming call, logged as `[CALL]` and hung up (routed like an SMS; `routedBy` says when it was). */
  | 'call';

/** The id of the one modem a server drives today; a pool adds others without touching jobs or the inbox. */
export const DEFAULT_MODEM_ID = 'default';

export interface InboxEntry {
  id: string;
  /** Sender as received: E.164 with `+` for international numbers, digits for national/short, or an alphanumeric name. */
  from: string;
  /** Decoded text (joined parts); `[CALL]` for calls; '' when undecodable. */
  text: string;
  /** When this server stored it, ISO 8601. */
  receivedAt: string;
  /** SMSC timestamp of the (first) part, ISO 8601 with its zone offset. */
  sentAt?: string;
  status: InboxStatus;
  /** Number of parts the message had (1 for a single SMS or a call). */
  parts: number;
  /** Set when a multipart set was delivered after the timeout with parts missing. */
  incomplete?: { missing: number[]; total: number };
  encoding?: 'gsm7' | '8bit' | 'ucs2';
  /** Raw PDUs (hex) for undecodable messages, and for audit of multipart sets. */
  raw?: string[];
  /** Decode error or processing error message. */
  error?: string;
  /** The recognised command (`info`, `sms stop`, `sms start`) when status is processed/rejected. */
  command?: string;
  /** Job ids queued in answer. */
  replies?: string[];
  /** The text as received when a route changed `text` (route `prefix` removes `login: `). */
  originalText?: string;
  /** The inbound route that claimed it (`command`, `chat`, …), or `none`; unset while unrouted. */
  routedBy?: string;
  /** Owning account login when a route assigned one; null when a route decided it has none. */
  account?: string | null;
  /** Route-specific target fields recorded with the claim (e.g. `{ conversationId }`). */
  route?: Record<string, unknown>;
  /** Id of the modem it arrived on (`default` with one modem). */
  modem?: string;
  /** The receiving SIM's own number, when known. */
  to?: string;
  /** (sender, SMSC timestamp, PDU hash): a re-read after a failed delete is recognised by it. */
  dedupKey: string;
}

export interface InboxFilter {
  limit?: number;
  from?: string;
  /** ISO date or date-time: only entries received at or after it. */
  since?: string;
  status?: InboxStatus;
  /** Only entries routed to this account (login). */
  account?: string;
}

export interface Client {
  /** E.164, e.g. `+79001234567` (normalised on the way in). */
  phone: string;
  /** Personal code (seed 000: "Código Personal"). */
  code: string;
  /** Portal login. */
  login: string;
  /** Portal password, encrypted at rest (AES-256-GCM, `v1:iv:tag:data` base64). Never logged. */
  passwordEnc: string;
  /** Receives notifications and mass texts. `CLIENT sms stop` sets false, `start` true. */
  optIn: boolean;
  createdAt: string;
  updatedAt: string;
}

/** One stored part of an inbound multipart set that is not complete yet. */
export interface PartialPart {
  seq: number;
  pdu: string;
  receivedAt: string;
}

export interface PartialSet {
  /** `${sender}|${refBits}|${ref}|${total}` */
  key: string;
  /** Modem the first part arrived on. */
  modem?: string;
  /** That SIM's own number, when known (the joined entry's `to`). */
  to?: string;
  sender: string;
  ref: number;
  refBits: 8 | 16;
  total: number;
  parts: PartialPart[];
  firstAt: string;
}

export type JobPriority = 'reply' | 'notification' | 'mass';
export const PRIORITY_ORDER: readonly JobPriority[] = ['reply', 'notification', 'mass'];

export type JobState = 'queued' | 'sending' | 'sent' | 'failed' | 'unknown';

export interface Job {
  id: string;
  to: string;
  text: string;
  priority: JobPriority;
  state: JobState;
  attempts: number;
  /** ISO time before which the job must not be tried (back-off). */
  nextAttemptAt: string;
  createdAt: string;
  updatedAt: string;
  sentAt?: string;
  lastError?: string;
  /** Failure reason category when state is failed. */
  reason?: string;
  /** TP-MR per part, in order, once the modem accepted them. */
  parts?: JobPart[];
  /** Ask the SMSC for status reports (TP-SRR). Unset: the server's `queue.deliveryReports`. */
  report?: boolean;
  /**
   * What status reports said, written only by the delivery tracker (src/delivery/): the job's
   * state over every part sent with TP-SRR, and the parts a report has reached. A part sent with
   * TP-SRR and not in `delivery.parts` is pending.
   */
  delivery?: JobDelivery;
  /** How many times the PDU may have reached the network more than once (unknown outcomes re-sent). */
  duplicates?: number;
  /**
   * Crash marker: the part whose PDU is (about to be) written to the modem. Persisted with the
   * job's own writes (no extra file write per part); cleared when the job leaves `sending`.
   */
  writing?: { seq: number; at: string };
  campaignId?: string;
  /** Inbox entry this answers (replies only). */
  inReplyTo?: string;
  /** Modem pinned to send it (a reply leaves through the modem its request came in on); unset: any. */
  modem?: string;
  /** The modem that took the latest attempt (written by the claim of a worker that serves one modem). */
  via?: string;
  /** The latest change of `modem` made by the server (modem pool failover), with why and when. */
  repin?: JobRepin;
  /** The account that sent it (accounts issue); unset for the operator's and the server's own texts. */
  account?: string;
  /** Set while `sending`: who claimed the job and until when the claim holds (see `Store.claimNext`). */
  lease?: JobLease;
  /** 8-bit concatenation reference of a multipart text, fixed before its first part goes out (`Store.concatRef`). */
  concatRef?: number;
  /**
   * Submitted over SMPP with `registered_delivery`: send the account a delivery receipt (deliver_sm)
   * when the job's delivery is known — on any outcome, or on failure only. `originator` is the
   * client's source_addr (the receipt's destination_addr).
   */
  smppReceipt?: { when: 'final' | 'failure'; originator: string };
  /**
   * `text` is encrypted (it carries credentials: the `CLIENT info` result). The worker decrypts it
   * only to encode the PDU; listings show it as sealed. Keeps passwords unreadable at rest.
   */
  sealed?: boolean;
}

/** Why the server pinned or unpinned a job (src/queue/pinning.ts). */
export interface JobRepin {
  /** The pin before (unset: none). */
  from?: string;
  /** The pin after (unset: any modem). */
  to?: string;
  /**
   * `modem-down`: its modem was down longer than `pool.pinnedWaitMinutes` and the fallback is `any`;
   * `started`: some parts of a multipart text left through `to` (the phone joins parts from one number only).
   */
  reason: 'modem-down' | 'started';
  at: string;
}

export interface JobLease {
  /** The claimer: a stable name for one worker (host + modem), so its own restart recovers its jobs. */
  owner: string;
  /** ISO time after which another owner may take the job over (it is treated as stranded). */
  until: string;
}

/** What status reports say about a part, or a job (src/delivery/state.ts has the rules). */
export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One part of a job as the modem took it. */
export interface JobPart {
  seq: number;
  /** TP-MR from `+CMGS`. */
  mr?: number;
  /** When the modem accepted it (our clock): a status report is matched within a window from here. */
  sentAt?: string;
  /** Sent with TP-SRR: a status report is expected. */
  report?: boolean;
  /** The modem that sent it (reports come back on the same modem). Unset: the job's `modem`, else `default`. */
  modem?: string;
}

/** One part's delivery (`delivery.parts[]` in outbox --json and GET /messages/:id). */
export interface PartDelivery {
  seq: number;
  /** TP-MR the modem gave the part. */
  mr: number;
  state: DeliveryState;
  /** TP-ST of the last report (a temporary one while still pending). */
  status?: number;
  /** TP-DT of that report, as the SMSC wrote it (ISO 8601 in the SMSC's zone). */
  at?: string;
  /** When the last report arrived, our clock. */
  reportedAt?: string;
  /** Content hashes of the reports applied to this part: the same report read twice counts once. */
  reports?: string[];
}

export interface JobDelivery {
  state: DeliveryState;
  /** TP-DT of the report that made the job final: the last part delivered, or the first failure. */
  at?: string;
  parts: PartDelivery[];
}

/** A status report no open part matched: kept for the operator, never applied to a job. */
export interface UnmatchedReport {
  /** Content hash (dedup: the same report read twice is kept once). */
  hash: string;
  modem: string;
  mr: number;
  /** TP-RA as the SMSC wrote it. */
  recipient: string;
  status: number;
  /** TP-DT as the SMSC wrote it. */
  at: string;
  receivedAt: string;
  /** Why nothing matched: no-part, outside-window, already-final. */
  reason: string;
  pdu: string;
}

/** A sent part that asked for a report, as the matcher looks at it. */
export interface DeliveryPartRef {
  jobId: string;
  seq: number;
  mr: number;
  modem: string;
  to: string;
  sentAt: string;
  state: DeliveryState;
  reports: string[];
}

export interface DeliveryPartsQuery {
  modem: string;
  mr: number;
  since: string;
  to?: string;
}

/** Status-report bookkeeping a Store keeps (delivery reports, src/delivery/). */
export interface DeliveryReportStore {
  /**
   * Parts sent with TP-SRR on `modem` with TP-MR `mr`, sent at or after `since` (ISO), in any
   * delivery state. Answered from an index, not a scan: a report arrives for nearly every send.
   * `to`: only parts of jobs whose `to` is exactly this. TP-MR wraps every 256 sends, so without it
   * a busy modem's lookup names one job in 256 of the window (a 10k mass text: ~40 jobs, read from
   * as many segments); with it, nearly always one.
   */
  deliveryParts(q: DeliveryPartsQuery): Promise<DeliveryPartRef[]>;
  /** Keeps a report no part matched; false when the same report (by `hash`) is already kept. */
  addUnmatchedReport(r: UnmatchedReport): Promise<boolean>;
  /** The newest `limit` (default 100) kept, newest first; `total` counts every one ever kept. */
  listUnmatchedReports(limit?: number): Promise<{ total: number; reports: UnmatchedReport[] }>;
}

export interface JobFilter {
  state?: JobState;
  priority?: JobPriority;
  campaignId?: string;
  /** Recipient, exactly as stored: E.164 (`+79001234567`) as the API and CLI normalise it. */
  to?: string;
  account?: string;
  modem?: string;
  /** ISO date or date-time: only jobs whose `timeField` is at or after it. */
  since?: string;
  /** ISO date or date-time: only jobs whose `timeField` is before it. */
  until?: string;
  /** What since/until look at (default `createdAt`). With `sentAt`, jobs never sent do not match. */
  timeField?: 'createdAt' | 'sentAt';
  limit?: number;
}

export interface ClaimOptions {
  /** Who claims (JobLease.owner). */
  owner: string;
  /** How long the claim holds without `renewLease`. */
  leaseMs: number;
  /**
   * The claimer's modem: jobs pinned to it or unpinned. Omitted: every job, pinned or not — the
   * claimer serves all modems (one worker per process, today). A pool passes each worker's modem.
   */
  modem?: string;
  /** Only these priorities (default all): the worker leaves mass texts out while their rate limit waits. */
  priorities?: readonly JobPriority[];
  /**
   * With `modem`: within a priority, jobs pinned to this modem before unpinned ones (no other modem
   * can send them; unpinned work is left to the modems that have none of their own). Default: FIFO over both.
   */
  pinnedFirst?: boolean;
  /** Default: the store's clock. */
  now?: Date;
}

/** One modem's part of the status snapshot. */
export interface ModemStatus {
  state: string;
  manufacturer?: string;
  model?: string;
  revision?: string;
  profile?: string;
  signal?: { rssi: number; dbm?: number };
  operator?: string;
  registration?: string;
  lastFault?: { at: string; step: string; reason: string };
}

/** A modem of the pool in the snapshot: who it is, its limits and what it did today. */
export interface PoolModemStatus extends ModemStatus {
  id: string;
  device: string;
  /** The SIM's number, when configured. */
  number?: string;
  /** The configured profile (`auto` until detected; `profile` is what init chose). */
  configuredProfile: string;
  /** SMS parts sent through this modem since local midnight. */
  sentToday: number;
  dailyCap?: number;
  massPerMinute: number;
  /** Since when the modem has not been ready (unset while ready). */
  downSince?: string;
}

/** The snapshot the server publishes for `sms-server status` (written by the server, read by the CLI). */
export interface ServerStatus {
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** The first modem's device and state (one-modem readers); `modems` lists every modem. */
  device: string;
  modems?: PoolModemStatus[];
  modem: ModemStatus;
  http?: { host: string; port: number };
}

/** The newest job sent to a number on behalf of an account (the last-sender route). */
export interface LastSent {
  jobId: string;
  account: string;
  sentAt: string;
}

export interface Campaign {
  id: string;
  name: string;
  text: string;
  createdAt: string;
  total: number;
  skippedOptOut: number;
  skippedInvalid: number;
  duplicatesRemoved: number;
}

export interface QueuedByModem {
  pinned: Record<string, number>;
  unpinned: number;
}

export interface QueueCounts {
  byPriority: Record<JobPriority, number>;
  byState: Record<JobState, number>;
}

/** One subscriber's self-service state. Stored by phone (E.164); the code only as a keyed hash. */
/** Self-service access (seed 003). */
export interface SelfServiceRecord {
  phone: string;
  /** Set by the activation keyword; unset after `selfservice deactivate`. */
  activatedAt?: string;
  /** `CodeHasher.hash(phone, code)` of the current code; never the code. */
  codeHash?: string;
  codeIssuedAt?: string;
  /** The inbox entry that ordered the current code (a re-run after a crash must not issue another). */
  codeEntry?: string;
  /** Consecutive wrong codes since the last success, unlock or lock expiry. */
  failures: number;
  /** While set and in the future every verification answers "locked", even with the right code. */
  lockedUntil?: string;
  /** Code orders on `ordersDay` (UTC date, YYYY-MM-DD) — the `codesPerDay` limit. */
  ordersDay?: string;
  ordersToday: number;
  /** Day (UTC) the "not activated" / "too many codes" reply last went out: at most one a day each. */
  notActivatedReplyDay?: string;
  tooManyReplyDay?: string;
  updatedAt: string;
}

export interface Store extends AccountStore, ForwardStore, ChatSessionStore, OnceStore, DeliveryReportStore {
  open(): Promise<void>;
  close(): Promise<void>;

  // Inbox ---------------------------------------------------------------------------------
  /** Durably stores the entry (fsync'd before resolving). Returns the existing one when the dedupKey is known. */
  addInbound(entry: Omit<InboxEntry, 'id'>): Promise<{ entry: InboxEntry; duplicate: boolean }>;
  updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry>;
  /**
   * Records a route's claim (`patch`) on the entry AND stores `forwards` (ids assigned) as ONE
   * durable write: after a crash either both are there or neither (the pipeline routes it again).
   */
  routeInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>, forwards: NewForward[]): Promise<{ entry: InboxEntry; forwards: Forward[] }>;
  getInbound(id: string): Promise<InboxEntry | undefined>;
  /** Newest first. */
  listInbound(filter?: InboxFilter): Promise<InboxEntry[]>;

  // Partial multipart sets ----------------------------------------------------------------
  getPartial(key: string): Promise<PartialSet | undefined>;
  putPartial(set: PartialSet): Promise<void>;
  deletePartial(key: string): Promise<void>;
  listPartials(): Promise<PartialSet[]>;

  // Clients -------------------------------------------------------------------------------
  getClient(phone: string): Promise<Client | undefined>;
  upsertClient(client: Client): Promise<void>;
  removeClient(phone: string): Promise<boolean>;
  listClients(): Promise<Client[]>;

  // Self-service access codes (seed 003): one record per number, the code only as a keyed hash ----
  getSelfService(phone: string): Promise<SelfServiceRecord | undefined>;
  putSelfService(record: SelfServiceRecord): Promise<void>;

  // Outbound jobs -------------------------------------------------------------------------
  /** Assigns ids, persists durably (one write for the whole batch); returns the stored jobs in order. */
  enqueue(jobs: Omit<Job, 'id' | 'createdAt' | 'updatedAt'>[]): Promise<Job[]>;
  /**
   * Atomically takes ONE sendable job — highest priority, FIFO within it, state `queued`,
   * `nextAttemptAt <= now`, matching `modem` (see ClaimOptions) — and starts an attempt on it in
   * the same write: `state: 'sending'`, `attempts + 1`, `lease: {owner, until: now + leaseMs}`, and
   * the crash marker `writing` naming its first part without a TP-MR. Two claimers never get the
   * same job. Undefined when nothing is sendable.
   */
  claimNext(o: ClaimOptions): Promise<Job | undefined>;
  /**
   * Extends the lease of a job `owner` holds in `sending` to now + leaseMs (a long send, a modem
   * being recovered). Throws LeaseLostError when the job is not `sending` under `owner`.
   */
  renewLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<Job>;
  /**
   * Jobs left in `sending` that `o.owner` must judge (the worker's crash recovery): those under its
   * own lease (its previous run), under an expired lease, or under none (written before leases),
   * within `o.modem` like claimNext. Each is re-leased to `o.owner` in the same step, so two
   * recovering workers never both take one; a live lease of another owner is never touched.
   */
  claimStranded(o: Omit<ClaimOptions, 'priorities'>): Promise<Job[]>;
  /**
   * The 8-bit concatenation reference of a multipart job: the one it already has, else the next
   * one (0..255, wrapping), stored in `job.concatRef` before this resolves, so the parts sent after
   * a restart carry the reference of the parts sent before.
   */
  concatRef(id: string): Promise<number>;
  /** Earliest nextAttemptAt among queued jobs (to sleep until), if any. */
  nextWakeup(): Promise<Date | undefined>;
  /** Patches a job; a job that leaves `sending` loses its lease. */
  updateJob(id: string, patch: Partial<Omit<Job, 'id'>>): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  /** Newest first. */
  listJobs(filter?: JobFilter): Promise<Job[]>;
  /**
   * The newest job in state `sent` to `to` (E.164 as stored) that carries an account, sent at or
   * after `since` (ISO). Answers from an index, not a scan (the last-sender route asks per SMS).
   */
  lastSentTo(to: string, since: string): Promise<LastSent | undefined>;
  queueCounts(): Promise<QueueCounts>;
  /** Queued jobs by the modem they are pinned to; unpinned ones under `unpinned` (`status`, the pool's fallback). */
  queuedByModem(): Promise<QueuedByModem>;

  // Campaigns -----------------------------------------------------------------------------
  putCampaign(c: Campaign): Promise<void>;
  getCampaign(id: string): Promise<Campaign | undefined>;
  listCampaigns(): Promise<Campaign[]>;
  campaignProgress(id: string): Promise<Record<JobState, number>>;

  // Opt-outs of numbers that are not clients (a client's is its optIn flag; see optout.ts) ----
  /** Sorted E.164 numbers. */
  listOptOuts(): Promise<string[]>;
  hasOptOut(phone: string): Promise<boolean>;
  /** Adds (`optedOut` true) or removes the number; answers whether anything changed. */
  setOptOut(phone: string, optedOut: boolean): Promise<boolean>;

  // Small documents of the server -----------------------------------------------------------
  /** The status snapshot of the running server (`sms-server status`). */
  getStatus(): Promise<ServerStatus | undefined>;
  putStatus(s: ServerStatus): Promise<void>;
  /**
   * The receiver's memory of parts of recently completed multipart sets (part key → epoch ms), so a
   * part re-read after a failed delete does not start a ghost set. Replaced whole by `putSeenParts`.
   */
  getSeenParts(): Promise<Record<string, number>>;
  putSeenParts(seen: Record<string, number>): Promise<void>;
}

/** One server sharing the store with others (PostgreSQL), as `status` lists it. */
export interface HostStatus {
  host: string;
  startedAt: string;
  /** Its last heartbeat (the database's clock). */
  heartbeatAt: string;
  /** Seconds since then, on the database's clock (hosts' own clocks may differ). */
  ageSeconds: number;
  /** The snapshot it published with that heartbeat (its modems). */
  status: ServerStatus;
}

/** What a store shared by several hosts adds (PostgresStore): who the hosts are, and work enqueued elsewhere. */
export interface SharedStore extends Store {
  /** This process's host name among them (its status row). */
  readonly host: string;
  listHosts(): Promise<HostStatus[]>;
  /** Calls `onWork` when any host enqueues jobs; answers the unsubscribe. */
  watchWork(onWork: () => void): Promise<() => Promise<void>>;
}

export function isSharedStore(s: Store): s is SharedStore {
  return typeof (s as Partial<SharedStore>).listHosts === 'function';
}
