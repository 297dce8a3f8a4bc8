/**
 * An append-mostly log of records split into segment files of at most `segmentSize` records:
 * `<root>/YYYY-MM/seg-000123.json` (month = when the segment was started, UTC) and `<root>/head.json`
 * `{v, segmentSize}`. Record `seq` lives in segment `floor(seq / segmentSize)` at index
 * `seq % segmentSize`, so a lookup by id reads one file. Each segment is one lowdb document written
 * through DurableJsonFile.
 *
 * Writes go to a journal first (`<root>/journal-<gen>.jsonl`, journal.ts): a changed or appended
 * record is one appended line `{s: seq, r: record}`, group-committed with every other change of
 * the same moment (one write + one fdatasync). Segment files are checkpoints: once the journal
 * passes `compactBytes` (or `maxDirty` segments are dirty), the dirty segments are written — the
 * snapshot is taken at once, the files are written in the background — and the journal moves to
 * a new generation; older generations are deleted once those files are durable. `close()` does a
 * last checkpoint, so a folder closed cleanly has no journal. A large append (a mass text) writes
 * its segments directly instead: one write per segment, as before the journal.
 *
 * Open replays every generation, oldest first, onto the segments: each line carries the whole
 * record, so replaying a line onto a segment file that already holds it changes nothing, and the
 * last line of a record is its newest state. The writer then checkpoints at once; a read-only
 * opener keeps the replayed segments in memory. Dirty segments stay pinned in memory (never
 * evicted by the LRU) until their checkpoint is on disk: a re-read would miss journaled changes.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from 'pino';
import type { Clock } from '../../util/clock.js';
import { isNotFound } from '../../util/fs-errors.js';
import { CorruptFileError } from '../errors.js';
import { DurableJsonFile, readJsonFile, writeFileDurable } from './durable-json-file.js';
import { Journal, listGenerations, readJournal, type JournalReplay } from './journal.js';

export interface SegmentDoc<R> {
  v: 1;
  n: number;
  records: R[];
}

interface HeadDoc {
  v: 1;
  segmentSize: number;
}

/** One journal line: the whole record at `s`; `m` (month folder) when it starts a segment. */
interface Entry<R> {
  s: number;
  r: R;
  m?: string;
}

export interface SegmentLogOptions {
  /** Records per segment for a new log; an existing log keeps the size in its head.json. */
  segmentSize: number;
  /** Segments kept in memory besides the tail and the dirty ones. */
  cacheSegments: number;
  readOnly: boolean;
  clock: Clock;
  /** Checkpoint when the journal's current generation passes this many bytes (default 1 MiB). */
  compactBytes?: number;
  /** … or when this many segments are dirty (default 32). */
  maxDirty?: number;
  /** False: a change rewrites its segment file before `update`/`append` resolve (no journal lines). */
  journal?: boolean;
  logger?: Logger;
}

type Seg<R> = Low<SegmentDoc<R>>;

const MONTH_DIR = /^\d{4}-\d{2}$/;
const SEG_FILE = /^seg-(\d{6,})\.json$/;

export class SegmentLog<R> {
  segmentSize: number;
  /** Segment number → file path, for every segment on disk or started in the journal. */
  private readonly files = new Map<number, string>();
  /** Ascending segment numbers. */
  private numbers: number[] = [];
  private tail: Seg<R> | undefined;
  private readonly cache = new Map<number, Promise<Seg<R>>>();
  /** Segments changed since their last checkpoint, or whose checkpoint is being written. */
  private readonly pinned = new Map<number, Seg<R>>();
  private readonly dirty = new Set<number>();
  private journal: Journal<Entry<R>> | undefined;
  private checkpointing: Promise<void> | undefined;
  /** Segments the running checkpoint writes (they stay pinned until it is done). */
  private readonly inCheckpoint = new Set<number>();
  private readonly compactBytes: number;
  private readonly maxDirty: number;

