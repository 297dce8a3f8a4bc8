#!/usr/bin/env node
/**
 * Inbound latency benchmark (issue #3: "acknowledged within 2 minutes"): prints figures, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/inbound-latency.mjs [--runs 50] [--send-delay 0] [--profile generic] [--mass 0]
 *
 * The real server (startServer) on the simulated modem behind a real pseudo-terminal, on a fresh
 * data folder with one registered client, idle (nothing queued). Per run: a `CLIENT info` is put
 * on the SIM (+CMTI), and we time until the modem accepts the acknowledgement's AT+CMGS (the ack
 * "on the wire") and the credentials reply. Runs are sequential; the server is idle at each start.
 * --send-delay adds simulated network time per AT+CMGS (real networks: 2–10 s).
 * --mass N: before each run, queue a mass text to N numbers (not idle: the ack must jump that queue).
 * --store postgres://…: on PostgreSQL (several hosts, issue 17) instead of the data folder's files;
 *   with --prefill N, N inbox entries and N sent jobs (days old) are inserted first, in SQL:
 *     URL=$(scripts/pg/test-server.sh start /tmp/bench-pg)
 *     node scripts/bench/inbound-latency.mjs --store "$URL" --prefill 1000000
 *     scripts/pg/test-server.sh stop /tmp/bench-pg
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist');
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { startSimulatorOnPty } = await load('sim/index.js');
const { startServer } = await load('daemon/server.js');
const { loadConfig } = await load('config/config.js');
const { addClient } = await load('commands/index.js');
const { LowdbStore } = await load('store/index.js');
const { loadOrCreateKey } = await load('util/secret.js');
const { createLogger } = await load('util/log.js');
const { createCampaign } = await load('queue/index.js');

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const runs = Number(arg('--runs', '50'));
const sendDelayMs = Number(arg('--send-delay', '0'));
const profile = arg('--profile', 'generic');
const mass = Number(arg('--mass', '0'));
const storeUrl = arg('--store', undefined);
const prefill = Number(arg('--prefill', '0'));
const KEY = 'd'.repeat(64);

const ACK = 'Your request has been received. Wait for notification of the request being processed.';
const PHONE = '+79001234567';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-bench-inbound-'));
const device = path.join(dataDir, 'modem');
const sim = await startSimulatorOnPty({ link: device, profile, sendDelayMs });
let prefillMs = 0;
{
  const { PostgresStore } = storeUrl ? await load('store/postgres/index.js') : {};
  const store = storeUrl ? new PostgresStore({ url: storeUrl, host: 'bench' }) : new LowdbStore(dataDir);
  await store.open();
  await addClient(store, { phone: PHONE, code: '1234', login: 'ivanov', password: '1a2b3c4d' }, loadOrCreateKey({ dataDir, configKey: storeUrl ? KEY : undefined }), { country: 'RU' });
  await store.close();
  if (storeUrl && prefill > 0) prefillMs = await prefillPostgres(storeUrl, prefill);
}

/** N inbox entries and N sent jobs, 10+ days old (outside every start-up scan), inserted in SQL. */
async function prefillPostgres(url, n) {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const t = performance.now();
  await c.query(
    `INSERT INTO inbox (dedup_key, from_addr, status, received_at, doc)
     SELECT 'bench-' || g, '+7900' || lpad((g % 1000000)::text, 7, '0'), 'processed', now() - interval '10 days' - g * interval '1 second',
            jsonb_build_object('from', '+7900' || lpad((g % 1000000)::text, 7, '0'), 'text', 'old message ' || g, 'receivedAt', to_char((now() - interval '10 days' - g * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                               'status', 'processed', 'dedupKey', 'bench-' || g, 'parts', 1, 'modem', 'default')
       FROM generate_series(1, $1) g`,
    [n],
  );
  await c.query(
    `INSERT INTO jobs (state, priority_rank, next_attempt_at, to_addr, created_at, sent_at, doc)
     SELECT 'sent', 1, now() - interval '10 days', '+7901' || lpad((g % 1000000)::text, 7, '0'), now() - interval '10 days', now() - interval '10 days',
            jsonb_build_object('to', '+7901' || lpad((g % 1000000)::text, 7, '0'), 'text', 'old notification ' || g, 'priority', 'notification', 'state', 'sent', 'attempts', 1,
                               'nextAttemptAt', '2026-01-01T00:00:00.000Z', 'createdAt', '2026-01-01T00:00:00.000Z', 'updatedAt', '2026-01-01T00:00:00.000Z', 'sentAt', '2026-01-01T00:00:00.000Z')
       FROM generate_series(1, $1) g`,
    [n],
  );
  await c.query('ANALYZE');
  await c.end();
  return performance.now() - t;
}
const base = loadConfig({ dataDir });
const cfg = {
  ...base,
  device,
  profile,
  inbound: { ...base.inbound, perSenderPerHour: 100_000 },
  queue: { ...base.queue, massPerMinute: 10_000, dailyCap: 1_000_000 },
  ...(storeUrl ? { store: { ...base.store, kind: 'postgres', url: storeUrl, host: 'bench' }, secretKey: KEY } : {}),
};
const server = await startServer(cfg, createLogger('silent'));
const t0 = Date.now();
while (server.supervisor.state !== 'ready') {
  if (Date.now() - t0 > 20_000) throw new Error('modem not ready after 20 s');
  await new Promise((r) => setTimeout(r, 20));
}

