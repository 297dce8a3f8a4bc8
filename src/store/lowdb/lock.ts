/**
 * Exactly one writer per data folder: `<dir>/server.lock`, created atomically with O_EXCL, holding
 * `{pid, startedAt, host, procStart}`. A lock whose pid is dead on this host is stale and is taken
 * over at once, so `kill -9` then restart works immediately.
 *
 * Why not proper-lockfile: it decides staleness by the lock's mtime (refreshed by a timer), so after
 * `kill -9` a restart has to wait out the stale period; and it cannot tell a live holder that stopped
 * refreshing (event loop blocked by a large write) from a dead one. A pid check answers both exactly.
 * `procStart` (Linux /proc/<pid>/stat field 22) guards against the pid having been reused.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DIR_MODE, FILE_MODE, fsyncDir } from './durable-json-file.js';
import { DataLockedError, StoreError } from '../errors.js';
import { isNotFound } from '../../util/fs-errors.js';

export const LOCK_FILE = 'server.lock';

export interface LockInfo {
  pid: number;
  startedAt: string;
  host: string;
  /** Kernel start time of the process (clock ticks since boot), when known; detects pid reuse. */
  procStart?: string;
  /** Random per acquisition, so a takeover can tell the lock it judged stale from a new one. */
  nonce?: string;
  /**
   * Who holds it: the server (absent in locks written before roles existed), or a CLI doing one
   * direct operation — which other CLIs wait for instead of handing their op to a server that is not there.
   */
  role?: LockRole;
}

export type LockRole = 'server' | 'cli';

export interface LockStatus {
  /** True when a live process (or one on another host, which cannot be checked) holds the lock. */
  held: boolean;
  info?: LockInfo;
  /** Set when a lock file exists but its holder is gone. */
  stale?: boolean;
}

/** A held data lock. */
export interface DataLock {
  readonly file: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Kernel start time of a process, or undefined off Linux / when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: fields after the last ')' start at field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `info` is still running (conservatively true for other hosts). */
export function isHolderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a process with that pid exists but belongs to someone else.
  }
  if (info.procStart !== undefined) {
    const now = processStartTime(info.pid);
    if (now !== undefined && now !== info.procStart) return false; // pid reused by another process
  }
  return true;
}

async function readInfo(file: string): Promise<LockInfo | undefined | 'garbage'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return v;
  } catch {
    /* fallthrough */
  }
  return 'garbage';
}

/** Whether a live server holds `<dir>/server.lock`. Reads only. */
export async function readDataLock(dir: string): Promise<LockStatus> {
  const info = await readInfo(path.join(dir, LOCK_FILE));
  if (info === undefined) return { held: false };
  // A garbage lock is what a crash between create and write leaves — or a starter mid-write.
  if (info === 'garbage') return (await isYoung(path.join(dir, LOCK_FILE))) ? { held: true } : { held: false, stale: true };
  const alive = isHolderAlive(info);
  return alive ? { held: true, info } : { held: false, info, stale: true };
}

/** An unreadable lock younger than this may be mid-write by a live starter, so it is not stale yet. */
const GARBAGE_GRACE_MS = 2000;

async function isYoung(file: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs < GARBAGE_GRACE_MS;
  } catch {
    return false;
  }
}

async function createExclusive(file: string, info: LockInfo): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx', FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify(info));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(path.dirname(file));
  return true;
}

/**
 * Takes `<dir>/server.lock` (creating `dir` 0700) or throws DataLockedError naming the live holder
 * (after retrying for `waitMs`, default 0).
 * A stale lock is replaced under a short-lived `server.lock.takeover` guard so two starters cannot
 * both remove it and then one remove the other's fresh lock.
 */
export async function acquireDataLock(dir: string, opts: { waitMs?: number; role?: LockRole } = {}): Promise<DataLock> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (;;) {
    try {
      return await tryAcquire(dir, opts.role ?? 'server');
    } catch (e) {
      // A CLI holding the folder for one direct operation releases it within moments: a starting server may wait.
      if (!(e instanceof DataLockedError) || Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function tryAcquire(dir: string, role: LockRole): Promise<DataLock> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const file = path.join(dir, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    host: os.hostname(),
    procStart: processStartTime(process.pid),
    nonce: randomBytes(8).toString('hex'),
    role,
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await createExclusive(file, info)) return makeLock(file, info);
    const current = await readInfo(file);
    if (current === undefined) continue; // released meanwhile: try again
    if (current !== 'garbage' && isHolderAlive(current)) throw new DataLockedError(file, current);
    if (current === 'garbage' && (await isYoung(file))) {
      // Another starter has created the file and not yet written it: give it a moment.
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    await takeOverStale(file, current);
  }
  throw new StoreError('DATA_LOCK_CONTENDED', `${file}: could not take the lock after 100 attempts (lock changing under us)`);
}

async function takeOverStale(file: string, judged: LockInfo | 'garbage'): Promise<void> {
  const guard = file + '.takeover';
  const guardInfo: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), host: os.hostname(), procStart: processStartTime(process.pid) };
  if (!(await createExclusive(guard, guardInfo))) {
    const g = await readInfo(guard);
    // A guard left by a starter that died mid-takeover: remove it; the next attempt retries.
    if (g === 'garbage' || (g !== undefined && !isHolderAlive(g))) await unlink(guard).catch(() => {});
    else await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    const again = await readInfo(file);
    const same =
      again === 'garbage' ? judged === 'garbage' : again !== undefined && judged !== 'garbage' && again.pid === judged.pid && again.nonce === judged.nonce && again.startedAt === judged.startedAt;
    if (same) await unlink(file).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
}

function makeLock(file: string, info: LockInfo): DataLock {
  let released = false;
  return {
    file,
    info,
    async release() {
      if (released) return;
      released = true;
      const current = await readInfo(file);
      if (current !== undefined && current !== 'garbage' && current.pid === info.pid && current.nonce === info.nonce) {
        await unlink(file).catch(() => {});
      }
    },
  };
}