  constructor(
    readonly root: string,
    private readonly opts: SegmentLogOptions,
  ) {
    this.segmentSize = opts.segmentSize;
    this.compactBytes = opts.compactBytes ?? 1 << 20;
    this.maxDirty = opts.maxDirty ?? 32;
  }

  async open(): Promise<void> {
    const headFile = path.join(this.root, 'head.json');
    const head = await readJsonFile<HeadDoc>(headFile);
    if (head) {
      if (head.v !== 1 || !Number.isInteger(head.segmentSize) || head.segmentSize < 1) {
        throw new CorruptFileError(headFile, `unsupported head ${JSON.stringify(head)}`);
      }
      this.segmentSize = head.segmentSize;
    } else if (!this.opts.readOnly) {
      await writeFileDurable(headFile, JSON.stringify({ v: 1, segmentSize: this.segmentSize } satisfies HeadDoc));
    }
    if (!this.opts.readOnly) {
      await this.load();
      return this.fold(await readJournal<Entry<R>>(this.root));
    }
    // A reader may race the writer's checkpoint: if a generation it listed first is gone by the
    // time it read the journal, a segment it read may predate that checkpoint — read again.
    for (let attempt = 0; ; attempt++) {
      const before = await listGenerations(this.root);
      await this.load();
      const rep = await readJournal<Entry<R>>(this.root).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      if (rep && before.every((g) => rep.gens.includes(g))) return this.fold(rep);
      if (attempt >= 5) throw new CorruptFileError(this.root, 'journal kept changing under a reader (a checkpoint per open attempt)');
    }
  }

  /** (Re)reads the segment list and the tail; forgets everything held in memory. */
  private async load(): Promise<void> {
    this.files.clear();
    this.numbers = [];
    this.cache.clear();
    this.pinned.clear();
    this.dirty.clear();
    this.tail = undefined;
    await this.discover();
    const last = this.numbers.at(-1);
    if (last !== undefined) this.tail = await this.readSeg(last);
  }

  /** Last checkpoint, then closes the journal (a clean folder has no journal files). */
  async close(): Promise<void> {
    if (!this.journal) return;
    await this.checkpointing;
    if (this.dirty.size > 0) this.checkpoint();
    await this.checkpointing;
    await this.journal.close();
  }

  /** The journal position after everything changed so far (pass to whenDurable). */
  mark(): number {
    return this.journal?.position ?? 0;
  }

  whenDurable(mark: number): Promise<void> {
    return this.journal ? this.journal.whenDurable(mark) : Promise.resolve();
  }

  /** Journal write rounds so far (benchmarks and tests: group commit). */
  get journalFlushes(): number {
    return this.journal?.flushes ?? 0;
  }

  /** The seq the next appended record gets. */
  get nextSeq(): number {
    if (!this.tail) return 0;
    return this.tail.data.n * this.segmentSize + this.tail.data.records.length;
  }

  /** Ascending numbers of the segments on disk. */
  segmentNumbers(): readonly number[] {
    return this.numbers;
  }

  lastSegment(): number | undefined {
    return this.tail?.data.n;
  }

  /** True when segment n will receive no more appends. */
  isSealed(n: number): boolean {
    if (!this.tail || n < this.tail.data.n) return true;
    return n === this.tail.data.n && this.tail.data.records.length >= this.segmentSize;
  }

  segmentOf(seq: number): number {
    return Math.floor(seq / this.segmentSize);
  }

  /** The records of segment n (the cached array: callers copy before handing out). Empty if absent. */
  async records(n: number): Promise<R[]> {
    return (await this.seg(n))?.data.records ?? [];
  }

  async get(seq: number): Promise<R | undefined> {
    const recs = await this.records(this.segmentOf(seq));
    return recs[seq % this.segmentSize];
  }

