/**
 * The receive path, between the modem and the inbox: decode, de-duplicate, reassemble multipart
 * sets, store durably (routing comes after, in pipeline.ts). It answers whether the SIM copy may now be deleted — only ever after the
 * message (or its part) is on disk, so a crash at any moment loses nothing; a re-read after a
 * failed delete is recognised by its dedup key and stored once.
 */
import { createHash } from 'node:crypto';
import { decodePdu, joinParts, PduDecodeError, type DecodedDeliver } from '../sms/index.js';
import { DEFAULT_MODEM_ID, type InboxEntry, type PartialSet, type Store } from '../store/types.js';
import { type Clock, realClock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';

export type IngestResult =
  /** A whole message was stored (new). */
  | { kind: 'stored'; entry: InboxEntry }
  /** Seen before (re-read after a failed delete, or a duplicated part). */
  | { kind: 'duplicate' }
  /** One part of a multipart set was stored; the set is not complete yet. */
  | { kind: 'partial'; key: string; have: number; total: number }
  /** Not an inbound SMS (an unsent SUBMIT someone stored on the SIM): leave it there. */
  | { kind: 'skip'; reason: string }
  /** A status report: handed to the caller, nothing stored in the inbox. */
  | { kind: 'status-report'; mr: number; status: number; delivered: boolean; recipient: string };

/** Where a PDU came from. */
export interface IngestSource {
  /** Modem id (default `default`). */
  modem?: string;
  /** The receiving SIM's own number, when known. */
  to?: string;
}

export interface ReceiverOptions {
  /** Incomplete sets are delivered marked incomplete after this long. */
  multipartTimeoutMs: number;
  logger?: Logger;
  clock?: Clock;
}

type Origin = { modem: string; to?: string };
function originOf(src: IngestSource): Origin {
  return { modem: src.modem ?? DEFAULT_MODEM_ID, ...(src.to ? { to: src.to } : {}) };
}

/**
 * What prefixes every key of a message from this modem (dedup, multipart set, seen part): two
 * SIMs can receive the same PDU (a subscriber texting both numbers at once) and the same sender's
 * concatenation references; they are two messages. The one modem `default` keeps the keys it
 * always had, so a data folder from before the pool keeps its dedup history.
 */
function scope(modem: string): string {
  return modem === DEFAULT_MODEM_ID ? '' : `${modem}|`;
}

function sha(s: string): string {
  return createHash('sha256').update(s.toUpperCase()).digest('hex').slice(0, 20);
}

export class Receiver {
  private readonly log: Logger;
  private readonly clock: Clock;
  /** Per-part keys of recently completed sets, so a re-read part does not start a ghost set. */
  private seenParts: Promise<Record<string, number>> | undefined;
  /** The resume pass under way: the sweeps of several modems share it instead of racing over one set. */
  private resuming: Promise<InboxEntry[]> | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: ReceiverOptions,
  ) {
    this.log = moduleLogger(opts.logger, 'receiver');
    this.clock = opts.clock ?? realClock;
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Decode and durably store one PDU as read from the SIM or delivered by `+CMT`. */
  async ingest(pdu: string, src: IngestSource = {}): Promise<IngestResult> {
    const origin = originOf(src);
    let decoded;
    try {
      decoded = decodePdu(pdu);
    } catch (e) {
      const message = e instanceof PduDecodeError ? e.message : `unexpected decoder failure: ${(e as Error).message}`;
      this.log.warn({ err: message, pdu }, 'undecodable PDU kept raw in the inbox');
      const { entry, duplicate } = await this.store.addInbound({
        from: 'unknown',
        text: '',
        receivedAt: this.nowIso(),
        status: 'error',
        parts: 1,
        raw: [pdu],
        error: message,
        ...origin,
        dedupKey: `${scope(origin.modem)}raw|${sha(pdu)}`,
      });
      return duplicate ? { kind: 'duplicate' } : { kind: 'stored', entry };
    }
    if (decoded.type === 'submit') return { kind: 'skip', reason: 'an SMS-SUBMIT stored on the SIM, not an inbound message' };
    if (decoded.type === 'status-report') {
      return { kind: 'status-report', mr: decoded.mr, status: decoded.status, delivered: decoded.delivered, recipient: decoded.recipient };
    }
    if (!decoded.concat || decoded.concat.total <= 1) return this.storeSingle(decoded, pdu, origin);
    return this.storePart(decoded, pdu, origin);
  }

  private async storeSingle(d: DecodedDeliver, pdu: string, origin: Origin): Promise<IngestResult> {
    const { entry, duplicate } = await this.store.addInbound({
      from: d.sender,
      text: d.text,
      receivedAt: this.nowIso(),
      sentAt: d.timestamp,
      status: 'new',
      parts: 1,
      encoding: d.encoding,
      ...origin,
      dedupKey: `${scope(origin.modem)}${d.sender}|${d.timestamp}|${sha(pdu)}`,
    });
    return duplicate ? { kind: 'duplicate' } : { kind: 'stored', entry };
  }

  /** Loaded once: the intakes of several modems share one record (and one promise while it loads). */
  private loadSeen(): Promise<Record<string, number>> {
    this.seenParts ??= this.store.getSeenParts().catch((e) => {
      this.seenParts = undefined; // a failed read is tried again by the next message
      throw e;
    });
    return this.seenParts;
  }

  private partKey(d: DecodedDeliver, pdu: string, modem: string): string {
    return `${scope(modem)}${d.sender}|${d.timestamp}|${sha(pdu)}`;
  }

  private async storePart(d: DecodedDeliver, pdu: string, origin: Origin): Promise<IngestResult> {
    const c = d.concat!;
    const seen = await this.loadSeen();
    if (seen[this.partKey(d, pdu, origin.modem)]) return { kind: 'duplicate' };
    // (modem, sender, reference, total, reference width): gammu's key by reference alone merges
    // unrelated messages whose 8-bit references collide.
    const key = `${scope(origin.modem)}${d.sender}|${c.refBits}|${c.ref}|${c.total}`;
    const set: PartialSet = (await this.store.getPartial(key)) ?? {
      key,
      sender: d.sender,
      ref: c.ref,
      refBits: c.refBits,
      total: c.total,
      parts: [],
      firstAt: this.nowIso(),
      ...origin,
    };
    if (c.seq < 1 || c.seq > c.total) {
      this.log.warn({ key, seq: c.seq }, 'part number outside 1..total; kept raw');
    }
    if (set.parts.some((p) => p.seq === c.seq)) return { kind: 'duplicate' };
    set.parts.push({ seq: c.seq, pdu, receivedAt: this.nowIso() });
    set.parts.sort((a, b) => a.seq - b.seq);
    if (set.parts.length < set.total) {
      await this.store.putPartial(set);
      return { kind: 'partial', key, have: set.parts.length, total: set.total };
    }
    return this.complete(set, false, origin.to);
  }

  /**
   * Join a set into one inbox entry. Raw payloads are joined before decoding (in joinParts) so a
   * UCS2 surrogate pair split across two parts survives. The inbox write comes first, then the
   * partial set is dropped: a crash in between is healed by `resume()` (the dedup key matches).
   */
  private async complete(set: PartialSet, timedOut: boolean, to?: string): Promise<IngestResult> {
    // Only SMS-DELIVER parts are ever put in a set (storePart), so each decodes to one.
    const decoded = set.parts.map((p) => ({ pdu: p.pdu, d: decodePdu(p.pdu) as DecodedDeliver }));
    const parts = decoded.map((x) => x.d);
    const joined = joinParts(parts);
    const missing = timedOut ? joined.missing : [];
    const first = parts[0]!;
    const { entry, duplicate } = await this.store.addInbound({
      from: set.sender,
      text: joined.text,
      receivedAt: this.nowIso(),
      sentAt: first.timestamp,
      status: 'new',
      parts: set.total,
      encoding: joined.encoding,
      modem: set.modem ?? DEFAULT_MODEM_ID,
      // The SIM number of the part that completed the set, else the one the set recorded (a set timed out in resume()).
      ...((to ?? set.to) ? { to: to ?? set.to } : {}),
      ...(missing.length ? { incomplete: { missing, total: set.total } } : {}),
      raw: set.parts.map((p) => p.pdu),
      dedupKey: `${set.key}|${first.timestamp}|${sha(set.parts.map((p) => p.pdu).join(''))}`,
    });
    const seen = await this.loadSeen();
    const now = this.clock.now();
    for (const { pdu, d } of decoded) seen[this.partKey(d, pdu, set.modem ?? DEFAULT_MODEM_ID)] = now;
    this.pruneSeen(seen, now);
    await this.store.putSeenParts(seen);
    await this.store.deletePartial(set.key);
    if (missing.length) this.log.warn({ key: set.key, missing }, 'multipart message delivered incomplete after timeout');
    return duplicate ? { kind: 'duplicate' } : { kind: 'stored', entry };
  }

  private pruneSeen(seen: Record<string, number>, now: number): void {
    const horizon = now - 2 * this.opts.multipartTimeoutMs;
    for (const [k, t] of Object.entries(seen)) if (t < horizon) delete seen[k];
  }

  /**
   * At start and periodically: finish sets that are complete (crash between inbox write and
   * partial delete) and deliver sets older than the timeout as incomplete.
   */
  resume(): Promise<InboxEntry[]> {
    this.resuming ??= this.resumeOnce().finally(() => (this.resuming = undefined));
    return this.resuming;
  }

  private async resumeOnce(): Promise<InboxEntry[]> {
    const delivered: InboxEntry[] = [];
    const now = this.clock.now();
    const seen = await this.loadSeen();
    for (const set of await this.store.listPartials()) {
      // A crash after complete() wrote the entry and the part keys, before it dropped the set:
      // the set lacks its last part (that one never went into the partial file), so without this
      // it would come back after the timeout as a second, "incomplete" copy of a delivered message.
      if (set.parts.length > 0 && set.parts.every((p) => seen[this.partKey(decodePdu(p.pdu) as DecodedDeliver, p.pdu, set.modem ?? DEFAULT_MODEM_ID)])) {
        await this.store.deletePartial(set.key);
        continue;
      }
      const expired = now - Date.parse(set.firstAt) >= this.opts.multipartTimeoutMs;
      if (set.parts.length >= set.total || expired) {
        const r = await this.complete(set, set.parts.length < set.total);
        if (r.kind === 'stored') delivered.push(r.entry);
      }
    }
    return delivered;
  }
}
