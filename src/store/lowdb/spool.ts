/**
 * CLI → server hand-off without a second writer: a spool folder under the data folder.
 *
 *   spool/tmp/<id>.json    a CLI writes its request here, fsyncs it …
 *   spool/in/<id>.json     … and renames it here (atomic: the server never sees half a request)
 *   spool/work/<id>.json   the server claims a request by renaming it here before applying it, so a
 *                          CLI that times out can withdraw it (unlink in/) only if it was not taken
 *   spool/out/<id>.json    the response, written atomically; the CLI reads and removes it
 *   spool/applied.json     the last `keepApplied` request ids with their responses
 *   spool/rejected/        anything under a request name that is not a regular file (a named pipe,
 *                          a folder, a symlink) is moved here with one log line, never read
 *
 * Requests are applied one at a time in name order (ids start with a time stamp). Crash safety: a
 * request found in work/ or in/ at start is applied then; one whose id is in applied.json is not
 * applied again — its recorded response is re-sent. The window left is a crash after the handler's
 * effect but before applied.json is written: the handler receives the request id so it can be
 * idempotent by it.
 */
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from 'pino';
import { moduleLogger } from '../../util/log.js';
import { readRegularFile } from '../../util/regular-file.js';
import { DIR_MODE, DurableJsonFile, FILE_MODE, fsyncDir, writeFileDurable } from './durable-json-file.js';
import { SpoolRemoteError, SpoolTimeoutError, StoreError } from '../errors.js';
import { isNotFound } from '../../util/fs-errors.js';

export interface SpoolRequest {
  id: string;
  op: string;
  args: unknown;
  createdAt: string;
  pid: number;
}

export interface SpoolResponse {
  id: string;
  ok: boolean;
  result?: unknown;
  error?: { message: string; code?: string };
  appliedAt: string;
}

/** Applies one request; `id` is stable across a server restart, for idempotency. */
export type SpoolHandler = (op: string, args: unknown, id: string) => Promise<unknown>;

const ID_RE = /^[0-9a-z]{9}-[0-9a-z]+-[0-9a-f]{8}$/;

/** A request id that sorts by creation time: `<ms base36, 9 chars>-<pid base36>-<random hex>`. */
export function newRequestId(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** The spool directories under a data folder. */
export function spoolPaths(dataDir: string): { root: string; tmp: string; in: string; work: string; out: string; applied: string; rejected: string } {
  const root = path.join(dataDir, 'spool');
  return {
    root,
    tmp: path.join(root, 'tmp'),
    in: path.join(root, 'in'),
    work: path.join(root, 'work'),
    out: path.join(root, 'out'),
    applied: path.join(root, 'applied.json'),
    rejected: path.join(root, 'rejected'),
  };
}

async function ensureDirs(dataDir: string): Promise<ReturnType<typeof spoolPaths>> {
  const p = spoolPaths(dataDir);
  for (const d of [p.tmp, p.in, p.work, p.out]) await mkdir(d, { recursive: true, mode: DIR_MODE });
  return p;
}

export interface SubmitOptions {
  /** Give up (and withdraw the request if the server has not taken it) after this long. Default 30 s. */
  timeoutMs?: number;
}

/** The CLI side: submits a request and waits for the server's response. */
export class SpoolClient {
  constructor(
    readonly dataDir: string,
    private readonly opts: { pollMs?: number } = {},
  ) {}

  /** Resolves with the handler's result; rejects with SpoolRemoteError (handler failed) or SpoolTimeoutError. */
  async submit<R = unknown>(op: string, args: unknown, opts: SubmitOptions = {}): Promise<R> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const p = await ensureDirs(this.dataDir);
    const id = newRequestId();
    const req: SpoolRequest = { id, op, args, createdAt: new Date().toISOString(), pid: process.pid };
    const tmp = path.join(p.tmp, id + '.json');
    const fh = await open(tmp, 'wx', FILE_MODE);
    try {
      await fh.writeFile(JSON.stringify(req));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(p.in, id + '.json'));
    await fsyncDir(p.in);
    const res = await this.waitFor(id, p.out, p.in, timeoutMs);
    if (!res.ok) throw new SpoolRemoteError(id, res.error?.code, res.error?.message ?? `spool request ${op} failed`);
    return res.result as R;
  }

  private waitFor(id: string, outDir: string, inDir: string, timeoutMs: number): Promise<SpoolResponse> {
    const file = path.join(outDir, id + '.json');
    return new Promise<SpoolResponse>((resolve, reject) => {
      let done = false;
      let checking = false;
      let watcher: FSWatcher | undefined;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        watcher?.close();
        fn();
      };
      const check = async (): Promise<void> => {
        if (done || checking) return;
        checking = true;
        try {
          const text = await readFile(file, 'utf8');
          const res = JSON.parse(text) as SpoolResponse;
          await unlink(file).catch(() => {});
          finish(() => resolve(res));
        } catch (e) {
          if (!isNotFound(e)) finish(() => reject(e));
        } finally {
          checking = false;
        }
      };
      try {
        watcher = watch(outDir, (_ev, name) => {
          if (name === null || name === id + '.json') void check();
        });
        watcher.on('error', () => {}); // the poll below still runs
      } catch {
        watcher = undefined;
      }
      const poll = setInterval(() => void check(), this.opts.pollMs ?? 100);
      const timer = setTimeout(async () => {
        if (done) return;
        let withdrawn = false;
        try {
          await unlink(path.join(inDir, id + '.json'));
          withdrawn = true;
        } catch {
          /* taken by the server */
        }
        await check();
        finish(() => reject(new SpoolTimeoutError(id, withdrawn, timeoutMs)));
      }, timeoutMs);
      void check();
    });
  }
}