  /** Applies `fn` to the stored record in place and journals it (durable at `whenDurable(mark())`). */
  async update(seq: number, fn: (r: R) => void): Promise<R | undefined> {
    const n = this.segmentOf(seq);
    const seg = await this.seg(n);
    const r = seg?.data.records[seq % this.segmentSize];
    if (!seg || r === undefined) return undefined;
    fn(r);
    if (this.opts.journal === false) await this.writeWhole(n, seg);
    else this.log(n, seg, { s: seq, r });
    return r;
  }

  /**
   * Appends `count` records made by `make(seq)`. Fewer than a segment's worth go to the journal
   * (one line each, one group-committed write); more are written segment by segment (one fsync
   * per segment), durable when this resolves. Full segments leave memory through the LRU, so
   * memory stays bounded (pass `collect = false` so the returned array does not keep them alive).
   */
  async append(count: number, make: (seq: number) => R, collect = true): Promise<R[]> {
    const out: R[] = [];
    const journaled = this.journal !== undefined && this.opts.journal !== false && count < this.segmentSize;
    let i = 0;
    while (i < count) {
      let tail = this.tail;
      let month: string | undefined;
      if (!tail || tail.data.records.length >= this.segmentSize) {
        month = this.month();
        tail = this.startSegment(month);
      }
      const room = this.segmentSize - tail.data.records.length;
      const take = Math.min(room, count - i);
      const base = this.nextSeq;
      for (let k = 0; k < take; k++) {
        const r = make(base + k);
        tail.data.records.push(r);
        if (collect) out.push(r);
        if (journaled) this.log(tail.data.n, tail, { s: base + k, r, ...(k === 0 && month ? { m: month } : {}) });
      }
      i += take;
      if (!journaled) await this.writeWhole(tail.data.n, tail);
    }
    return out;
  }

  /** Segment numbers newest first. */
  newestFirst(): number[] {
    return [...this.numbers].reverse();
  }

  /** Writes a segment whole, durably: a checkpoint of it (journal lines for it replay to the same state). */
  private async writeWhole(n: number, seg: Seg<R>): Promise<void> {
    await seg.write();
    if (this.dirty.delete(n) && !this.inCheckpoint.has(n)) this.pinned.delete(n);
  }

  private log(n: number, seg: Seg<R>, entry: Entry<R>): void {
    this.dirty.add(n);
    this.pinned.set(n, seg);
    if (!this.journal) return; // read-only replay: memory only
    this.journal.append(entry);
    if (this.journal.size >= this.compactBytes || this.dirty.size >= this.maxDirty) this.checkpoint();
  }

  /**
   * Snapshots every dirty segment now (DurableJsonFile serialises at call time) and moves the
   * journal to a new generation; the files are written in the background, then the older
   * generations are deleted. One at a time; a failed one leaves its generations for the next.
   */
  private checkpoint(): void {
    if (this.checkpointing || !this.journal) return;
    const journal = this.journal;
    const segs = [...this.dirty].map((n) => ({ n, seg: this.pinned.get(n)! }));
    this.dirty.clear();
    for (const { n } of segs) this.inCheckpoint.add(n);
    const writes = segs.map(({ seg }) => seg.write());
    const closedAt = journal.rotate();
    const keepFrom = journal.generation;
    this.checkpointing = (async () => {
      try {
        await Promise.all(writes);
        await journal.whenDurable(closedAt);
        await journal.removeBefore(keepFrom);
      } catch (e) {
        for (const { n } of segs) this.dirty.add(n); // written again by the next checkpoint
        this.opts.logger?.error({ err: (e as Error).message, log: this.root }, 'checkpoint failed: the journal keeps the changes');
      } finally {
        for (const { n } of segs) {
          this.inCheckpoint.delete(n);
          if (this.dirty.has(n)) continue;
          const seg = this.pinned.get(n)!;
          this.pinned.delete(n);
          if (this.tail !== seg) this.remember(n, Promise.resolve(seg));
        }
        this.checkpointing = undefined;
      }
    })();
  }

