#!/usr/bin/env node
/**
 * Inbound → webhook latency (issue 11): prints figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/webhook-latency.mjs [--runs 50] [--route prefix|number|last-sender] [--profile generic]
 *
 * The real server (startServer) on the simulated modem behind a real pseudo-terminal, on a fresh
 * data folder with one account whose webhook is a local node:http receiver answering 200 at once.
 * Per run an SMS is put on the SIM (the modem announces it with +CMTI) and we time until the signed
 * POST reaches the receiver — read (AT+CMGR), decode, store, route (claim + forward in one write),
 * sign and send — and, separately, until the forward is recorded as delivered. Sequential runs.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { num, parseArgs } from './lib/args.mjs';
import { dist as load } from './lib/env.mjs';
import { pct } from './lib/stats.mjs';

const { startSimulatorOnPty } = await load('sim/index.js');
const { startServer } = await load('daemon/server.js');
const { loadConfig } = await load('config/config.js');
const { LowdbStore } = await load('store/index.js');
const { createAccount, makeCredentials } = await load('accounts/index.js');
const { loadOrCreateKey } = await load('util/secret.js');
const { createLogger } = await load('util/log.js');

const args = parseArgs();
const runs = num(args.runs, 50);
const route = args.route ?? 'prefix';
const profile = args.profile ?? 'generic';
const SIM_NUMBER = '+79990000001';
const SUBSCRIBER = '+79001234567';

// The receiver: resolves the waiter of the run whose entry id the body names.
let onRequest = () => {};
const rx = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    res.writeHead(200).end();
    onRequest(at, JSON.parse(Buffer.concat(chunks).toString('utf8')), req.headers);
  });
});
await new Promise((r) => rx.listen(0, '127.0.0.1', r));
const webhook = `http://127.0.0.1:${rx.address().port}/hook`;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-bench-webhook-'));
const device = path.join(dataDir, 'modem');
const sim = await startSimulatorOnPty({ link: device, profile, ownNumber: SIM_NUMBER });
{
  const store = new LowdbStore(dataDir);
  await store.open();
  const creds = makeCredentials(loadOrCreateKey({ dataDir }));
  await createAccount(store, { login: 'acme', webhook, ...(route === 'number' ? { number: SIM_NUMBER } : {}) }, creds, { country: 'RU' }, new Date());
  if (route === 'last-sender') {
    const now = new Date().toISOString();
    const [job] = await store.enqueue([{ to: SUBSCRIBER, text: 'hello', priority: 'notification', state: 'sent', attempts: 1, nextAttemptAt: now, sentAt: now, account: 'acme' }]);
    await store.updateJob(job.id, { state: 'sent', sentAt: now });
  }
  await store.close();
}
const base = loadConfig({ dataDir });
const server = await startServer({ ...base, device, profile, inbound: { ...base.inbound, perSenderPerHour: 100_000 } }, createLogger('silent'));
const t0 = Date.now();
while (server.supervisor.state !== 'ready') {
  if (Date.now() - t0 > 20_000) throw new Error('modem not ready after 20 s');
  await new Promise((r) => setTimeout(r, 20));
}
await new Promise((r) => setTimeout(r, 300)); // the first sweep and AT+CNUM settle

const requestMs = [];
const deliveredMs = [];
const stamp = Date.UTC(2026, 10, 21, 10, 0, 0);
for (let i = 0; i < runs; i++) {
  const text = route === 'prefix' ? `acme: run ${i}` : `run ${i}`;
  const got = new Promise((resolve) => {
    onRequest = (at, body, headers) => {
      if (body.text.endsWith(`run ${i}`)) resolve({ at, body, headers });
    };
  });
  const start = performance.now();
  sim.modem.injectSms(SUBSCRIBER, text, { timestamp: new Date(stamp + i * 1000) });
  const r = await got;
  requestMs.push(r.at - start);
  if (r.body.routedBy !== route) throw new Error(`run ${i}: routed by ${r.body.routedBy}, expected ${route}`);
  for (;;) {
    const [f] = await server.store.listForwards({ ref: r.body.id });
    if (f?.status === 'delivered') break;
    await new Promise((res) => setTimeout(res, 2));
  }
  deliveredMs.push(performance.now() - start);
  await new Promise((res) => setTimeout(res, 50)); // AT+CMGD and bookkeeping: idle again
}

await server.stop();
await sim.close();
rx.close();
rmSync(dataDir, { recursive: true, force: true });

const f = (xs) => `p50 ${pct(xs, 0.5).toFixed(1)} ms, p99 ${pct(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)} ms`;
console.log(`webhook latency: ${runs} runs, route ${route}, profile ${profile}, node ${process.version}`);
console.log(`  +CMTI → webhook request at the receiver: ${f(requestMs)}`);
console.log(`  +CMTI → forward recorded delivered:      ${f(deliveredMs)}`);