const ackMs = [];
const resultMs = [];
const stamp = Date.UTC(2026, 10, 21, 10, 0, 0);
let massBehind = 0;
for (let i = 0; i < runs; i++) {
  if (mass > 0) {
    const fileText = Array.from({ length: mass }, (_, k) => `+7900${String(i).padStart(3, '0')}${String(k).padStart(4, '0')}`).join('\n');
    await createCampaign(server.store, { text: `Mass text ${i}`, fileText }, { country: 'RU' });
    server.worker.kick();
    const n = sim.modem.sent.length;
    while (sim.modem.sent.length < n + 1) await new Promise((r) => setTimeout(r, 5)); // the campaign is sending
  }
  const before = sim.modem.sent.length;
  const done = new Promise((resolve) => {
    let ack;
    const onSent = (rec) => {
      const dt = performance.now() - start;
      if (rec.text === ACK && ack === undefined) ack = dt;
      else if (ack !== undefined) {
        sim.modem.off('sent', onSent);
        resolve({ ack, result: dt });
      }
    };
    sim.modem.on('sent', onSent);
  });
  const start = performance.now();
  // A distinct SMSC timestamp per run: identical PDUs would be recognised as a re-read.
  sim.modem.injectSms(PHONE, 'CLIENT info', { timestamp: new Date(stamp + i * 1000) });
  const r = await done;
  ackMs.push(r.ack);
  resultMs.push(r.result);
  if (mass > 0) {
    const sent = sim.modem.sent.slice(before);
    massBehind = Math.max(massBehind, sent.findIndex((x) => x.text === ACK));
    // Drop the rest of this campaign so the next run starts from the same state.
    for (const j of await server.store.listJobs({ priority: 'mass', state: 'queued' })) await server.store.updateJob(j.id, { state: 'failed', reason: 'bench' });
    while ((await server.store.listJobs({ state: 'sending' })).length) await new Promise((r) => setTimeout(r, 20));
  } else if (sim.modem.sent.length !== before + 2) {
    throw new Error(`run ${i}: expected 2 replies, modem accepted ${sim.modem.sent.length - before}`);
  }
  await new Promise((res) => setTimeout(res, 50)); // let the AT+CMGD and bookkeeping finish: idle again
}

await server.stop();
await sim.close();
rmSync(dataDir, { recursive: true, force: true });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const fmt = (xs) =>
  `median ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)} ms`;
console.log(
  `inbound latency: ${runs} runs, profile ${profile}, simulated send delay ${sendDelayMs} ms, ${mass ? `a ${mass}-number mass text sending at each inject` : 'idle server'}, node ${process.version}`,
);
if (storeUrl) console.log(`  store: PostgreSQL${prefill ? `, ${prefill} inbox entries + ${prefill} sent jobs stored (inserted in ${(prefillMs / 1000).toFixed(0)} s)` : ''}`);
console.log(`  inject → ack accepted by the modem:    ${fmt(ackMs)}`);
console.log(`  inject → result accepted by the modem: ${fmt(resultMs)}`);
if (mass) console.log(`  most mass parts sent between inject and ack: ${massBehind}`);