  /** Replays the journal onto the segments; the writer then checkpoints and starts a new generation. */
  private async fold(rep: JournalReplay<Entry<R>>): Promise<void> {
    for (const e of rep.entries) {
      const n = this.segmentOf(e.s);
      const idx = e.s % this.segmentSize;
      let seg = await this.seg(n);
      if (!seg && n === (this.tail ? this.tail.data.n + 1 : 0)) seg = this.startSegment(e.m ?? this.month());
      const recs = seg?.data.records;
      if (!seg || !recs || idx > recs.length) {
        throw new CorruptFileError(path.join(this.root, 'journal'), `record ${e.s} has no place (segment ${n} holds ${recs?.length ?? 'nothing'})`);
      }
      recs[idx] = e.r;
      this.dirty.add(n);
      this.pinned.set(n, seg);
    }
    if (rep.dropped > 0) this.opts.logger?.warn({ log: this.root, dropped: rep.dropped }, 'journal: dropped the torn tail of an interrupted write');
    if (this.opts.readOnly) return;
    const next = (rep.gens.at(-1) ?? 0) + 1;
    this.journal = new Journal<Entry<R>>(this.root, next);
    // Fold what was replayed into the segment files now; the old generations go once they are durable.
    if (this.dirty.size > 0) this.checkpoint();
    else if ((await listGenerations(this.root)).length > 0) await this.journal.removeBefore(next);
    await this.checkpointing;
  }

  private month(): string {
    return new Date(this.opts.clock.now()).toISOString().slice(0, 7);
  }

  private startSegment(month: string): Seg<R> {
    const n = this.tail ? this.tail.data.n + 1 : 0;
    const file = path.join(this.root, month, `seg-${String(n).padStart(6, '0')}.json`);
    const seg = new Low<SegmentDoc<R>>(new DurableJsonFile<SegmentDoc<R>>(file), { v: 1, n, records: [] });
    if (this.tail) this.remember(this.tail.data.n, Promise.resolve(this.tail));
    this.tail = seg;
    this.files.set(n, file);
    this.numbers.push(n);
    return seg;
  }

  private async seg(n: number): Promise<Seg<R> | undefined> {
    if (this.tail && this.tail.data.n === n) return this.tail;
    const pinned = this.pinned.get(n);
    if (pinned) return pinned;
    const hit = this.cache.get(n);
    if (hit) {
      this.cache.delete(n);
      this.cache.set(n, hit);
      return hit;
    }
    if (!this.files.has(n)) return undefined;
    const p = this.readSeg(n);
    this.remember(n, p);
    p.catch(() => this.cache.delete(n));
    return p;
  }

  private remember(n: number, p: Promise<Seg<R>>): void {
    this.cache.set(n, p);
    while (this.cache.size > this.opts.cacheSegments) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
  }

  private async readSeg(n: number): Promise<Seg<R>> {
    const file = this.files.get(n)!;
    const seg = new Low<SegmentDoc<R>>(new DurableJsonFile<SegmentDoc<R>>(file), { v: 1, n, records: [] });
    await seg.read();
    const d = seg.data;
    if (d.v !== 1 || d.n !== n || !Array.isArray(d.records) || d.records.length > this.segmentSize) {
      throw new CorruptFileError(file, `not segment ${n} of this log (v=${d.v}, n=${d.n})`);
    }
    return seg;
  }

  private async discover(): Promise<void> {
    let months: string[];
    try {
      months = (await readdir(this.root)).filter((m) => MONTH_DIR.test(m));
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const m of months) {
      for (const f of await readdir(path.join(this.root, m))) {
        const match = SEG_FILE.exec(f);
        if (!match) continue;
        const n = Number(match[1]);
        const file = path.join(this.root, m, f);
        if (this.files.has(n)) throw new CorruptFileError(file, `segment ${n} also at ${this.files.get(n)}`);
        this.files.set(n, file);
      }
    }
    this.numbers = [...this.files.keys()].sort((a, b) => a - b);
  }
}
