#!/usr/bin/env node
/**
 * Store benchmark: prints figures, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/store.mjs [--full]
 *   STORE_DIST=/path/to/dist node scripts/bench/store.mjs      (a dist holding store/ and util/ only)
 *
 * Per size (1k, 100k existing inbox entries; 1M with --full):
 *   - addInbound: median and p99 ms over 1,000 calls (each call fsyncs), the process's CPU ms per call
 *     (user+system, all threads, the final checkpoint at close included), and plain lowdb's single-file
 *     db.write() at the same size (the baseline, JSONFile: no fsync) with the ratio;
 *   - listInbound({limit: 20}) ms; open() ms.
 * Then, in a fresh child process: enqueue of 100k jobs in one call (ms, peak RSS), and a
 * claimNext + updateJob(sent) cycle with 100k pending (wall ms, and CPU ms per cycle with close's
 * checkpoint included), reopen, and lastSentTo (index build, lookup). Last, the daily cap's seed at
 * start over a history of 100k jobs sent yesterday (closed segments): `listJobs` sent since local
 * midnight, which skips segments closed before it, against a scan of every sent job (what it read before).
 * Existing history is written straight into the documented segment layout (src/store/lowdb/LAYOUT.md), since
 * filling 1M entries through addInbound one fsync at a time would take hours.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Low } from 'lowdb';
import { SEG, entry, prefill } from './lib/store-fill.mjs';
import { JSONFile } from 'lowdb/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = process.env.STORE_DIST ?? path.resolve(here, '../../dist');
const { LowdbStore } = await import(pathToFileURL(path.join(dist, 'store/index.js')).href);

const full = process.argv.includes('--full');
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p99: q(0.99) };
}
const f = (x) => x.toFixed(2);
/** Process CPU (user + system, every thread) in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function benchInbox(n) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sms-bench-'));
  try {
    await prefill(dir, n);
    const s = new LowdbStore(dir);
    let t = performance.now();
    await s.open();
    const openMs = performance.now() - t;
    const writes = [];
    let cpu = cpuMs();
    // 1,000 writes = one full segment cycle (tail from empty to full), so the figures average over tail sizes.
    for (let k = 0; k < SEG; k++) {
      const e = entry(n + k);
      delete e.id;
      t = performance.now();
      await s.addInbound(e);
      writes.push(performance.now() - t);
    }
    let addCpu = cpuMs() - cpu;
    const lists = [];
    for (let k = 0; k < 30; k++) {
      t = performance.now();
      await s.listInbound({ limit: 20 });
      lists.push(performance.now() - t);
    }
    cpu = cpuMs();
    await s.close();
    addCpu += cpuMs() - cpu;
    return { openMs, add: stats(writes), addCpuMs: addCpu / SEG, list: stats(lists) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function baseline(n) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sms-bench-base-'));
  try {
    const db = new Low(new JSONFile(path.join(dir, 'db.json')), { inbox: [] });
    for (let i = 0; i < n; i++) db.data.inbox.push(entry(i));
    await db.write();
    const times = [];
    const rounds = n >= 1_000_000 ? 2 : n >= 100_000 ? 5 : 30;
    for (let k = 0; k < rounds; k++) {
      db.data.inbox.push(entry(n + k));
      const t = performance.now();
      await db.write();
      times.push(performance.now() - t);
    }
    return stats(times);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function enqueuePhase() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sms-bench-q-'));
  try {
    const s = new LowdbStore(dir);
    await s.open();
    const rssBefore = process.memoryUsage().rss;
    const jobs = Array.from({ length: 100_000 }, (_, i) => ({
      to: '+7900' + String(1000000 + i),
      text: 'Big sale this weekend: 20% off everything in store. Reply STOP to opt out.',
      priority: 'mass',
      state: 'queued',
      attempts: 0,
      nextAttemptAt: new Date(0).toISOString(),
      campaignId: 'c1',
      account: 'acc' + (i % 7),
    }));
    let t = performance.now();
    await s.enqueue(jobs);
    const enqueueMs = performance.now() - t;
    const cycles = [];
    const now = new Date();
    let cpu = cpuMs();
    for (let k = 0; k < 300; k++) {
      t = performance.now();
      const j = await s.claimNext({ owner: 'bench', leaseMs: 60_000, now });
      await s.updateJob(j.id, { state: 'sent', sentAt: now.toISOString() });
      cycles.push(performance.now() - t);
    }
    t = performance.now();
    await s.close();
    const cycleCpuMs = (cpuMs() - cpu) / cycles.length;
    const s2 = new LowdbStore(dir);
    await s2.open();
    const reopenMs = performance.now() - t;
    // lastSentTo: the first call builds its index from every job segment, later ones are lookups.
    t = performance.now();
    await s2.lastSentTo(jobs[5].to, new Date(0).toISOString());
    const lastSentBuildMs = performance.now() - t;
    t = performance.now();
    for (let k = 0; k < 1000; k++) await s2.lastSentTo(jobs[(k * 97) % jobs.length].to, new Date(0).toISOString());
    const lastSentLookupMs = (performance.now() - t) / 1000;
    await s2.close();
    const seed = await seedOverHistory(jobs);
    console.log(
      JSON.stringify({ enqueueMs, rssBeforeMB: rssBefore / 1048576, peakRssMB: process.resourceUsage().maxRSS / 1024, cycle: stats(cycles), cycleCpuMs, reopenMs, lastSentBuildMs, lastSentLookupMs, ...seed }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 100k jobs sent yesterday, a store opened today: the daily cap's seed query, and a full scan. */
