/**
 * The job/inbox journal under LowdbStore: group commit, torn tails, checkpoints, readers, and
 * kill -9 of a writing process (every acknowledged change is there after a restart).
 */
import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Journal, readJournal } from '../../src/store/lowdb/journal.js';
import { LowdbStore } from '../../src/store/lowdb/lowdb-store.js';
import { buildStoreForChildren, runChild } from './child.js';
import { inbound, jobIn } from './contract.js';
import { listFiles, removeDir, tempDir } from './helpers.js';

const NOW = new Date('2026-01-02T00:00:00.000Z');

describe('Journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('group commit: lines appended in one turn share one write and fdatasync', async () => {
    const j = new Journal<{ s: number }>(dir, 1);
    let pos = 0;
    for (let s = 0; s < 100; s++) pos = j.append({ s });
    await j.whenDurable(pos);
    expect(j.flushes).toBe(1);
    const more = [j.append({ s: 100 }), j.append({ s: 101 })];
    await j.whenDurable(more[1]!);
    expect(j.flushes).toBe(2);
    await j.close();
    const rep = await readJournal<{ s: number }>(dir);
    expect(rep.gens).toEqual([1]);
    expect(rep.entries.map((e) => e.s)).toEqual(Array.from({ length: 102 }, (_, i) => i));
    expect(rep.dropped).toBe(0);
  });

  it('replay stops at a torn tail and at a line out of sequence', async () => {
    const file = path.join(dir, 'journal-000003.jsonl');
    await writeFile(file, '{"i":0,"s":1}\n{"i":1,"s":2}\n{"i":2,"s":3');
    expect(await readJournal(dir)).toEqual({ gens: [3], entries: [{ s: 1 }, { s: 2 }], dropped: 1 });
    await writeFile(file, '{"i":0,"s":1}\n{"i":5,"s":2}\n{"i":2,"s":3}\n');
    expect(await readJournal(dir)).toEqual({ gens: [3], entries: [{ s: 1 }], dropped: 2 });
    await writeFile(file, '{"i":0,"s":1}\n\0\0\0\0\n');
    expect((await readJournal(dir)).entries).toEqual([{ s: 1 }]);
  });

  it('rotate: later lines go to the next generation; removeBefore deletes the older ones', async () => {
    const j = new Journal<{ s: number }>(dir, 1);
    j.append({ s: 1 });
    const closedAt = j.rotate();
    const last = j.append({ s: 2 });
    await j.whenDurable(Math.max(closedAt, last));
    expect((await readdir(dir)).sort()).toEqual(['journal-000001.jsonl', 'journal-000002.jsonl']);
    expect((await readJournal<{ s: number }>(dir)).entries).toEqual([{ s: 1 }, { s: 2 }]);
    await j.removeBefore(2);
    expect(await readdir(dir)).toEqual(['journal-000002.jsonl']);
    await j.close();
  });
});

