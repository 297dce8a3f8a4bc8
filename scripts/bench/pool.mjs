#!/usr/bin/env node
/**
 * Modem pool throughput: N simulated modems (each on its own pseudo-terminal, 3 s of network
 * time per submit) and a 400-recipient mass text queued before the server starts. Prints, per N:
 * the aggregate rate against the ideal (N modems × 1 submit / 3 s), each modem's share of the
 * submits and the fraction of the window its radio was busy, and the server's CPU time and RSS.
 * Prints figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/pool.mjs [--modems 4,16] [--n 400] [--delay 3000]
 *
 * Window: the first AT+CMGS on any modem → the last +CMGS reply. A modem's radio is busy from
 * its AT+CMGS line to its +CMGS reply. The simulators run in this process; the server is a child
 * process (`sms-server serve` with `modems` in its config), measured from /proc.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { num, parseArgs } from './lib/args.mjs';
import { CLI, dist, ensureBuilt } from './lib/env.mjs';

ensureBuilt();
const { startSimulatorOnPty } = await dist('sim/index.js');
const { startMeasured } = await import('./lib/proc.mjs');
const { queueMass, writeConfig } = await import('./lib/sms-server.mjs');
const { pct } = await import('./lib/stats.mjs');

/** N simulators with a per-modem record of submits: { id, path, sent: [{ t, cmgsAt, to }] }. */
async function startSims(dir, n, delayMs) {
  const sims = [];
  for (let i = 1; i <= n; i++) {
    const id = `m${i}`;
    const link = path.join(dir, `tty-${id}`);
    const sim = await startSimulatorOnPty({ link, sendDelayMs: delayMs, profile: 'generic', noise: 0 });
    const rec = { id, link, sim, sent: [], cmgsAt: undefined };
    sim.modem.on('command', (line) => {
      if (/^AT\+CMGS=/i.test(line)) rec.cmgsAt = performance.now();
    });
    sim.modem.on('sent', (s) => rec.sent.push({ t: performance.now(), cmgsAt: rec.cmgsAt, to: s.to }));
    sims.push(rec);
  }
  return sims;
}