async function seedOverHistory(jobs) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sms-bench-seed-'));
  try {
    const yesterday = Date.parse('2026-01-01T12:00:00.000Z');
    let now = yesterday;
    const clock = { now: () => now, setTimeout, clearTimeout };
    const a = new LowdbStore(dir, { clock });
    await a.open();
    await a.enqueue(jobs.map((j) => ({ ...j, state: 'sent', sentAt: new Date(yesterday).toISOString() })));
    await a.close();
    now = yesterday + 86_400_000;
    const time = async (filter) => {
      const s = new LowdbStore(dir, { clock });
      await s.open();
      const t = performance.now();
      const n = (await s.listJobs(filter)).length;
      const ms = performance.now() - t;
      await s.close();
      return { ms, n };
    };
    const today = await time({ state: 'sent', since: '2026-01-02T00:00:00.000Z', timeField: 'sentAt' });
    const all = await time({ state: 'sent' });
    return { seedMs: today.ms, seedJobs: today.n, scanAllMs: all.ms, scanAllJobs: all.n };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--enqueue-phase')) {
  await enqueuePhase();
} else {
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? '?'}, tmpdir ${os.tmpdir()}, segment ${SEG}`);
  const sizes = full ? [1_000, 100_000, 1_000_000] : [1_000, 100_000];
  console.log('existing | addInbound median / p99 ms | addInbound CPU ms | lowdb single-file write median ms | ratio | listInbound(20) median ms | open ms');
  for (const n of sizes) {
    const r = await benchInbox(n);
    let b;
    try {
      b = await baseline(n);
    } catch (e) {
      b = { error: e.message };
    }
    const base = b.error ? `failed (${b.error})` : f(b.median);
    const ratio = b.error ? '-' : `${f(b.median / r.add.median)}x`;
    console.log(`${String(n).padStart(8)} | ${f(r.add.median)} / ${f(r.add.p99)} | ${f(r.addCpuMs)} | ${base} | ${ratio} | ${f(r.list.median)} | ${f(r.openMs)}`);
  }
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--enqueue-phase'], { encoding: 'utf8', env: process.env });
  if (child.status !== 0) throw new Error(child.stderr);
  const q = JSON.parse(child.stdout.trim().split('\n').at(-1));
  console.log(
    `enqueue 100k jobs: ${f(q.enqueueMs)} ms, peak RSS ${f(q.peakRssMB)} MB (RSS before ${f(q.rssBeforeMB)} MB, incl. the 100k input array); ` +
      `claimNext+updateJob(sent) with 100k pending: median ${f(q.cycle.median)} ms, p99 ${f(q.cycle.p99)} ms, CPU ${f(q.cycleCpuMs)} ms per cycle; reopen with 100k pending ${f(q.reopenMs)} ms; ` +
      `lastSentTo over 100k jobs: first call (builds the index) ${f(q.lastSentBuildMs)} ms, then ${q.lastSentLookupMs.toFixed(4)} ms per lookup`,
  );
  console.log(
    `daily-cap seed at start over 100k jobs sent yesterday: ${f(q.seedMs)} ms (${q.seedJobs} sent today; segments closed before midnight skipped) ` +
      `vs ${f(q.scanAllMs)} ms to scan every sent job (${q.scanAllJobs}), what the seed read before — ${f(q.scanAllMs / Math.max(q.seedMs, 0.01))}x`,
  );
}
