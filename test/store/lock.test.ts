import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { acquireDataLock, readDataLock } from '../../src/store/lowdb/lock.js';
import { buildStoreForChildren, runChild } from './child.js';
import { modeOf, removeDir, tempDir } from './helpers.js';

let build: string;
beforeAll(async () => {
  build = await buildStoreForChildren();
});
afterAll(async () => {
  await removeDir(build);
});

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

describe('data lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('is refused while another live process holds it, and taken at once after that process is killed -9', async () => {
    const child = await runChild(build, 'holder', `const l = await S.acquireDataLock(process.argv[2]); console.log('locked', process.pid); setInterval(() => {}, 1000);`, [dir]);
    await child.waitLine(/^locked/);
    const status = await readDataLock(dir);
    expect(status).toMatchObject({ held: true, info: { pid: child.proc.pid, host: os.hostname() } });
    await expect(acquireDataLock(dir)).rejects.toMatchObject({ code: 'DATA_LOCKED', holder: { pid: child.proc.pid } });

    child.proc.kill('SIGKILL');
    await child.exited;
    expect(await readDataLock(dir)).toMatchObject({ held: false, stale: true });
    const lock = await acquireDataLock(dir);
    expect(JSON.parse(await readFile(lock.file, 'utf8')).pid).toBe(process.pid);
    expect(await modeOf(lock.file)).toBe(0o600);
    await lock.release();
    expect(await readDataLock(dir)).toEqual({ held: false });
  });

  it('takes over a lock whose pid is dead, and an empty lock file older than the grace period', async () => {
    const file = path.join(dir, 'server.lock');
    await writeFile(file, JSON.stringify({ pid: deadPid(), startedAt: '2026-01-01T00:00:00Z', host: os.hostname() }));
    const lock = await acquireDataLock(dir);
    await lock.release();
    await writeFile(file, '');
    const old = new Date(Date.now() - 10_000);
    const { utimes } = await import('node:fs/promises');
    await utimes(file, old, old);
    const again = await acquireDataLock(dir);
    await again.release();
  });

  it('treats a recorded process start time that does not match as pid reuse', async () => {
    await writeFile(path.join(dir, 'server.lock'), JSON.stringify({ pid: process.pid, startedAt: 'x', host: os.hostname(), procStart: '1' }));
    expect((await readDataLock(dir)).held).toBe(process.platform === 'linux' ? false : true);
  });

  it('a second acquire in the same process fails; release only removes our own lock', async () => {
    const a = await acquireDataLock(dir);
    await expect(acquireDataLock(dir)).rejects.toMatchObject({ code: 'DATA_LOCKED' });
    // someone replaced the file (e.g. an operator): release must not delete theirs
    await writeFile(a.file, JSON.stringify({ pid: 1, startedAt: 'x', host: 'other-host' }));
    await a.release();
    expect(await readDataLock(dir)).toMatchObject({ held: true, info: { host: 'other-host' } });
  });

  it('waitMs lets a starter wait for a short-lived holder', async () => {
    const child = await runChild(build, 'brief', `const l = await S.acquireDataLock(process.argv[2]); console.log('locked'); setTimeout(() => l.release().then(() => process.exit(0)), 300);`, [dir]);
    await child.waitLine(/^locked/);
    await expect(acquireDataLock(dir)).rejects.toMatchObject({ code: 'DATA_LOCKED' });
    const lock = await acquireDataLock(dir, { waitMs: 5000 });
    await lock.release();
    await child.exited;
  });
});
