#!/usr/bin/env node
/**
 * Several hosts on PostgreSQL (issue 17): sustained send rate and bookkeeping cost per message,
 * lowdb (one host) next to PostgreSQL with 1 and 3 hosts. Prints figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/hosts.mjs [--n 600] [--claims 2000]
 *
 * Needs PostgreSQL's server binaries (Debian: apt-get install postgresql); a throw-away server is
 * started on a private port and data directory (scripts/pg/test-server.sh, fsync off).
 * 1. Claims: `--claims` queued jobs, claimed and marked sent (claimNext + updateJob) by 1 or 3
 *    concurrent claimers (a PostgresStore each, as three hosts would be) as fast as they can; LowdbStore
 *    (single writer) with one. claims/s, and CPU ms per claim of this process and of PostgreSQL.
 * 2. Servers: `--n` mass texts queued, then 1 or 3 real `sms-server serve` processes, each on its own
 *    zero-delay simulated modem (PTY); msg/s from the first to the last accepted SUBMIT, and CPU ms
 *    per message of the servers' process trees and of PostgreSQL over that window.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, num } from './lib/args.mjs';
import { CLI, ROOT, cliNodeFlags, dist, ensureBuilt } from './lib/env.mjs';
import { startMeasured, treeCpuMs } from './lib/proc.mjs';
import { fmt, mdTable, waitUntil } from './lib/stats.mjs';

const args = parseArgs();
const N = num(args.n, 600);
const CLAIMS = num(args.claims, 2000);
ensureBuilt();
const { PostgresStore } = await dist('store/postgres/index.js');
const { LowdbStore } = await dist('store/index.js');
const { startSim } = await import('./lib/sim.mjs');

const SCRIPT = path.join(ROOT, 'scripts/pg/test-server.sh');
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'bench-pg-'));
let pgUrl;
try {
  pgUrl = execFileSync(SCRIPT, ['start', pgDir], { encoding: 'utf8' }).trim();
} catch (e) {
  process.stderr.write(`PostgreSQL could not start (${e.message.split('\n')[0]}); install it: apt-get install postgresql\n`);
  process.exit(3);
}
const postmaster = Number(readFileSync(path.join(pgDir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
const KEY = 'c'.repeat(64);
let dbs = 0;
async function freshDb() {
  const name = `bench${dbs++}`;
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return pgUrl.replace(/\/[^/]*$/, '/' + name);
}
const job = (i) => ({ to: `+7902${String(i).padStart(7, '0')}`, text: `Bench ${i}`, priority: 'mass', state: 'queued', attempts: 0, nextAttemptAt: new Date(0).toISOString() });
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function claims(kind, claimers) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-claims-'));
  const url = kind === 'postgres' ? await freshDb() : undefined;
  const open = async (i) => {
    const s = kind === 'postgres' ? new PostgresStore({ url, host: `h${i}` }) : new LowdbStore(dir);
    await s.open();
    return s;
  };
  const stores = [await open(0)];
  for (let i = 1; i < claimers; i++) stores.push(await open(i));
  for (let at = 0; at < CLAIMS; at += 1000) await stores[0].enqueue(Array.from({ length: Math.min(1000, CLAIMS - at) }, (_, k) => job(at + k)));
  const cpu0 = cpuNow();
  const pg0 = treeCpuMs(postmaster);
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (s, i) => {
      const o = { owner: `h${i}:m`, leaseMs: 60_000, modem: `m${i}` };
      for (let j = await s.claimNext(o); j; j = await s.claimNext(o)) await s.updateJob(j.id, { state: 'sent', sentAt: new Date().toISOString(), lease: undefined, writing: undefined });
    }),
  );
  const ms = performance.now() - t0;
  const row = [kind, String(claimers), fmt(CLAIMS / (ms / 1000), 0), fmt((cpuNow() - cpu0) / CLAIMS, 2), kind === 'postgres' ? fmt((treeCpuMs(postmaster) - pg0) / CLAIMS, 2) : '-'];
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
  return row;
}

async function servers(kind, count) {
  const url = kind === 'postgres' ? await freshDb() : undefined;
  const hosts = [];
  for (let i = 1; i <= count; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `bench-host${i}-`));
    const sim = await startSim(dir, { sendDelayMs: 0 });
    const config = {
      modems: [{ id: `m${i}`, device: sim.path, profile: 'generic', massPerMinute: 10_000 }],
      ...(url ? { store: { kind: 'postgres', url, host: `host${i}` } } : {}),
      secretKey: KEY,
      queue: { dailyCap: 100 },
    };
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    hosts.push({ dir, sim });
  }
  // Queued before the servers start: the clock measures sending, not enqueueing.
  const q = kind === 'postgres' ? new PostgresStore({ url, host: 'bench' }) : new LowdbStore(hosts[0].dir);
  await q.open();
  await q.enqueue(Array.from({ length: N }, (_, i) => job(i)));
  await q.close();
  const sent = () => hosts.reduce((n, h) => n + h.sim.rec.sent.length, 0);
  const procs = hosts.map((h) => startMeasured(process.execPath, [...cliNodeFlags(), CLI, 'serve', '--data', h.dir], { env: { LOG_LEVEL: 'warn' }, logFile: path.join(h.dir, 'log') }));
  await waitUntil(() => sent() > 0, 'the first text', 120_000);
  const cpu0 = procs.reduce((n, p) => n + p.sample().cpuMs, 0);
  const pg0 = treeCpuMs(postmaster);
  const first = Math.min(...hosts.filter((h) => h.sim.rec.sent.length).map((h) => h.sim.rec.sent[0].t));
  const done0 = sent();
  await waitUntil(() => sent() >= N, `all ${N} texts`, 600_000);
  const last = Math.max(...hosts.map((h) => h.sim.rec.sent.at(-1)?.t ?? 0));
  const cpu = procs.reduce((n, p) => n + p.sample().cpuMs, 0) - cpu0;
  const pgCpu = treeCpuMs(postmaster) - pg0;
  const window = N - done0;
  for (const p of procs) await p.stop();
  for (const h of hosts) {
    await h.sim.close();
    rmSync(h.dir, { recursive: true, force: true });
  }
  return [kind, String(count), fmt(N / ((last - first) / 1000), 0), fmt(cpu / window, 2), kind === 'postgres' ? fmt(pgCpu / window, 2) : '-', String(sent() - N)];
}

try {
  process.stdout.write(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}; PostgreSQL ${readFileSync(path.join(pgDir, 'data/PG_VERSION'), 'utf8').trim()} (fsync off)\n\n`);
  const rows = [await claims('lowdb', 1), await claims('postgres', 1), await claims('postgres', 3)];
  process.stdout.write(`Claims (claimNext + updateJob sent), ${CLAIMS} jobs\n\n`);
  process.stdout.write(mdTable(['store', 'claimers', 'claims/s', 'client CPU ms/claim', 'PostgreSQL CPU ms/claim'], rows) + '\n\n');
  const srv = [await servers('lowdb', 1), await servers('postgres', 1), await servers('postgres', 3)];
  process.stdout.write(`Servers on zero-delay simulated modems, ${N} mass texts\n\n`);
  process.stdout.write(mdTable(['store', 'hosts', 'msg/s', 'server CPU ms/msg', 'PostgreSQL CPU ms/msg', 'extra sends'], srv) + '\n');
} finally {
  execFileSync(SCRIPT, ['stop', pgDir]);
}
