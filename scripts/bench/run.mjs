#!/usr/bin/env node
/**
 * `npm run bench` (quick, a few minutes) / `npm run bench:full` (--full: the sizes, ~1 h):
 * builds dist/, installs the peers (gammu-smsd, smstools) with apt-get when missing, runs every
 * benchmark and prints one Markdown table. Prints figures, asserts nothing.
 *
 *   node scripts/bench/run.mjs [--full] [--skip throughput,http-cost,utilisation,latency,storage,store]
 *
 * Quick vs full:           quick                               full
 *   throughput             sms-server 1000 msgs; peers 16      everyone 1000
 *   http-cost (burst)      200 msgs ×1; smstools3 tuned 40;    200 msgs ×3; smstools3 tuned 200;
 *                          mass 10k, enqueue only              mass 100k, drained
 *   utilisation (3 s)      10 single-part messages             100-message mix
 *   latency idle           sms-server 50; peers 1 each         sms-server 50; peers 10 each
 *   latency under load     sms-server 6                        sms-server 50; peers 10 each
 *   storage                1k, 100k stored                     1k, 100k, 1M stored
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { ensureBuilt, ensurePeers, machineInfo } from './lib/env.mjs';

const a = parseArgs();
const full = Boolean(a.full);
const skip = new Set(a.skip ? String(a.skip).split(',') : []);
ensureBuilt(true);
ensurePeers();
const { mdTable, fmt } = await import('./lib/stats.mjs');
const { runThroughput, ratios } = await import('./throughput.mjs');
const { runUtilisation } = await import('./utilisation.mjs');
const { runLatency } = await import('./latency.mjs');
const { runStorage } = await import('./storage.mjs');
const { runHttpCost } = await import('./http-cost.mjs');

const m = machineInfo();
const started = performance.now();
const log = (s) => console.log(s);
log(`sms-server benchmarks (${full ? 'full' : 'quick'}) — ${m.date}; ${m.cpu}, nproc ${m.nproc}, ${m.memory} RAM, node ${m.node}, ${m.gammu}, ${m.smstools}`);

const COLS = ['sms-server', 'gammu-smsd defaults', 'gammu-smsd tuned', 'smstools3 defaults', 'smstools3 tuned'];
const table = new Map(); // row label → { col → text }
const put = (row, col, text) => {
  if (!table.has(row)) table.set(row, {});
  table.get(row)[col] = text;
};
const section = (name) => log(`\n## ${name}`);

if (!skip.has('throughput')) {
  section('send throughput (zero network delay)');
  const peerN = full ? 1000 : 16;
  const rows = await runThroughput({ n: 1000, peerN, log });
  for (const l of ratios(rows)) log('ratio ' + l);
  for (const r of rows) {
    const tag = r.system === 'sms-server' && r.n !== peerN ? ` (n=${r.n})` : '';
    put(`send msg/s (n=${peerN}${tag ? '; ours also n=1000' : ''})`, r.system, `${fmt(r.msgPerS, r.msgPerS < 10 ? 2 : 1)}${tag}`);
    if (!tag) {
      put('CPU ms per message', r.system, fmt(r.cpuMsPerMsg, 2));
      put('peak RSS MB (send run)', r.system, fmt(r.peakRssMB, 1));
      put('start-up to first submit, s', r.system, fmt(r.startupS, 1));
    }
  }
}

if (!skip.has('http-cost')) {
  section('cost per message: 200 messages POSTed at once over HTTP (zero network delay)');
  // smstools3 tuned gets the same burst (files dropped into `outgoing` while it runs); quick mode
  // sends it 40, as its cost per message does not depend on n (fixed polling sleeps).
  const peerN = full ? 200 : 40;
  const r = await runHttpCost({ n: 200, runs: full ? 3 : 1, peer: true, peerN, mass: full ? 100_000 : 10_000, massDrain: full, log });
  const range = (k, d) => {
    const v = r.rows.map((x) => x[k]);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return lo === hi ? fmt(lo, d) : `${fmt(lo, d)}–${fmt(hi, d)}`;
  };
  const runs = r.rows.length > 1 ? ` (${r.rows.length} runs)` : '';
  put(`HTTP burst, 200 msgs: msg/s, first POST → last +CMGS${runs}`, 'sms-server', range('msgPerS', 1));
  put(`HTTP burst: CPU ms per message${runs}`, 'sms-server', range('cpuMsPerMsg', 2));
  put(`HTTP burst: all POSTs answered, ms${runs}`, 'sms-server', range('enqueueMs', 0));
  put(`HTTP burst: RSS after start / peak, MB${runs}`, 'sms-server', `${range('rssStartMB', 0)} / ${range('peakRssMB', 0)}`);
  if (r.peer) {
    const tag = r.peer.n !== 200 ? ` (n=${r.peer.n})` : '';
    put(`HTTP burst, 200 msgs: msg/s, first POST → last +CMGS${runs}`, r.peer.system, fmt(r.peer.msgPerS, 1) + tag);
    put(`HTTP burst: CPU ms per message${runs}`, r.peer.system, fmt(r.peer.cpuMsPerMsg, 2) + tag);
    put(`HTTP burst: all POSTs answered, ms${runs}`, r.peer.system, `${fmt(r.peer.enqueueMs, 0)} (files dropped)`);
    put(`HTTP burst: RSS after start / peak, MB${runs}`, r.peer.system, `${fmt(r.peer.rssStartMB, 1)} / ${fmt(r.peer.peakRssMB, 1)}`);
  }
  if (r.mass) {
    put(`mass --file ${r.mass.recipients / 1000}k to the running server: CLI wall / server peak RSS`, 'sms-server', `${fmt(r.mass.cliMs / 1000, 2)} s / ${fmt(r.mass.peakRssMB, 0)} MB`);
  }
}

if (!skip.has('utilisation')) {
  section('modem utilisation (3 s per submit)');
  const [r] = await runUtilisation({ full, n: full ? 100 : 10, log });
  put(`modem utilisation, 3 s/submit (${r.submits} submits)`, 'sms-server', `${r.utilisation.toFixed(4)} (gap p50 ${fmt(r.gapMedianMs)} ms)`);
}

if (!skip.has('latency')) {
  section('reply latency (inbound → ack AT+CMGS)');
  const rows = await runLatency({ requests: 50, loadRequests: full ? 50 : 6, peerRequests: full ? 10 : 1, peerLoaded: full, log });
  const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);
  for (const r of rows) {
    const key = r.scenario === 'idle' ? 'reply latency idle p50 / p99' : 'reply latency during mass text (3 s/submit) p50 / p99';
    put(key, r.system, `${ms(r.p50)} / ${ms(r.p99)} (${r.requests})`);
    if (r.scenario === 'idle') put('daemon CPU during the idle-latency run', r.system, `${r.cpuPct.toFixed(1)}%`);
  }
}

if (!skip.has('storage')) {
  section('storage scale (server + CLI)');
  const rows = await runStorage({ sizes: full ? [1_000, 100_000, 1_000_000] : [1_000, 100_000], log });
  for (const r of rows) {
    const k = r.n >= 1e6 ? `${r.n / 1e6}M` : `${r.n / 1e3}k`;
    put(`${k} stored: store 1 inbound p50 / inbox --limit 20 / RSS`, 'sms-server', `${fmt(r.storeP50)} ms / ${fmt(r.inboxMs, 0)} ms / ${fmt(r.rssMB, 0)} MB`);
    if (r.mass) put('100k-recipient mass text: CLI wall / server peak RSS', 'sms-server', `${fmt(r.mass.cliMs / 1000, 2)} s / ${fmt(r.mass.serverHwmMB, 0)} MB`);
  }
}

if (!skip.has('store')) {
  section('store API (scripts/bench/store.mjs)');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const r = spawnSync(process.execPath, [path.join(here, 'store.mjs'), ...(full ? ['--full'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  log(r.stdout.trim());
}

section('summary');
log(`${m.date} — ${m.cpu}, nproc ${m.nproc}, ${m.memory} RAM, node ${m.node}, ${m.gammu}, ${m.smstools}; ${full ? 'full' : 'quick'} run, ${((performance.now() - started) / 60000).toFixed(1)} min\n`);
log(mdTable(['measure', ...COLS], [...table.entries()].map(([row, cells]) => [row, ...COLS.map((c) => cells[c] ?? '')])));