describe('LowdbStore journal', () => {
  let dir: string;
  let build: string;
  beforeAll(async () => {
    build = await buildStoreForChildren();
  });
  afterAll(async () => {
    await removeDir(build);
  });
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('concurrent enqueues and updates share journal writes (far fewer fsyncs than operations)', async () => {
    const s = new LowdbStore(dir);
    await s.open();
    const jobs = (await Promise.all(Array.from({ length: 50 }, (_, i) => s.enqueue([jobIn({ to: `+7900000${String(i).padStart(4, '0')}` })])))).flat();
    expect(s.journalFlushes().jobs).toBeLessThanOrEqual(5);
    const before = s.journalFlushes().jobs;
    await Promise.all(jobs.map((j) => s.updateJob(j.id, { state: 'sent', sentAt: NOW.toISOString() })));
    expect(s.journalFlushes().jobs - before).toBeLessThanOrEqual(5);
    await s.close();
    const r = new LowdbStore(dir);
    await r.open();
    expect((await r.queueCounts()).byState).toMatchObject({ sent: 50, queued: 0 });
    await r.close();
  });

  it('a reader sees journaled changes the writer has not checkpointed yet', async () => {
    const w = new LowdbStore(dir, { segmentSize: 4 });
    await w.open();
    const { entry } = await w.addInbound(inbound(1));
    await w.updateInbound(entry.id, { status: 'processed' });
    const jobs = await w.enqueue([jobIn({ to: 'a' }), jobIn({ to: 'b' })]);
    await w.claimNext({ owner: 'host', leaseMs: 60_000, now: NOW });
    expect((await listFiles(dir)).filter((f) => f.includes('seg-'))).toEqual([]); // nothing checkpointed
    const r = new LowdbStore(dir, { readOnly: true });
    await r.open();
    expect((await r.getInbound(entry.id))!.status).toBe('processed');
    expect((await r.listJobs()).map((j) => [j.to, j.state])).toEqual([
      ['b', 'queued'],
      ['a', 'sending'],
    ]);
    expect((await r.queueCounts()).byState).toMatchObject({ queued: 1, sending: 1 });
    await r.close();
    expect((await listFiles(dir)).filter((f) => f.includes('seg-'))).toEqual([]); // the reader wrote nothing
    await w.close();
    expect((await listFiles(dir)).filter((f) => f.includes('journal'))).toEqual([]); // clean close: no journal
    void jobs;
  });

  it('checkpoints past compactBytes: segments hold the state, old generations go, nothing evicted is lost', async () => {
    const s = new LowdbStore(dir, { segmentSize: 5, cacheSegments: 1, compactBytes: 4000 });
    await s.open();
    const jobs = await s.enqueue(Array.from({ length: 60 }, (_, i) => jobIn({ to: String(i) })));
    // Updates scattered over 12 segments with a 1-segment cache: dirty ones must stay pinned.
    for (const [k, j] of jobs.entries()) await s.updateJob(j.id, { attempts: k + 1, lastError: 'x'.repeat(50) });
    const gens = (await readdir(path.join(dir, 'jobs'))).filter((f) => f.startsWith('journal-'));
    expect(gens.length).toBeLessThanOrEqual(2); // older generations were deleted
    expect(Number(/\d+/.exec(gens.at(-1)!)![0])).toBeGreaterThan(3); // and there were several
    expect((await s.listJobs()).map((j) => j.attempts)).toEqual(jobs.map((_, k) => k + 1).reverse());
    await s.close();
    const r = new LowdbStore(dir, { readOnly: true });
    await r.open();
    expect((await r.listJobs()).map((j) => j.attempts)).toEqual(jobs.map((_, k) => k + 1).reverse());
    await r.close();
  });

  it('kill -9 while writing: every acknowledged enqueue and update is there after the restart', async () => {
    const child = await runChild(
      build,
      'writer',
      `const s = new S.LowdbStore(process.argv[2], { segmentSize: 7, compactBytes: 3000 });
       await s.open();
       for (let i = 0; ; i++) {
         const [j] = await s.enqueue([{ to: '+7900' + i, text: 't' + i, priority: 'mass', state: 'queued', attempts: 0, nextAttemptAt: new Date(0).toISOString() }]);
         console.log('enq', j.id);
         const { entry } = await s.addInbound({ from: '+7911' + i, text: 'in ' + i, receivedAt: new Date().toISOString(), status: 'new', parts: 1, dedupKey: 'k' + i });
         if (i % 2 === 0) { await s.updateJob(j.id, { state: 'sent', sentAt: new Date().toISOString() }); console.log('sent', j.id); }
         await s.updateInbound(entry.id, { status: 'processed' });
         console.log('in', entry.id);
       }`,
      [dir],
    );
    await child.waitLine(/^in in-150$/);
    child.proc.kill('SIGKILL');
    const { stdout } = await child.exited;
    const acked = stdout.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]);
    expect((await listFiles(dir)).some((f) => f.includes('journal-'))).toBe(true); // died with a journal
    // A crash can also tear the last line: add one, it must be ignored.
    const journal = (await listFiles(dir)).filter((f) => f.startsWith('jobs/journal-')).sort().at(-1)!;
    await appendFile(path.join(dir, journal), '{"i":99999,"s":1,"r":{"to');
    const s = new LowdbStore(dir);
    await s.open();
    for (const [what, id] of acked) {
      if (what === 'enq') expect(await s.getJob(id), id).toBeDefined();
      if (what === 'sent') expect((await s.getJob(id))!.state, id).toBe('sent');
      if (what === 'in') expect((await s.getInbound(id))!.status, id).toBe('processed');
    }
    const enq = acked.filter(([w]) => w === 'enq').length;
    expect(enq).toBeGreaterThan(150);
    // Ids go on after the last record that survived; nothing is overwritten.
    const [next] = await s.enqueue([jobIn()]);
    expect(Number(next!.id.slice(4))).toBeGreaterThanOrEqual(enq);
    await s.close();
    expect((await listFiles(dir)).filter((f) => f.includes('journal-'))).toEqual([]);
    const seg = JSON.parse(await readFile(path.join(dir, (await listFiles(dir)).find((f) => f.startsWith('jobs/') && f.endsWith('seg-000000.json'))!), 'utf8'));
    expect(seg.records).toHaveLength(7);
  });

  it('without a journal (a CLI direct write): a crashed server\'s journal is folded first, then segments are written at once', async () => {
    const server = await runChild(
      build,
      'server',
      `const s = new S.LowdbStore(process.argv[2]);
       await s.open();
       const [j] = await s.enqueue([{ to: 'a', text: 't', priority: 'mass', state: 'queued', attempts: 0, nextAttemptAt: new Date(0).toISOString() }]);
       await s.updateJob(j.id, { state: 'sent', sentAt: new Date().toISOString() });
       console.log('sent', j.id);
       setInterval(() => {}, 1000);`,
      [dir],
    );
    const id = (await server.waitLine(/^sent /)).split(' ')[1]!;
    server.proc.kill('SIGKILL');
    await server.exited;
    const cli = new LowdbStore(dir, { journal: false, lockRole: 'cli' });
    await cli.open();
    expect((await listFiles(dir)).filter((f) => f.includes('journal-'))).toEqual([]); // replayed, checkpointed, removed
    expect((await cli.getJob(id))!.state).toBe('sent');
    await cli.enqueue([jobIn({ to: 'b' })]);
    const seg = JSON.parse(await readFile(path.join(dir, (await listFiles(dir)).find((f) => /^jobs\/.*seg-000000\.json$/.test(f))!), 'utf8'));
    expect(seg.records.map((r: { to: string }) => r.to)).toEqual(['a', 'b']); // on disk before close
    expect((await listFiles(dir)).filter((f) => f.includes('journal-'))).toEqual([]);
    await cli.close();
  });
});
