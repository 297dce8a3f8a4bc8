#!/usr/bin/env node
/**
 * Reply latency: an inbound SMS arrives (+CMTI) → the AT+CMGS of its acknowledgement reaches the
 * modem. sms-server answers `CLIENT info` from a registered client (ack, then the result);
 * gammu-smsd and smstools3 have no commands, so each gets its closest path: a hook that queues a
 * reply (gammu-smsd RunOnReceive → gammu-smsd-inject, renamed to outbox priority A; smstools3
 * eventhandler on RECEIVED → a `Priority: high` file in outgoing). Their figure is mostly their
 * polling interval. Prints p50/p99, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/latency.mjs [--requests 50] [--load-requests 50] [--peer-requests 10] [--full] [--only …]
 *
 * Idle: the modem answers submits at once; one request at a time, the next after all replies of
 * the last went out and a random 0–300 ms pause. Under load: a mass text runs on a 3 s-per-submit
 * modem; requests one at a time after the mass started, each after a random 0–3 s pause, so they
 * land at random points of a running submit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, num } from './lib/args.mjs';
import { ensureBuilt } from './lib/env.mjs';

const MASS_TEXT = 'Weekend sale: 20% off everything in store. Reply STOP to opt out.';

/**
 * @param system lib/systems.mjs entry
 * @param o { requests, loaded: boolean, delayMs }
 */
export async function measureLatency(system, { requests, loaded, delayMs = 3000 }) {
  const { startSim } = await import('./lib/sim.mjs');
  const { pct, sleep, waitUntil } = await import('./lib/stats.mjs');
  const ours = system.id === 'sms-server';
  const dir = await mkdtemp(path.join(os.tmpdir(), `bench-lat-${system.id}-`));
  const sim = await startSim(dir, { sendDelayMs: loaded ? delayMs : 0 });
  const phones = Array.from({ length: requests }, (_, i) => '+7902' + String(1000000 + i));
  // Enough mass texts to outlast the requests (each costs ≤ 3 submits + a pause); the run stops when they are done.
  const massN = loaded ? Math.ceil((requests * (ours ? 4 : 8) * delayMs + 60_000) / delayMs) : 0;
  const mass = loaded ? { text: MASS_TEXT, recipients: Array.from({ length: massN }, (_, i) => '+7903' + String(1000000 + i)) } : undefined;
  let proc;
  const lat = [];
  let missed = 0;
  try {
    const { start } = await system.prepare(path.join(dir, 'd'), sim.path, { replyHook: true, clients: ours ? phones : [], mass });
    proc = start();
    // Ready: sms-server after its first storage sweep; the peers after their init settles.
    if (loaded) await waitUntil(() => sim.rec.sent.length > 0, `${system.label}: first mass submit`, 120_000);
    else if (ours) await waitUntil(() => sim.rec.commands.some((c) => c.line.startsWith('AT+CMGL')), 'sms-server: first sweep', 30_000);
    else {
      await waitUntil(() => sim.rec.commands.length > 0, `${system.label}: first command`, 30_000);
      await sleep(5_000);
    }
    const cpu0 = proc.sample().cpuMs;
    const wall0 = performance.now();
    const perReply = ours ? 2 : 1;
    // A peer that polls every N s needs up to N s + a submit; sms-server should answer in ms.
    const waitMs = (loaded ? 4 * delayMs : 0) + (ours ? 30_000 : 90_000);
    for (const [i, phone] of phones.entries()) {
      const mark = sim.rec.sent.length;
      const t0 = sim.inject(phone, ours ? 'CLIENT info' : 'Hello, please answer');
      const mine = () => sim.rec.sent.slice(mark).filter((s) => s.to === phone);
      try {
        await waitUntil(() => mine().length > 0, `reply ${i + 1} to ${phone}`, waitMs, 5);
        lat.push(mine()[0].cmgsAt - t0);
        await waitUntil(() => mine().length >= perReply, `all replies ${i + 1}`, waitMs, 5);
      } catch (e) {
        missed++;
        process.stderr.write(`${system.label}: ${e.message}\n`);
        if (missed >= 3) break;
      }
      if (loaded && sim.rec.sent.length - mark > massN) break;
      await sleep(Math.random() * (loaded ? delayMs : 300));
    }
    const cpuPct = ((proc.sample().cpuMs - cpu0) / (performance.now() - wall0)) * 100;
    return {
      cpuPct,
      system: system.label,
      scenario: loaded ? `mass text running, ${delayMs / 1000} s/submit` : 'idle',
      requests: lat.length,
      missed,
      p50: pct(lat, 0.5),
      p99: pct(lat, 0.99),
      max: Math.max(...lat),
      min: Math.min(...lat),
    };
  } finally {
    await proc?.stop();
    await sim.close();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

export function line(r) {
  const ms = (x) => (Number.isFinite(x) ? (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`) : '-');
  return `${r.system.padEnd(22)} ${r.scenario.padEnd(30)} p50 ${ms(r.p50)}, p99 ${ms(r.p99)} (min ${ms(r.min)}, max ${ms(r.max)}) over ${r.requests} requests, daemon CPU ${r.cpuPct.toFixed(1)}%${r.missed ? `, ${r.missed} without a reply in time` : ''}`;
}

export async function runLatency({ requests = 50, loadRequests = 10, peerRequests = 3, peerLoaded = false, only, log = console.log } = {}) {
  const { selectSystems } = await import('./lib/systems.mjs');
  const rows = [];
  for (const s of selectSystems(only)) {
    const ours = s.id === 'sms-server';
    rows.push(await measureLatency(s, { requests: ours ? requests : peerRequests, loaded: false }));
    log(line(rows.at(-1)));
    if (ours || peerLoaded) {
      rows.push(await measureLatency(s, { requests: ours ? loadRequests : peerRequests, loaded: true }));
      log(line(rows.at(-1)));
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = parseArgs();
  ensureBuilt(Boolean(a.build));
  const full = Boolean(a.full);
  const o = {
    requests: num(a.requests, 50),
    loadRequests: num(a['load-requests'], full ? 50 : 10),
    peerRequests: num(a['peer-requests'], full ? 10 : 3),
    peerLoaded: full || Boolean(a['peer-loaded']),
    only: a.only,
  };
  console.log(`latency: CLIENT info → ack AT+CMGS; sms-server ${o.requests} idle + ${o.loadRequests} under load, peers ${o.peerRequests} each${o.peerLoaded ? ' idle and under load' : ' idle'}`);
  await runLatency(o);
}
