/**
 * An append-only journal of JSON lines with group commit: `append()` queues a line and returns its
 * position at once; one background flush writes every line queued meanwhile with ONE write and ONE
 * fdatasync, then `whenDurable(position)` resolves for all of them. The segment logs use it so a
 * record change costs an append of that record (a few hundred bytes) instead of an fsync'd rewrite
 * of its whole segment file (scripts/bench/store.mjs, throughput.mjs).
 *
 * Files: `<dir>/journal-<gen>.jsonl`, 0600. `rotate()` starts the next generation (the owner then
 * writes its segment files and, once they are durable, deletes the older generations); a reader
 * replays every generation present, oldest first. A line is `{"i": k, ...}` with `k` counting from 0
 * in its generation: replay stops at the first line that is not whole JSON with the expected `i` —
 * the tail of a write cut short by a crash, which was never acknowledged (acknowledgement waits for
 * the fdatasync that covers the line).
 */
import { constants } from 'node:fs';
import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound } from '../../util/fs-errors.js';
import { StoreError } from '../errors.js';
import { FILE_MODE, fsyncDir } from './durable-json-file.js';

const FILE = /^journal-(\d{6,})\.jsonl$/;

/**
 * Journal files are opened O_DSYNC where the platform has it (Linux, macOS): a write returns once
 * its lines are on stable storage, as write + fdatasync would, but in one thread-pool round trip
 * instead of two — a flush runs for every few state changes (scripts/bench/http-cost.mjs).
 */
const DSYNC = constants.O_DSYNC;
const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (DSYNC ?? 0);

export function journalFile(dir: string, gen: number): string {
  return path.join(dir, `journal-${String(gen).padStart(6, '0')}.jsonl`);
}

/** A journal write or sync failed: what was not yet durable may be lost, so the store stops writing. */
export class JournalError extends StoreError {
  constructor(file: string, cause: Error) {
    super('STORE_JOURNAL', `journal ${file} could not be written: ${cause.message}`);
  }
}

export interface JournalReplay<E> {
  /** Generations found, ascending. */
  gens: number[];
  /** Their entries in order (the `i` field removed). */
  entries: E[];
  /** Lines dropped at the end of a generation (a torn tail). */
  dropped: number;
}

/** Generations present under `dir`, ascending (none when the folder does not exist). */
export async function listGenerations(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return names
    .map((n) => FILE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Reads every generation under `dir`, oldest first. */
export async function readJournal<E extends object>(dir: string): Promise<JournalReplay<E>> {
  const gens = await listGenerations(dir);
  const entries: E[] = [];
  let dropped = 0;
  for (const gen of gens) {
    const text = await readFile(journalFile(dir, gen), 'utf8');
    const lines = text.split('\n');
    // The last element is '' after a final newline, or an unfinished line.
    let k = 0;
    for (; k < lines.length - 1; k++) {
      let e: { i?: unknown } | undefined;
      try {
        e = JSON.parse(lines[k]!) as { i?: unknown };
      } catch {
        break;
      }
      if (typeof e !== 'object' || e === null || e.i !== k) break;
      delete e.i;
      entries.push(e as E);
    }
    dropped += lines.slice(k).filter((l) => l !== '').length;
  }
  return { gens, entries, dropped };
}

interface Pending {
  gen: number;
  line: string;
}

export class Journal<E extends object> {
  private gen: number;
  private lineNo = 0;
  private bytes = 0;
  private queue: Pending[] = [];
  private appended = 0;
  private durable = 0;
  private waiters: { pos: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private failed: JournalError | undefined;
  private fh: FileHandle | undefined;
  private fhGen = -1;
  /** Write+fdatasync rounds so far (each covers every line queued before it started). */
  flushes = 0;

  /** `gen`: the generation new lines go to (one past the newest on disk). */
  constructor(
    readonly dir: string,
    gen: number,
  ) {
    this.gen = gen;
  }

  /** Position after the last appended line. */
  get position(): number {
    return this.appended;
  }

  /** Bytes appended to the current generation. */
  get size(): number {
    return this.bytes;
  }

  get generation(): number {
    return this.gen;
  }

  /** Queues one entry; it is durable once `whenDurable(returned position)` resolves. */
  append(entry: E): number {
    if (this.failed) throw this.failed;
    const line = JSON.stringify({ i: this.lineNo++, ...entry }) + '\n';
    this.bytes += line.length;
    this.queue.push({ gen: this.gen, line });
    this.appended++;
    if (!this.flushing) {
      this.flushing = true;
      // The next turn of the event loop: every line appended in this one shares the write.
      setImmediate(() => void this.flush());
    }
    return this.appended;
  }

  whenDurable(pos: number): Promise<void> {
    if (pos <= this.durable) return Promise.resolve();
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiters.push({ pos, resolve, reject }));
  }

  /** Later lines go to a new generation; returns the position that closes the old one. */
  rotate(): number {
    this.gen++;
    this.lineNo = 0;
    this.bytes = 0;
    return this.appended;
  }

  /** Waits for every queued line, then closes the file. */
  async close(): Promise<void> {
    await this.whenDurable(this.appended).catch(() => {});
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    this.fhGen = -1;
  }

  /**
   * Deletes generations older than `keepFrom` (their content is in durable segment files). The
   * file handle of an old generation stays open until the next flush switches files: unlinking an
   * open file is safe, and a flush never races a close here.
   */
  async removeBefore(keepFrom: number): Promise<void> {
    const gens = await listGenerations(this.dir);
    let removed = false;
    for (const g of gens) {
      if (g >= keepFrom) continue;
      await unlink(journalFile(this.dir, g)).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
      removed = true;
    }
    if (removed) await fsyncDir(this.dir);
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        const upto = this.appended;
        this.queue = [];
        let i = 0;
        while (i < batch.length) {
          const gen = batch[i]!.gen;
          let text = '';
          for (; i < batch.length && batch[i]!.gen === gen; i++) text += batch[i]!.line;
          const fh = await this.handle(gen);
          const buf = Buffer.from(text);
          for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off)).bytesWritten;
          if (DSYNC === undefined) await fh.datasync();
        }
        this.flushes++;
        this.durable = upto;
        const ready = this.waiters.filter((w) => w.pos <= upto);
        this.waiters = this.waiters.filter((w) => w.pos > upto);
        for (const w of ready) w.resolve();
      }
    } catch (e) {
      this.failed = new JournalError(journalFile(this.dir, this.fhGen), e as Error);
      for (const w of this.waiters) w.reject(this.failed);
      this.waiters = [];
      this.queue = [];
    }
    this.flushing = false;
  }

  private async handle(gen: number): Promise<FileHandle> {
    if (this.fh && this.fhGen === gen) return this.fh;
    const old = this.fh;
    this.fh = undefined;
    await old?.close();
    const file = journalFile(this.dir, gen);
    this.fh = await open(file, OPEN_FLAGS, FILE_MODE);
    this.fhGen = gen;
    // The new file's name must survive a power cut as well as its lines.
    await fsyncDir(this.dir);
    return this.fh;
  }
}