export interface SpoolServerOptions {
  /** Safety-net scan period besides fs.watch (default 500 ms). */
  scanMs?: number;
  /** How many applied request ids to remember (default 1000). */
  keepApplied?: number;
  /** Responses nobody collected are removed after this long (default 1 h). */
  orphanMs?: number;
  logger?: Logger;
  /** Test seam: runs after a request is recorded as applied and before its response is written. */
  afterRecord?: (id: string) => void | Promise<void>;
}

interface AppliedDoc {
  v: 1;
  entries: SpoolResponse[];
}

/** The server side (the data folder's single writer): applies spooled requests through a handler. */
export class SpoolServer {
  private handler: SpoolHandler | undefined;
  private watcher: FSWatcher | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private applied!: Low<AppliedDoc>;
  private readonly appliedById = new Map<string, SpoolResponse>();
  private lastOrphanSweep = 0;
  private readonly log: Logger;

  constructor(
    readonly dataDir: string,
    private readonly opts: SpoolServerOptions = {},
  ) {
    this.log = moduleLogger(opts.logger, 'spool');
  }

  /** Starts watching; applies whatever a previous run left in work/ and in/ first. */
  async start(handler: SpoolHandler): Promise<void> {
    if (this.handler) throw new StoreError('SPOOL_STARTED', 'spool server already started');
    const p = await ensureDirs(this.dataDir);
    this.applied = new Low<AppliedDoc>(new DurableJsonFile<AppliedDoc>(p.applied), { v: 1, entries: [] });
    await this.applied.read();
    for (const r of this.applied.data.entries) this.appliedById.set(r.id, r);
    this.handler = handler;
    this.watcher = watch(p.in, () => this.kick());
    this.watcher.on('error', (e) => this.log.warn({ err: e }, 'spool watch failed; relying on the periodic scan'));
    this.timer = setInterval(() => this.kick(), this.opts.scanMs ?? 500);
    this.timer.unref?.();
    this.kick();
    await this.idle();
  }

