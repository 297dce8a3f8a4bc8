/**
 * An append-mostly log of records split into segment files of at most `segmentSize` records:
 * `<root>/YYYY-MM/seg-000123.json` (month = when the segment was started, UTC) and `<root>/head.json`
 * `{v, segmentSize}`. Record `seq` lives in segment `floor(seq / segmentSize)` at index
 * `seq % segmentSize`, so a lookup by id reads one file, and a write rewrites one segment: its cost
 * does not grow with history. Segments are read lazily through a small LRU; the tail is pinned.
 * Each segment is one lowdb document written through DurableJsonFile.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Clock } from '../../util/clock.js';
import { DurableJsonFile, readJsonFile, writeFileDurable } from './durable-json-file.js';
import { CorruptFileError } from '../errors.js';
import { isNotFound } from '../../util/fs-errors.js';

export interface SegmentDoc<R> {
  v: 1;
  n: number;
  records: R[];
}

interface HeadDoc {
  v: 1;
  segmentSize: number;
}

export interface SegmentLogOptions {
  /** Records per segment for a new log; an existing log keeps the size in its head.json. */
  segmentSize: number;
  /** Segments kept in memory besides the tail. */
  cacheSegments: number;
  readOnly: boolean;
  clock: Clock;
}

type Seg<R> = Low<SegmentDoc<R>>;

const MONTH_DIR = /^\d{4}-\d{2}$/;
const SEG_FILE = /^seg-(\d{6,})\.json$/;

export class SegmentLog<R> {
  segmentSize: number;
  /** Segment number → file path, for every segment on disk. */
  private readonly files = new Map<number, string>();
  /** Ascending segment numbers. */
  private numbers: number[] = [];
  private tail: Seg<R> | undefined;
  private readonly cache = new Map<number, Promise<Seg<R>>>();

  constructor(
    readonly root: string,
    private readonly opts: SegmentLogOptions,
  ) {
    this.segmentSize = opts.segmentSize;
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
    await this.discover();
    const last = this.numbers.at(-1);
    if (last !== undefined) this.tail = await this.readSeg(last);
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

  /** Applies `fn` to the stored record in place and writes its segment durably. */
  async update(seq: number, fn: (r: R) => void): Promise<R | undefined> {
    const seg = await this.seg(this.segmentOf(seq));
    const r = seg?.data.records[seq % this.segmentSize];
    if (!seg || r === undefined) return undefined;
    fn(r);
    await seg.write();
    return r;
  }

  /**
   * Appends `count` records made by `make(seq)`, writing each touched segment once (one fsync per
   * segment, not per record). Full segments leave memory through the LRU, so memory stays bounded
   * (pass `collect = false` so the returned array does not keep them alive).
   */
  async append(count: number, make: (seq: number) => R, collect = true): Promise<R[]> {
    const out: R[] = [];
    let i = 0;
    while (i < count) {
      let tail = this.tail;
      if (!tail || tail.data.records.length >= this.segmentSize) tail = this.startSegment();
      const room = this.segmentSize - tail.data.records.length;
      const take = Math.min(room, count - i);
      const base = this.nextSeq;
      for (let k = 0; k < take; k++) {
        const r = make(base + k);
        tail.data.records.push(r);
        if (collect) out.push(r);
      }
      i += take;
      await tail.write();
    }
    return out;
  }

  /** Segment numbers newest first. */
  newestFirst(): number[] {
    return [...this.numbers].reverse();
  }

  private startSegment(): Seg<R> {
    const n = this.tail ? this.tail.data.n + 1 : 0;
    const month = new Date(this.opts.clock.now()).toISOString().slice(0, 7);
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
