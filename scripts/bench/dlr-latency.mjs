#!/usr/bin/env node
/**
 * Delivery-report latency: from a status report leaving the simulated SMSC to the job's delivery
 * state written to the data folder. Prints figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/dlr-latency.mjs [--reports 100] [--mode both|routed|stored] [--profile generic]
 *
 * The real server (startServer) on the simulated modem behind a real pseudo-terminal, fresh data
 * folder. First `--reports` one-part notifications with TP-SRR are sent (the simulated network
 * sends no report by itself: policy `none`). Then one report at a time is injected for one of
 * those parts, and timed until the delivery tracker has written the job (its `report` event fires
 * after the store write resolved, fsync included). Modes: `routed` = AT+CNMI ds=1 (`+CDS` with the
 * PDU), `stored` = ds=2 (`+CDSI`, AT+CMGR, apply, then AT+CMGD).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, num } from './lib/args.mjs';
import { dist } from './lib/env.mjs';
import { pct, fmt, waitUntil } from './lib/stats.mjs';

const { startSimulatorOnPty } = await dist('sim/index.js');
const { startServer } = await dist('daemon/server.js');
const { loadConfig } = await dist('config/config.js');
const { createLogger } = await dist('util/log.js');

const args = parseArgs();
const reports = num(args.reports, 100);
const profile = args.profile ?? 'generic';
const modes = args.mode && args.mode !== 'both' ? [args.mode] : ['routed', 'stored'];

async function run(mode) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-bench-dlr-'));
  const device = path.join(dataDir, 'modem');
  const sim = await startSimulatorOnPty({
    link: device,
    profile,
    noise: 0,
    reports: { outcome: 'none' },
    // Without ds=1 in AT+CNMI=? the driver stores reports (ds=2).
    ...(mode === 'stored' ? { cnmiSupport: '(0-3),(0-3),(0,2),(0,2),(0,1)' } : {}),
  });
  const base = loadConfig({ dataDir });
  const cfg = { ...base, device, profile, queue: { ...base.queue, massPerMinute: 10_000, dailyCap: 1_000_000, deliveryReports: true } };
  const server = await startServer(cfg, createLogger('silent'));
  try {
    await waitUntil(() => server.supervisor.state === 'ready', 'modem ready', 20_000);
    const phones = Array.from({ length: reports }, (_, i) => `+7900${String(2_000_000 + i).slice(1)}`);
    const now = new Date().toISOString();
    await server.store.enqueue(phones.map((to) => ({ to, text: 'Your parcel is ready', priority: 'notification', state: 'queued', attempts: 0, nextAttemptAt: now })));
    server.worker.kick();
    await waitUntil(() => sim.modem.sent.length >= reports, `${reports} sends`, 120_000);
    await waitUntil(async () => (await server.store.listJobs({ state: 'sent', limit: reports })).length >= reports, 'jobs marked sent', 30_000);

    const ms = [];
    for (const part of sim.modem.sent.slice(0, reports)) {
      const done = new Promise((resolve) => {
        const on = (r) => {
          server.delivery.off('report', on);
          resolve(r);
        };
        server.delivery.on('report', on);
      });
      const t0 = performance.now();
      sim.modem.injectStatusReport({ mr: part.mr, to: part.to, status: 0 });
      const r = await done;
      ms.push(performance.now() - t0);
      if (r.kind !== 'applied') throw new Error(`report for MR ${part.mr} was ${r.kind}`);
      if (mode === 'stored') await waitUntil(() => sim.modem.storage('SM').length === 0, 'report deleted from the SIM', 5_000, 2);
    }
    const delivered = (await server.store.listJobs({ limit: reports })).filter((j) => j.delivery?.state === 'delivered').length;
    return { mode, ms, delivered };
  } finally {
    await server.stop();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`delivery-report latency: ${reports} reports per mode, profile ${profile}, node ${process.version}, ${os.cpus().length} CPUs`);
for (const mode of modes) {
  const { ms, delivered } = await run(mode);
  const label = mode === 'routed' ? 'ds=1 (+CDS + PDU)' : 'ds=2 (+CDSI, AT+CMGR, AT+CMGD)';
  console.log(
    `  ${label.padEnd(32)} report injected → job delivery written: p50 ${fmt(pct(ms, 0.5))} ms, p99 ${fmt(pct(ms, 0.99))} ms, max ${fmt(Math.max(...ms))} ms (${delivered}/${reports} jobs delivered)`,
  );
}
