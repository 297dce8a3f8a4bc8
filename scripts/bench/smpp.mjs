#!/usr/bin/env node
/**
 * SMPP submit figures: submit_sm → submit_sm_resp latency (p50/p99, one at a time: each response
 * means the job is durably stored) and sustained submit_sm per second (a window of 10 in flight),
 * then how long the zero-delay simulated modem takes to send them all. The real server (store,
 * queue worker, modem driver on a PTY) runs in this process with its SMPP listener; the client is
 * the `smpp` package's. Then the same against a listener whose submitter only counts (no store,
 * no modem): the SMPP layer's own cost. Prints figures, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/smpp.mjs [--latency 300] [--count 2000] [--window 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs, num } from './lib/args.mjs';
import { ensureBuilt, dist, ROOT } from './lib/env.mjs';

const args = parseArgs();
const LATENCY_N = num(args.latency, 300);
const COUNT = num(args.count, 2000);
const WINDOW = num(args.window, 10);

ensureBuilt();
const { startSim } = await import('./lib/sim.mjs');
const { pct, fmt, waitUntil } = await import('./lib/stats.mjs');
const { loadConfig } = await dist('config/config.js');
const { startServer } = await dist('daemon/server.js');
const { createLogger } = await dist('util/log.js');
const { startBenchSmpp } = await import('./lib/smpp-server.mjs');
const smpp = createRequire(path.join(ROOT, 'package.json'))('smpp');

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-smpp-'));
const sim = await startSim(dir, { sendDelayMs: 0 });
const base = loadConfig({ dataDir: path.join(dir, 'data') });
const cfg = {
  ...base,
  device: sim.path,
  profile: 'generic',
  queue: { ...base.queue, massPerMinute: 100_000, dailyCap: 1_000_000 },
  smpp: { ...base.smpp, enabled: true, port: 0, windowSize: WINDOW },
};
const server = await startServer(cfg, createLogger('silent'));
const listener = await startBenchSmpp(server, cfg, { perMinute: 1_000_000 });

async function connect(port, login, password) {
  const client = smpp.connect({ host: '127.0.0.1', port });
  await new Promise((r) => client.once('connect', r));
  const call = (command, fields) => new Promise((resolve) => client.send(new smpp.PDU(command, fields), resolve));
  const bind = await call('bind_transceiver', { system_id: login, password });
  if (bind.command_status !== 0) throw new Error(`bind failed: ${bind.command_status}`);
  client.on('deliver_sm', (p) => client.send(p.response()));
  client.on('enquire_link', (p) => client.send(p.response()));
  const submit = (i) =>
    call('submit_sm', { destination_addr: String(79031_000_000 + i), dest_addr_ton: 1, data_coding: 0, short_message: Buffer.from(`Bench message ${i}`) });
  return { client, submit };
}

/** One at a time: latencies in ms. */
async function latencies(submit, n, from) {
  const lat = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await submit(from + i);
    lat.push(performance.now() - t0);
    if (r.command_status !== 0) throw new Error(`submit_sm ${i}: status ${r.command_status}`);
  }
  return lat;
}

/** `count` submits with `window` in flight: elapsed ms and refusals. */
async function sustained(submit, count, window, from) {
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let failed = 0;
  await new Promise((resolve) => {
    const pump = () => {
      while (next < count && next - done < window) {
        const i = from + next++;
        submit(i).then((r) => {
          done++;
          if (r.command_status !== 0) failed++;
          if (done === count) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  return { ms: performance.now() - t0, failed };
}

const real = await connect(listener.port, listener.login, listener.password);
const lat = await latencies(real.submit, LATENCY_N, 0);
await waitUntil(() => sim.rec.sent.length >= LATENCY_N, 'the latency messages to leave the modem', 120_000);
const sentBefore = sim.rec.sent.length;
const t0 = performance.now();
const { ms: acceptMs, failed } = await sustained(real.submit, COUNT, WINDOW, LATENCY_N);
await waitUntil(() => sim.rec.sent.length - sentBefore >= COUNT, 'every message to leave the modem', 600_000);
const sendMs = performance.now() - t0;
real.client.close();
await listener.stop();
await server.stop();
await sim.close();

// The SMPP layer alone: a submitter that only counts.
const { SmppServer } = await dist('smpp/index.js');
let n = 0;
const bare = new SmppServer({
  config: { ...cfg.smpp },
  accounts: { authenticate: async (id) => ({ login: id }) },
  submitter: { submit: async () => `job-${++n}` },
  deliverQueue: { enqueue: async () => undefined, claim: async () => [], ack: async () => undefined, release: async () => undefined, nextDueAt: async () => undefined },
});
const bareAt = await bare.start();
const layer = await connect(bareAt.port, 'bench', 'x');
const layerLat = await latencies(layer.submit, LATENCY_N, 0);
const layerRun = await sustained(layer.submit, COUNT * 5, WINDOW, 0);
layer.client.close();
await bare.stop();
await rm(dir, { recursive: true, force: true });

console.log(`SMPP submit (node ${process.version}, ${os.cpus().length} cores, zero-delay simulated modem on a PTY)`);
console.log(`submit_sm → submit_sm_resp, one at a time (n=${LATENCY_N}): p50 ${fmt(pct(lat, 0.5), 2)} ms, p99 ${fmt(pct(lat, 0.99), 2)} ms`);
console.log(`sustained submit_sm, window ${WINDOW} (n=${COUNT}): ${fmt((COUNT / acceptMs) * 1000, 0)} submit_sm/s accepted${failed ? `, ${failed} refused` : ''}`);
console.log(`  all ${COUNT} sent by the modem after ${fmt(sendMs / 1000, 1)} s: ${fmt((COUNT / sendMs) * 1000, 0)} SMS/s end to end`);
console.log(`SMPP layer alone (submitter only counts): p50 ${fmt(pct(layerLat, 0.5), 2)} ms, p99 ${fmt(pct(layerLat, 0.99), 2)} ms; ${fmt(((COUNT * 5) / layerRun.ms) * 1000, 0)} submit_sm/s (n=${COUNT * 5}, window ${WINDOW})`);
console.log(`load average during the run: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