async function measure(n, count, delayMs) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bench-pool-${n}-`));
  const sims = await startSims(dir, n, delayMs);
  const data = path.join(dir, 'd');
  let proc;
  try {
    writeConfig(data, {
      modems: sims.map((s, i) => ({ id: s.id, device: s.link, number: `+7990${String(i + 1).padStart(7, '0')}` })),
      // The send timeout must cover the simulated network time.
      modem: { sendTimeoutSeconds: Math.ceil(delayMs / 1000) + 30 },
    });
    const recipients = Array.from({ length: count }, (_, i) => `+7901${String(i).padStart(7, '0')}`);
    await queueMass(data, 'Pool benchmark: one part, the same for everyone.', recipients);
    const t0 = performance.now();
    proc = startMeasured(process.execPath, [CLI, 'serve', '--data', data], { logFile: path.join(dir, 'server.log') });
    const all = () => sims.reduce((k, s) => k + s.sent.length, 0);
    const end = t0 + 120_000 + (count / n) * (delayMs + 2_000);
    let idle;
    while (all() < count && performance.now() < end) {
      if (proc.child.exitCode !== null) throw new Error(`server exited (${proc.child.exitCode}); see ${dir}/server.log`);
      // RSS once every modem is on the air (start-up done, campaign under way).
      if (!idle && sims.every((s) => s.sent.length > 0)) idle = proc.sample();
      await new Promise((r) => setTimeout(r, 50));
    }
    const usage = proc.sample();
    const sent = sims.flatMap((s) => s.sent);
    const first = Math.min(...sent.map((s) => s.cmgsAt));
    const last = Math.max(...sent.map((s) => s.t));
    const windowS = (last - first) / 1000;
    const shares = sims.map((s) => ({
      id: s.id,
      submits: s.sent.length,
      share: s.sent.length / sent.length,
      busy: s.sent.reduce((b, x) => b + (x.t - x.cmgsAt), 0) / (last - first),
    }));
    const distinct = new Set(sent.map((s) => s.to)).size;
    // Idle time of a modem between its submits: its +CMGS reply → its next AT+CMGS.
    const gaps = sims.flatMap((s) => s.sent.slice(1).map((x, i) => x.cmgsAt - s.sent[i].t));
    // Each modem's own window (its first AT+CMGS → its last reply): how busy it was while it had work.
    const ownBusy = sims.map((s) => s.sent.reduce((b, x) => b + (x.t - x.cmgsAt), 0) / (s.sent.at(-1).t - s.sent[0].cmgsAt));
    return {
      n,
      count,
      submits: sent.length,
      distinct,
      windowS,
      rate: sent.length / windowS,
      ideal: n / (delayMs / 1000),
      startupS: (first - t0) / 1000,
      shareMin: Math.min(...shares.map((s) => s.share)),
      shareMax: Math.max(...shares.map((s) => s.share)),
      busyMin: Math.min(...shares.map((s) => s.busy)),
      busyMedian: pct(shares.map((s) => s.busy), 0.5),
      ownBusyMin: Math.min(...ownBusy),
      gapP50: pct(gaps, 0.5),
      gapP99: pct(gaps, 0.99),
      gapMax: Math.max(...gaps),
      tailS: (last - Math.min(...sims.map((s) => s.sent.at(-1).t))) / 1000,
      headS: (Math.max(...sims.map((s) => s.sent[0].cmgsAt)) - first) / 1000,
      shares,
      cpuS: usage.cpuMs / 1000,
      cpuPerMsgMs: usage.cpuMs / sent.length,
      rssMb: usage.mainRssKb / 1024,
      rssRunningMb: (idle?.mainRssKb ?? usage.mainRssKb) / 1024,
    };
  } finally {
    await proc?.stop();
    for (const s of sims) await s.sim.close();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

function report(r) {
  const lines = [
    `${r.n} modems, ${r.count} recipients, ${r.submits} submits (${r.distinct} distinct recipients) in ${r.windowS.toFixed(1)} s ` +
      `(server start → first submit ${r.startupS.toFixed(1)} s)`,
    `  aggregate ${r.rate.toFixed(3)} msg/s against the ideal ${r.ideal.toFixed(3)} msg/s: ${((100 * r.rate) / r.ideal).toFixed(1)} %`,
    `  radio share per modem ${(100 * r.shareMin).toFixed(1)}–${(100 * r.shareMax).toFixed(1)} % (fair: ${(100 / r.n).toFixed(1)} %); ` +
      `radio busy min ${(100 * r.busyMin).toFixed(1)} %, median ${(100 * r.busyMedian).toFixed(1)} % of the window`,
    `  each modem busy ≥ ${(100 * r.ownBusyMin).toFixed(1)} % of its own first-submit → last-reply span; idle gap between a modem's submits ` +
      `p50 ${r.gapP50.toFixed(0)} ms, p99 ${r.gapP99.toFixed(0)} ms, max ${r.gapMax.toFixed(0)} ms; last modem on the air ${r.headS.toFixed(1)} s after the first, ` +
      `first done ${r.tailS.toFixed(1)} s before the last`,
    `  per modem: ${r.shares.map((s) => `${s.id} ${s.submits}`).join(', ')}`,
    `  server CPU ${r.cpuS.toFixed(2)} s (${r.cpuPerMsgMs.toFixed(2)} ms/msg); RSS ${r.rssRunningMb.toFixed(0)} MB once all modems sent, peak ${r.rssMb.toFixed(0)} MB`,
  ];
  return lines.join('\n');
}

const args = parseArgs();
const counts = String(args.modems ?? '4,16').split(',').map(Number);
const n = num(args.n, 400);
const delay = num(args.delay, 3000);
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`modem pool benchmark: ${n} one-part mass texts, ${delay} ms per submit; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${load()}`);
for (const c of counts) console.log(report(await measure(c, n, delay)) + `\n  load average after: ${load()}`);
