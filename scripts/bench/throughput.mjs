#!/usr/bin/env node
/**
 * Send throughput, side by side on the same simulated modem (PTY, zero network delay): N queued
 * messages (7-bit, UCS2 and 3-part texts mixed; lib/workload.mjs) sent by sms-server, gammu-smsd
 * (files backend) and smstools3, each with default and speed-tuned settings. Prints figures,
 * asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/throughput.mjs [--n 1000] [--peer-n 40] [--full] [--only sms-server,gammu-tuned]
 *
 * Work is queued with the daemon stopped; the clock runs from the first AT+CMGS to the last
 * +CMGS reply (daemon start-up is shown apart). CPU = utime+stime of the daemon's process tree
 * over that window; peak RSS = VmHWM summed over the tree. Every run is checked: each queued
 * text must arrive complete and intact at the simulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, num } from './lib/args.mjs';
import { ensureBuilt } from './lib/env.mjs';

/** One daemon, one workload. Returns the figures. */
export async function measureThroughput(system, messages, { timeoutMs } = {}) {
  const { startSim, checkDelivered } = await import('./lib/sim.mjs');
  const dir = await mkdtemp(path.join(os.tmpdir(), `bench-tp-${system.id}-`));
  const sim = await startSim(dir, { sendDelayMs: 0 });
  const parts = messages.reduce((n, m) => n + m.parts, 0);
  let proc;
  try {
    const { start } = await system.prepare(path.join(dir, 'd'), sim.path, { messages });
    const t0 = performance.now();
    proc = start();
    let cpuAtFirst;
    const off = sim.onSent(() => {
      if (cpuAtFirst === undefined) cpuAtFirst = proc.sample().cpuMs; // ~ at the first submit
    });
    const limit = timeoutMs ?? 60_000 + parts * 3_000;
    const end = performance.now() + limit;
    while (sim.rec.sent.length < parts && performance.now() < end) {
      if (proc.child.exitCode !== null) throw new Error(`${system.label} exited (${proc.child.exitCode}); see ${dir}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    off();
    const s = proc.sample();
    const sent = sim.rec.sent;
    const check = checkDelivered(sent, messages);
    const first = sent[0]?.cmgsAt ?? NaN;
    const last = sent.at(-1)?.t ?? NaN;
    const sendS = (last - first) / 1000;
    const cpuMs = s.cpuMs - (cpuAtFirst ?? 0);
    return {
      system: system.label,
      n: messages.length,
      parts,
      sentParts: sent.length,
      complete: check.complete,
      wrong: check.wrong,
      timedOut: sent.length < parts,
      startupS: (first - t0) / 1000,
      sendS,
      msgPerS: check.complete / sendS,
      partPerS: sent.length / sendS,
      cpuMsPerMsg: cpuMs / Math.max(1, check.complete),
      cpuTotalMs: s.cpuMs,
      peakRssMB: s.rssKb / 1024,
    };
  } finally {
    await proc?.stop();
    await sim.close();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

/** Runs every selected system; returns rows. */
export async function runThroughput({ n, peerN, only, log = console.log } = {}) {
  const { selectSystems } = await import('./lib/systems.mjs');
  const { workload } = await import('./lib/workload.mjs');
  const systems = selectSystems(only);
  const rows = [];
  const ours = systems.find((s) => s.id === 'sms-server');
  if (ours && n !== peerN) {
    rows.push(await measureThroughput(ours, workload(n)));
    log(line(rows.at(-1)));
  }
  for (const s of systems) {
    rows.push(await measureThroughput(s, workload(peerN)));
    log(line(rows.at(-1)));
  }
  return rows;
}

export function line(r) {
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  return (
    `${r.system.padEnd(22)} n=${String(r.n).padStart(5)} (${r.parts} PDUs): ${f(r.msgPerS, 2)} msg/s, ${f(r.partPerS, 2)} PDU/s, ` +
    `${f(r.cpuMsPerMsg, 2)} CPU ms/msg, peak RSS ${f(r.peakRssMB)} MB, start-up ${f(r.startupS)} s, ` +
    `${r.complete}/${r.n} intact${r.timedOut ? ` — TIMED OUT after ${r.sentParts} PDUs` : ''}${r.wrong.length ? ` — e.g. ${r.wrong[0]}` : ''}`
  );
}

/** Ratios of sms-server to each peer at the same n. */
export function ratios(rows) {
  const ours = rows.filter((r) => r.system === 'sms-server');
  return rows
    .filter((r) => r.system !== 'sms-server')
    .map((r) => {
      const o = ours.find((x) => x.n === r.n);
      return o ? `${r.system}: sms-server ${(o.msgPerS / r.msgPerS).toFixed(1)}x msg/s, ${(r.cpuMsPerMsg / o.cpuMsPerMsg).toFixed(2)}x less CPU/msg, ${(r.peakRssMB / o.peakRssMB).toFixed(2)}x RSS` : '';
    })
    .filter(Boolean);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = parseArgs();
  ensureBuilt(Boolean(a.build));
  const full = Boolean(a.full);
  const n = num(a.n, 1000);
  const peerN = num(a['peer-n'], full ? 1000 : 40);
  console.log(`throughput: ${n} messages through sms-server, ${peerN} through each (incl. sms-server at the same n for ratios)`);
  const rows = await runThroughput({ n, peerN, only: a.only });
  for (const l of ratios(rows)) console.log('ratio ' + l);
}