  /** Stops watching and waits for the request being applied, if any. */
  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.handler = undefined;
    await this.idle();
  }

  /** Resolves when no scan is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.scanning) await this.scanning;
  }

  private kick(): void {
    if (!this.handler) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scanLoop().finally(() => {
      this.scanning = undefined;
    });
  }

  private async scanLoop(): Promise<void> {
    const p = spoolPaths(this.dataDir);
    do {
      this.rescan = false;
      try {
        // Claimed-but-unfinished requests of a crashed run first, then new ones; each in name order.
        for (const name of await this.names(p.work)) {
          if (!this.handler) return;
          await this.processClaimed(name);
        }
        for (const name of await this.names(p.in)) {
          if (!this.handler) return;
          try {
            await rename(path.join(p.in, name), path.join(p.work, name));
          } catch (e) {
            if (isNotFound(e)) continue; // withdrawn by its CLI
            throw e;
          }
          await this.processClaimed(name);
        }
        await this.sweepOrphans();
      } catch (e) {
        this.log.error({ err: e }, 'spool scan failed');
      }
    } while (this.rescan && this.handler);
  }

  private async names(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((n) => n.endsWith('.json') && ID_RE.test(n.slice(0, -5))).sort();
  }

  private async processClaimed(name: string): Promise<void> {
    const p = spoolPaths(this.dataDir);
    const id = name.slice(0, -5);
    const workFile = path.join(p.work, name);
    let text: string | Error;
    try {
      const read = await readRegularFile(workFile);
      if (read.kind === 'other') {
        await mkdir(p.rejected, { recursive: true, mode: DIR_MODE });
        await rename(workFile, path.join(p.rejected, `${name}.${Date.now()}`));
        this.log.warn({ name, what: read.what }, `spool: a ${read.what} under a request name is not a request; moved to spool/rejected/`);
        return;
      }
      text = read.text;
    } catch (e) {
      if (isNotFound(e)) return;
      text = e as Error; // e.g. EACCES: written by another user; answered, never retried forever
    }
    let res = this.appliedById.get(id);
    if (!res) {
      res = await this.apply(id, text);
      this.appliedById.set(id, res);
      const entries = this.applied.data.entries;
      entries.push(res);
      const keep = this.opts.keepApplied ?? 1000;
      if (entries.length > keep) for (const old of entries.splice(0, entries.length - keep)) this.appliedById.delete(old.id);
      await this.applied.write();
      await this.opts.afterRecord?.(id);
    }
    await writeFileDurable(path.join(p.out, name), JSON.stringify(res));
    await unlink(workFile).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }

  private async apply(id: string, text: string | Error): Promise<SpoolResponse> {
    const appliedAt = (): string => new Date().toISOString();
    if (text instanceof Error) {
      const message = `the server cannot read spool request ${id} (${text.message}); run the command as the user the server runs as`;
      return { id, ok: false, error: { message, code: 'SPOOL_UNREADABLE' }, appliedAt: appliedAt() };
    }
    let req: SpoolRequest;
    try {
      req = JSON.parse(text) as SpoolRequest;
      if (req.id !== id || typeof req.op !== 'string') throw new Error('id or op missing');
    } catch (e) {
      return { id, ok: false, error: { message: `malformed spool request ${id}: ${(e as Error).message}`, code: 'SPOOL_MALFORMED' }, appliedAt: appliedAt() };
    }
    try {
      const result = await this.handler!(req.op, req.args, id);
      return { id, ok: true, result, appliedAt: appliedAt() };
    } catch (e) {
      const err = e as Error & { code?: unknown };
      this.log.warn({ id, op: req.op, err: e }, 'spool request failed');
      return { id, ok: false, error: { message: err.message ?? String(e), code: typeof err.code === 'string' ? err.code : undefined }, appliedAt: appliedAt() };
    }
  }

  /** Removes responses no CLI collected and stale temp requests (CLIs that died mid-submit). */
  private async sweepOrphans(): Promise<void> {
    const now = Date.now();
    if (now - this.lastOrphanSweep < 60_000) return;
    this.lastOrphanSweep = now;
    const maxAge = this.opts.orphanMs ?? 3_600_000;
    const p = spoolPaths(this.dataDir);
    for (const dir of [p.out, p.tmp]) {
      for (const name of await readdir(dir)) {
        const f = path.join(dir, name);
        try {
          if (now - (await stat(f)).mtimeMs > maxAge) await unlink(f);
        } catch {
          /* gone already */
        }
      }
    }
  }
}
