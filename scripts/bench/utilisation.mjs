#!/usr/bin/env node
/**
 * Modem utilisation: with a simulated modem that takes 3 s per submit (network time between
 * Ctrl-Z and +CMGS) and N queued messages, the fraction of wall time the modem spends on submits
 * while the queue is non-empty. Target ≥ 0.99. Prints figures, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/utilisation.mjs [--n 100] [--delay 3000] [--full] [--only …]
 *
 * A submit runs from its AT+CMGS line to the modem's +CMGS reply. Window: first AT+CMGS → last
 * reply (the queue is non-empty throughout). Idle gaps = reply → next AT+CMGS. Quick mode sends
 * 20 single-part messages; --full the 100-message mix (≈ 200 submits, ~10 min).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, num } from './lib/args.mjs';
import { ensureBuilt } from './lib/env.mjs';

export async function measureUtilisation(system, messages, delayMs) {
  const { startSim, checkDelivered } = await import('./lib/sim.mjs');
  const { pct, sum } = await import('./lib/stats.mjs');
  const dir = await mkdtemp(path.join(os.tmpdir(), `bench-util-${system.id}-`));
  const sim = await startSim(dir, { sendDelayMs: delayMs });
  const parts = messages.reduce((n, m) => n + m.parts, 0);
  let proc;
  try {
    const { start } = await system.prepare(path.join(dir, 'd'), sim.path, { messages });
    const t0 = performance.now();
    proc = start();
    const end = t0 + 120_000 + parts * (delayMs + 3_000);
    while (sim.rec.sent.length < parts && performance.now() < end) {
      if (proc.child.exitCode !== null) throw new Error(`${system.label} exited (${proc.child.exitCode}); see ${dir}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const sent = sim.rec.sent;
    const busy = sum(sent.map((s) => s.t - s.cmgsAt));
    const first = sent[0].cmgsAt;
    const last = sent.at(-1).t;
    const gaps = sent.slice(1).map((s, i) => s.cmgsAt - sent[i].t);
    return {
      system: system.label,
      submits: sent.length,
      expected: parts,
      complete: checkDelivered(sent, messages).complete,
      n: messages.length,
      utilisation: busy / (last - first),
      utilisationFromStart: busy / (last - t0),
      startupS: (first - t0) / 1000,
      gapMedianMs: pct(gaps, 0.5),
      gapP99Ms: pct(gaps, 0.99),
      gapMaxMs: Math.max(...gaps),
      wallS: (last - first) / 1000,
    };
  } finally {
    await proc?.stop();
    await sim.close();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

export function line(r) {
  return (
    `${r.system.padEnd(22)} ${r.submits}/${r.expected} submits (${r.complete}/${r.n} messages intact) in ${r.wallS.toFixed(1)} s: ` +
    `utilisation ${r.utilisation.toFixed(4)} (from process start ${r.utilisationFromStart.toFixed(4)}, start-up ${r.startupS.toFixed(1)} s); ` +
    `idle gap between submits median ${r.gapMedianMs.toFixed(1)} ms, p99 ${r.gapP99Ms.toFixed(1)} ms, max ${r.gapMaxMs.toFixed(1)} ms`
  );
}

export async function runUtilisation({ full = false, n, delayMs = 3000, only = 'sms-server', log = console.log } = {}) {
  const { selectSystems } = await import('./lib/systems.mjs');
  const { workload, singles } = await import('./lib/workload.mjs');
  const messages = full ? workload(n ?? 100) : singles(n ?? 20);
  const rows = [];
  for (const s of selectSystems(only)) {
    rows.push(await measureUtilisation(s, messages, delayMs));
    log(line(rows.at(-1)));
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = parseArgs();
  ensureBuilt(Boolean(a.build));
  const full = Boolean(a.full);
  const delayMs = num(a.delay, 3000);
  console.log(`utilisation: ${full ? `${num(a.n, 100)}-message mix` : `${num(a.n, 20)} single-part messages`}, ${delayMs} ms per submit`);
  await runUtilisation({ full, n: a.n === undefined ? undefined : num(a.n), delayMs, only: a.only ?? 'sms-server' });
}
