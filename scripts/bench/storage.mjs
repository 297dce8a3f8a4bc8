#!/usr/bin/env node
/**
 * Storage scale seen from outside, complementing store.mjs (which times the store API in-process):
 * the real server process and CLI on a data folder holding N stored inbound messages.
 * Prints figures, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/storage.mjs [--full] [--sizes 1000,100000]
 *
 * Per N (1k, 100k; 1M with --full):
 *   - store one inbound SMS: +CMTI → the server's AT+CMGD on the wire (read, decoded, stored with
 *     fsync, then deleted from the SIM), p50/p99 over 20 messages;
 *   - `sms-server inbox --limit 20` wall time (a fresh CLI process, median of 5) while the server runs;
 *   - server RSS (VmRSS now, VmHWM peak) and start-up time to the first storage sweep.
 * Then, once: `sms-server mass --file` with 100k recipients handed to the running server (wall time of
 * the CLI, its peak RSS, the server's peak RSS after).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { CLI, ensureBuilt } from './lib/env.mjs';

function vm(pid, key) {
  const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function timeCli(args) {
  const { startMeasured } = await import('./lib/proc.mjs');
  const t = performance.now();
  const p = startMeasured(process.execPath, [CLI, ...args], { sampleMs: 20 });
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, p.sample().rssKb)), 20);
  const code = await p.exited;
  clearInterval(timer);
  if (code !== 0) throw new Error(`sms-server ${args.join(' ')} exited ${code}`);
  return { ms: performance.now() - t, peakMB: peak / 1024 };
}

export async function measureStorage(n, { mass = 0 } = {}) {
  const { startSim } = await import('./lib/sim.mjs');
  const { prefill } = await import('./lib/store-fill.mjs');
  const { writeConfig, startServerProcess } = await import('./lib/sms-server.mjs');
  const { pct, waitUntil, sleep } = await import('./lib/stats.mjs');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-storage-'));
  const data = path.join(dir, 'd');
  const sim = await startSim(dir, { sendDelayMs: 0 });
  let proc;
  try {
    const tFill = performance.now();
    await prefill(data, n);
    const fillS = (performance.now() - tFill) / 1000;
    writeConfig(data);
    const t0 = performance.now();
    proc = startServerProcess(data, sim.path);
    await waitUntil(() => sim.rec.commands.some((c) => c.line.startsWith('AT+CMGL')), 'first sweep', 300_000);
    const startupS = (performance.now() - t0) / 1000;
    const store = [];
    for (let i = 0; i < 20; i++) {
      const mark = sim.rec.commands.length;
      const t = sim.inject('+7904' + String(1000000 + i), `Just saying hello ${i}`);
      await waitUntil(() => sim.rec.commands.slice(mark).find((c) => c.line.startsWith('AT+CMGD')), 'AT+CMGD', 30_000, 2);
      store.push(sim.rec.commands.slice(mark).find((c) => c.line.startsWith('AT+CMGD')).t - t);
      await sleep(20);
    }
    const lists = [];
    for (let i = 0; i < 5; i++) lists.push((await timeCli(['inbox', '--limit', '20', '--data', data])).ms);
    const r = {
      n,
      fillS,
      startupS,
      storeP50: pct(store, 0.5),
      storeP99: pct(store, 0.99),
      inboxMs: pct(lists, 0.5),
      rssMB: vm(proc.pid, 'VmRSS'),
      hwmMB: vm(proc.pid, 'VmHWM'),
    };
    if (mass) {
      const file = path.join(dir, 'recipients.txt');
      writeFileSync(file, Array.from({ length: mass }, (_, i) => '+7905' + String(1000000 + i)).join('\n') + '\n');
      const c = await timeCli(['mass', '--file', file, '--text', 'Weekend sale: 20% off everything.', '--data', data]);
      r.mass = { n: mass, cliMs: c.ms, cliPeakMB: c.peakMB, serverHwmMB: vm(proc.pid, 'VmHWM') };
    }
    return r;
  } finally {
    await proc?.stop();
    await sim.close();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

export function lines(r) {
  const out = [
    `${String(r.n).padStart(8)} stored: store one inbound SMS (+CMTI → AT+CMGD) p50 ${r.storeP50.toFixed(1)} ms, p99 ${r.storeP99.toFixed(1)} ms; ` +
      `\`inbox --limit 20\` ${r.inboxMs.toFixed(0)} ms wall; server RSS ${r.rssMB.toFixed(1)} MB (peak ${r.hwmMB.toFixed(1)} MB); start-up to first sweep ${r.startupS.toFixed(2)} s`,
  ];
  if (r.mass) {
    out.push(
      `mass text to ${r.mass.n} recipients via the running server: CLI wall ${(r.mass.cliMs / 1000).toFixed(2)} s, CLI peak RSS ${r.mass.cliPeakMB.toFixed(1)} MB, server peak RSS after ${r.mass.serverHwmMB.toFixed(1)} MB`,
    );
  }
  return out;
}

export async function runStorage({ sizes, log = console.log } = {}) {
  const rows = [];
  for (const [i, n] of sizes.entries()) {
    rows.push(await measureStorage(n, { mass: i === 0 ? 100_000 : 0 }));
    for (const l of lines(rows.at(-1))) log(l);
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = parseArgs();
  ensureBuilt(Boolean(a.build));
  const sizes = a.sizes ? String(a.sizes).split(',').map(Number) : a.full ? [1_000, 100_000, 1_000_000] : [1_000, 100_000];
  console.log(`storage: server + CLI with ${sizes.join(', ')} stored inbound messages`);
  await runStorage({ sizes });
}
