#!/usr/bin/env node
/**
 * Route lookup with many last-sender records (issue 11): prints figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/route-lookup.mjs [--records 100000] [--lookups 5000]
 *
 * A fresh data folder (LowdbStore, the server's backend) holds `--records` sent jobs, each to its
 * own number, on behalf of 20 accounts, sent over the last 30 days; reopened like a restarted
 * server. Then the account routes as the server runs them, one inbound SMS at a time:
 *   - the first last-sender lookup (builds the store's recipient index from the job segments),
 *   - LastSenderRoute.route() per SMS — half the senders were texted within 14 days (a claim, with
 *     its forwards planned), a quarter longer ago, a quarter never (no claim),
 *   - PrefixRoute and NumberRoute per SMS for comparison.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { num, parseArgs } from './lib/args.mjs';
import { dist as load } from './lib/env.mjs';
import { pct } from './lib/stats.mjs';

const { LowdbStore } = await load('store/index.js');
const { LastSenderRoute, PrefixRoute, NumberRoute } = await load('inbound/index.js');

const args = parseArgs();
const records = num(args.records, 100_000);
const lookups = num(args.lookups, 5_000);
const DAY = 86_400_000;
const number = (i) => `+7900${String(i).padStart(7, '0')}`;
const now = Date.now();

const dir = mkdtempSync(path.join(os.tmpdir(), 'sms-bench-route-'));
try {
  let store = new LowdbStore(dir);
  await store.open();
  for (let a = 0; a < 20; a++) {
    await store.putAccount({ login: `acct${a}`, webhook: `https://a${a}.example/hook`, tokenHash: String(a).padStart(64, '0'), webhookSecretEnc: 'v1:x:y:z', createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString(), ...(a === 0 ? { number: '+79990000001' } : {}) });
  }
  let t = performance.now();
  const batch = 10_000;
  for (let b = 0; b < records; b += batch) {
    const jobs = [];
    for (let i = b; i < Math.min(records, b + batch); i++) {
      // Sent i/records of 30 days ago: the first half within 14 days... reversed so old ones come first.
      const sentAt = new Date(now - ((records - i) / records) * 30 * DAY).toISOString();
      jobs.push({ to: number(i), text: 'Your order has shipped', priority: 'notification', state: 'sent', attempts: 1, nextAttemptAt: sentAt, sentAt, account: `acct${i % 20}` });
    }
    await store.enqueue(jobs);
  }
  const fillMs = performance.now() - t;
  await store.close();

  store = new LowdbStore(dir);
  t = performance.now();
  await store.open();
  const openMs = performance.now() - t;

  const lastSender = new LastSenderRoute({ accounts: store, lookup: { lastSender: (p, since) => store.lastSentTo(p, since.toISOString()) }, days: 14 });
  const prefix = new PrefixRoute({ accounts: store });
  const byNumber = new NumberRoute({ accounts: store, simNumber: () => '+79990000001' });
  const entry = (from, text = 'Thanks, got it') => ({ id: 'in-1', from, text, receivedAt: new Date().toISOString(), status: 'new', parts: 1, dedupKey: 'k', to: '+79990000001' });

  t = performance.now();
  await lastSender.route(entry(number(records - 1)));
  const firstMs = performance.now() - t;

  const times = { claim: [], stale: [], never: [] };
  let claims = 0;
  for (let k = 0; k < lookups; k++) {
    const kind = k % 4 === 0 ? 'never' : k % 4 === 1 ? 'stale' : 'claim';
    // Records sent within 14 days are the newest 14/30 of them.
    const i = kind === 'never' ? records + k : kind === 'stale' ? (k * 7919) % Math.floor(records * 0.5) : records - 1 - ((k * 7919) % Math.floor(records * 0.45));
    const s = performance.now();
    const c = await lastSender.route(entry(number(i)));
    times[kind].push(performance.now() - s);
    if (c) claims++;
  }
  const other = { prefix: [], number: [] };
  for (let k = 0; k < lookups; k++) {
    let s = performance.now();
    await prefix.route(entry(number(k), `acct${k % 20}: hello`));
    other.prefix.push(performance.now() - s);
    s = performance.now();
    await byNumber.route(entry(number(k)));
    other.number.push(performance.now() - s);
  }
  await store.close();

  const us = (xs) => `p50 ${(pct(xs, 0.5) * 1000).toFixed(0)} µs, p99 ${(pct(xs, 0.99) * 1000).toFixed(0)} µs`;
  console.log(`route lookup: ${records} sent jobs (last-sender records) over 30 days, 20 accounts, ${lookups} lookups, node ${process.version}`);
  console.log(`  fill (enqueue in batches of ${batch}): ${(fillMs / 1000).toFixed(1)} s; reopen: ${openMs.toFixed(0)} ms`);
  console.log(`  first last-sender lookup (builds the recipient index): ${firstMs.toFixed(0)} ms`);
  console.log(`  last-sender, texted within 14 days (claim + forwards planned): ${us(times.claim)}`);
  console.log(`  last-sender, texted 14-30 days ago (no claim):                 ${us(times.stale)}`);
  console.log(`  last-sender, never texted (no claim):                          ${us(times.never)}`);
  console.log(`  claims: ${claims} of ${lookups} (expected ${times.claim.length})`);
  console.log(`  prefix route (known login): ${us(other.prefix)}; number route: ${us(other.number)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
