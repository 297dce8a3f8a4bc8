#!/usr/bin/env node
/**
 * Cost of `GET /metrics` and of the console's pages on a grown data folder (issue 18): prints
 * figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/console-metrics.mjs [--jobs 50000] [--queued 5000] [--inbox 20000] [--runs 20]
 *
 * A LowdbStore on disk filled with `--jobs` sent jobs, `--queued` queued mass texts, `--inbox`
 * inbound SMS and 200 failed forwards; then, `--runs` times each: the Prometheus exposition
 * (ServerMetrics.metrics(): every gauge reads the store at scrape time), the dashboard's data
 * (AdminData.dashboard()), a text search over the inbox (AdminData.inbox({q})), and the change
 * fingerprint the live stream computes every 2 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { num, parseArgs } from './lib/args.mjs';
import { dist } from './lib/env.mjs';
import { fmt, pct } from './lib/stats.mjs';

const { LowdbStore } = await dist('store/index.js');
const { ServerMetrics } = await dist('metrics/index.js');
const { AdminData } = await dist('web/admin/data.js');

const args = parseArgs();
const jobs = num(args.jobs, 50_000);
const queued = num(args.queued, 5_000);
const inbox = num(args.inbox, 20_000);
const runs = num(args.runs, 20);

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-bench-console-'));
const store = new LowdbStore(dataDir);
await store.open();
const t0 = Date.now();
const now = new Date().toISOString();
for (let i = 0; i < jobs; i += 1000) {
  const batch = Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({
    to: `+7901${String(i + k).padStart(7, '0')}`, text: 'Sent earlier', priority: 'notification', state: 'sent', attempts: 1, nextAttemptAt: now, sentAt: now, via: k % 2 ? 'm1' : 'm2',
  }));
  await store.enqueue(batch);
}
// Created right before its jobs, as createCampaign does.
await store.putCampaign({ id: 'cmp-bench', name: 'bench', text: 'Sale', createdAt: new Date().toISOString(), total: queued, skippedOptOut: 0, skippedInvalid: 0, duplicatesRemoved: 0 });
for (let i = 0; i < queued; i += 1000) {
  await store.enqueue(Array.from({ length: Math.min(1000, queued - i) }, (_, k) => ({ to: `+7902${String(i + k).padStart(7, '0')}`, text: 'Sale', priority: 'mass', state: 'queued', attempts: 0, nextAttemptAt: now, campaignId: 'cmp-bench' })));
}
for (let i = 0; i < inbox; i++) {
  await store.addInbound({ from: `+7903${String(i % 500).padStart(7, '0')}`, text: i % 100 === 0 ? `Где мой заказ ${i}?` : `Message number ${i}`, receivedAt: new Date(Date.now() - (inbox - i) * 1000).toISOString(), status: 'ignored', parts: 1, dedupKey: `k${i}`, modem: 'm1', routedBy: 'none' });
}
await store.putAccount({ login: 'shop', webhook: 'https://shop.example/hook', tokenHash: 'x'.repeat(64), webhookSecretEnc: 'x', createdAt: now, updatedAt: now });
await store.addForwards(Array.from({ length: 200 }, (_, i) => ({ messageId: `msg_${i}`, account: 'shop', channel: 'webhook', target: 'https://shop.example/hook', type: 'sms.received', ref: `in-${i}`, payload: {}, status: 'failed', tries: 8, attempts: [], reason: 'gave up' })));
const modems = ['m1', 'm2'].map((id) => ({ id, device: `/dev/${id}`, configuredProfile: 'generic', state: 'ready', signal: { rssi: 20, dbm: -73 }, operator: 'MTS', registration: 'registered (home)', sentToday: 100, massPerMinute: 10 }));
const status = { pid: process.pid, startedAt: now, updatedAt: now, device: '/dev/m1', modem: { state: 'ready' }, modems };
await store.putStatus(status);
const fillS = (Date.now() - t0) / 1000;

const metrics = new ServerMetrics({ store, status: () => status });
const data = new AdminData(store);
async function time(fn) {
  const out = [];
  await fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    out.push(performance.now() - s);
  }
  return out;
}
const rows = [
  ['GET /metrics exposition', await time(() => metrics.metrics())],
  ['dashboard data', await time(() => data.dashboard())],
  ['inbox text search (page 1)', await time(() => data.inbox({ q: 'заказ', page: 0 }))],
  ['live fingerprint', await time(() => data.fingerprint())],
];
const bytes = Buffer.byteLength(await metrics.metrics());
console.log(`data folder: ${jobs} sent + ${queued} queued jobs, ${inbox} inbound, 200 failed forwards (filled in ${fmt(fillS)} s); node ${process.version}, ${os.cpus().length} CPUs`);
console.log(`exposition: ${bytes} bytes`);
console.log('| what | median ms | p95 ms |');
console.log('| --- | ---: | ---: |');
for (const [what, v] of rows) console.log(`| ${what} | ${fmt(pct(v, 0.5))} | ${fmt(pct(v, 0.95))} |`);
await store.close();
rmSync(dataDir, { recursive: true, force: true });
