import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { pino } from 'pino';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withStoreWriter, type StoreOp } from '../../src/store/lowdb/cli-access.js';
import { acquireDataLock } from '../../src/store/lowdb/lock.js';
import { LowdbStore } from '../../src/store/lowdb/lowdb-store.js';
import { SpoolClient, SpoolServer, spoolPaths } from '../../src/store/lowdb/spool.js';
import { buildStoreForChildren, runChild } from './child.js';
import { client } from './contract.js';
import { listFiles, removeDir, tempDir } from './helpers.js';

let build: string;
beforeAll(async () => {
  build = await buildStoreForChildren();
});
afterAll(async () => {
  await removeDir(build);
});

describe('spool', () => {
  let dir: string;
  let server: SpoolServer | undefined;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await removeDir(dir);
  });

  it('a request is applied by the server and its result returned; the spool is left empty', async () => {
    const seen: [string, unknown][] = [];
    server = new SpoolServer(dir, { scanMs: 50 });
    await server.start(async (op, args) => {
      seen.push([op, args]);
      return { echoed: args };
    });
    const res = await new SpoolClient(dir).submit('clients.add', { phone: '+7900' }, { timeoutMs: 5000 });
    expect(res).toEqual({ echoed: { phone: '+7900' } });
    expect(seen).toEqual([['clients.add', { phone: '+7900' }]]);
    const p = spoolPaths(dir);
    for (const d of [p.tmp, p.in, p.work, p.out]) expect(await readdir(d)).toEqual([]);
  });

  it('a named pipe, a folder or a symlink under a request name is moved aside; requests keep flowing and stop() is prompt (issue 9 item 7)', async () => {
    const p = spoolPaths(dir);
    const warnings: unknown[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void warnings.push(JSON.parse(l)) });
    server = new SpoolServer(dir, { scanMs: 50, logger });
    await server.start(async (_op, args) => args);
    const stamp = (Date.now() - 60_000).toString(36).padStart(9, '0'); // sorts before the real request
    const name = (i: number) => `${stamp}-1-0000000${i}.json`;
    execFileSync('mkfifo', [path.join(p.in, name(1))]);
    await mkdir(path.join(p.in, name(2)));
    await symlink('/etc/passwd', path.join(p.in, name(3)));
    // A real request behind them is answered.
    await expect(new SpoolClient(dir).submit('send', { n: 1 }, { timeoutMs: 5000 })).resolves.toEqual({ n: 1 });
    let rejected: string[] = [];
    for (let i = 0; i < 100 && rejected.length < 3; i++) {
      rejected = await readdir(p.rejected).catch(() => []);
      if (rejected.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rejected.map((n) => n.replace(/\.\d+$/, '')).sort()).toEqual([name(1), name(2), name(3)]);
    await server.idle(); // the answered request's work file goes after its response
    expect(await readdir(p.work)).toEqual([]);
    expect(warnings.map((w) => (w as { what: string }).what).sort()).toEqual(['directory', 'named pipe', 'symbolic link']);
    // One line each, not one per scan.
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings).toHaveLength(3);
    const t = Date.now();
    await server.stop();
    server = undefined;
    expect(Date.now() - t).toBeLessThan(5000); // on main the FIFO read never returns
  });

  it('a handler error reaches the CLI as SpoolRemoteError with the code and message', async () => {
    server = new SpoolServer(dir, { scanMs: 50 });
    await server.start(async () => {
      throw Object.assign(new Error('client +7900 exists'), { code: 'CLIENT_EXISTS' });
    });
    await expect(new SpoolClient(dir).submit('clients.add', {}, { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'SPOOL_REMOTE',
      remoteCode: 'CLIENT_EXISTS',
      message: 'client +7900 exists',
    });
  });

  it('with no server, submit times out and withdraws the request (never applied later)', async () => {
    await expect(new SpoolClient(dir).submit('send', {}, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'SPOOL_TIMEOUT', withdrawn: true });
    expect(await readdir(spoolPaths(dir).in)).toEqual([]);
    let calls = 0;
    server = new SpoolServer(dir);
    await server.start(async () => ++calls);
    expect(calls).toBe(0);
  });

  it('a request submitted while the server was down is applied when it starts', async () => {
    const pending = new SpoolClient(dir).submit('send', { n: 1 }, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 150));
    server = new SpoolServer(dir);
    await server.start(async (_op, args) => args);
    expect(await pending).toEqual({ n: 1 });
  });

  it('is applied exactly once when the server dies between applying and responding', async () => {
    const effects = path.join(dir, 'effects.log');
    const pending = new SpoolClient(dir).submit('mass', { text: 'sale' }, { timeoutMs: 20_000 });
    const crashing = await runChild(
      build,
      'crashing-server',
      `import { appendFileSync } from 'node:fs';
       const [dir, effects] = process.argv.slice(2);
       const srv = new S.SpoolServer(dir, { afterRecord: () => process.kill(process.pid, 'SIGKILL') });
       await srv.start(async (op, args, id) => { appendFileSync(effects, id + '\\n'); return { applied: op }; });`,
      [dir, effects],
    );
    const r = await crashing.exited;
    expect(r.signal).toBe('SIGKILL');
    expect((await readFile(effects, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(await readdir(spoolPaths(dir).work)).toHaveLength(1); // claimed, no response yet

    let calls = 0;
    server = new SpoolServer(dir);
    await server.start(async () => {
      calls++;
      return 'second run';
    });
    expect(await pending).toEqual({ applied: 'mass' }); // the recorded response of the first run
    expect(calls).toBe(0);
    expect((await readFile(effects, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('5 CLI processes × 20 concurrent requests: all 100 applied once, none lost', async () => {
    const applied = new Map<string, unknown>();
    server = new SpoolServer(dir, { scanMs: 100 });
    await server.start(async (op, args, id) => {
      expect(applied.has(id)).toBe(false);
      applied.set(id, args);
      await new Promise((r) => setImmediate(r));
      return { op, args };
    });
    const children = await Promise.all(
      Array.from({ length: 5 }, (_, c) =>
        runChild(
          build,
          `cli-${c}`,
          `const [dir, c] = process.argv.slice(2);
           const client = new S.SpoolClient(dir, { pollMs: 50 });
           const res = await Promise.all(Array.from({ length: 20 }, (_, i) => client.submit('send', { c: Number(c), i }, { timeoutMs: 20000 })));
           console.log(JSON.stringify(res));`,
          [dir, String(c)],
        ),
      ),
    );
    const results = await Promise.all(children.map((ch) => ch.exited));
    for (const [c, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout) as { args: { c: number; i: number } }[];
      expect(res.map((x) => x.args)).toEqual(Array.from({ length: 20 }, (_, i) => ({ c, i })));
    }
    expect(applied.size).toBe(100);
    const got = [...applied.values()].map((a) => JSON.stringify(a)).sort();
    const want = Array.from({ length: 100 }, (_, k) => JSON.stringify({ c: Math.floor(k / 20), i: k % 20 })).sort();
    expect(got).toEqual(want);
  });
});

describe('withStoreWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  const apply: StoreOp<number> = async (store, op, args) => {
    if (op !== 'clients.add') throw new Error(`unknown op ${op}`);
    await store.upsertClient(client((args as { phone: string }).phone));
    return (await store.listClients()).length;
  };

  it('applies directly when no server runs, and releases the lock', async () => {
    const r = await withStoreWriter(dir, 'clients.add', { phone: '+79001111111' }, apply);
    expect(r).toEqual({ via: 'direct', result: 1 });
    expect(await listFiles(dir)).not.toContain('server.lock');
    const s = new LowdbStore(dir, { readOnly: true });
    await s.open();
    expect((await s.listClients()).map((c) => c.phone)).toEqual(['+79001111111']);
    await s.close();
  });

  it('goes through the spool when a live server holds the lock', async () => {
    const store = new LowdbStore(dir); // the "server": holds server.lock
    await store.open();
    const server = new SpoolServer(dir, { scanMs: 50 });
    await server.start((op, args, id) => apply(store, op, args, id));
    try {
      const r = await withStoreWriter(dir, 'clients.add', { phone: '+79002222222' }, apply, { timeoutMs: 5000 });
      expect(r).toEqual({ via: 'server', result: 1 });
      expect((await store.listClients()).map((c) => c.phone)).toEqual(['+79002222222']);
    } finally {
      await server.stop();
      await store.close();
    }
  });

  it('a lock held by a live process without a spool server times out rather than writing', async () => {
    const lock = await acquireDataLock(dir);
    try {
      await expect(withStoreWriter(dir, 'clients.add', { phone: '+7' }, apply, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'SPOOL_TIMEOUT' });
      expect(await listFiles(dir)).not.toContain('clients.json');
    } finally {
      await lock.release();
    }
  });
});
