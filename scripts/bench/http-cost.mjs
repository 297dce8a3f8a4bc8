#!/usr/bin/env node
/**
 * Cost per message, measured the way an application drops work in (issue 19): the server runs on a
 * zero-delay simulated modem (a real pseudo-terminal); N messages, each with its own text, are
 * POSTed at once over the HTTP API through 8 keep-alive connections. Prints figures, asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/http-cost.mjs [--n 200] [--runs 1] [--peer] [--peer-n 200] [--log-level info]
 *   node scripts/bench/http-cost.mjs --mass 10000 [--no-drain]      # `mass --file` to the running server
 *
 * Figures (sms-server):
 *   - RSS after start: VmRSS once the server answers /health and its first storage sweep is over (+1 s),
 *     split into RssAnon (heap, code, stacks: ours) and RssFile (pages of the node binary and libraries,
 *     shared and reclaimable; a bare `node -e 1` already has ~34 MB of them);
 *   - enqueue: first POST sent → all N answered 201;
 *   - msg/s: N / (first POST → the N-th message's last `+CMGS` reply on the wire);
 *   - CPU ms per message: utime+stime of the server process (from /proc/PID/stat) over that same
 *     window, divided by N; start-up is not in it;
 *   - peak RSS: VmHWM of the server at the end (start-up included).
 * Each run checks that every text arrived complete and intact at the simulator.
 *
 * The simulator runs in this process (lib/sim.mjs), not in the server (`serve --simulate`), so its
 * PDU decoding and PTY relay are not counted as the server's — the same footing as the peer.
 *
 * --peer: smstools3 tuned (lib/smstools.mjs, the settings throughput.mjs uses) on the same simulator:
 * started idle, then the N message files are dropped into `outgoing` at once (its API); the same
 * window (first file → N-th message's last `+CMGS`), CPU and RSS summed over its process tree.
 * Ratios are printed.
 *
 * --mass N: the server is started idle, `sms-server mass --file` (N recipients, one text) hands the
 * campaign to it through the spool; figures: CLI wall time, the server's RSS before / after the
 * enqueue and at 25/50/75/100% sent (flat = no growth with the campaign), its peak RSS, send rate
 * and CPU per message while it drains (skip the drain with --no-drain).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, num } from './lib/args.mjs';
import { CLI, cliNodeFlags, ensureBuilt, ensurePeers } from './lib/env.mjs';

const CONNECTIONS = 8;

function vmKb(pid, key) {
  const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const TICK_MS = 10; // CLK_TCK 100 on Linux x86-64 (lib/proc.mjs reads it with getconf)

/** CPU ms of each thread group of a process (main JS thread, libuv pool, V8 workers …) from /proc/PID/task. */
function threadCpu(pid) {
  const out = {};
  let dirs = [];
  try {
    dirs = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of dirs) {
    let s;
    try {
      s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const name = Number(tid) === pid ? 'main' : comm.replace(/[\d-]+$/, '').trim();
    const o = (out[name] ??= { user: 0, sys: 0 });
    o.user += Number(f[11]) * TICK_MS;
    o.sys += Number(f[12]) * TICK_MS;
  }
  return out;
}

function threadDelta(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(b)) out[k] = { user: v.user - (a[k]?.user ?? 0), sys: v.sys - (a[k]?.sys ?? 0) };
  return out;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function request(agent, port, token, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${token}` };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Starts sms-server with the HTTP API on the simulator; resolves once it is idle after start-up. */
async function startOurs(dir, sim, { logLevel = 'info' } = {}) {
  const { writeConfig, startServerProcess } = await import('./lib/sms-server.mjs');
  const { waitUntil, sleep } = await import('./lib/stats.mjs');
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  // massPerMinute 10000 (the config maximum, as lib/sms-server.mjs): a mass text barely rate-limited.
  // logLevel: the product's default (info: one line per HTTP request), not the quiet `warn` the
  // other benchmarks use — logging is part of what a user's server spends.
  writeConfig(dir, { logLevel, http: { enabled: true, host: '127.0.0.1', port, token }, queue: { massPerMinute: 10_000 } });
  const t0 = performance.now();
  const proc = startServerProcess(dir, sim.path);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    await waitUntil(async () => {
      if (proc.child.exitCode !== null) throw new Error(`sms-server exited (${proc.child.exitCode}); see ${dir}/server.log`);
      return (await request(agent, port, token, 'GET', '/health').catch(() => undefined))?.status === 200;
    }, 'the HTTP API', 60_000, 20);
    await waitUntil(() => sim.rec.commands.some((c) => c.line.startsWith('AT+CMGL')), 'the first storage sweep', 60_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  const startupS = (performance.now() - t0) / 1000;
  await sleep(1000);
  return { proc, agent, port, token, startupS, rssStartKb: vmKb(proc.pid, 'VmRSS'), anonStartKb: vmKb(proc.pid, 'RssAnon'), fileStartKb: vmKb(proc.pid, 'RssFile') };
}

/** Resolves with the CPU sample taken when the simulator has accepted `parts` PDUs. */
function cpuAtPart(sim, proc, parts, timeoutMs, extra = () => undefined) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (sim.rec.sent.length < parts) return false;
      off();
      clearTimeout(t);
      resolve({ cpuMs: proc.sample().cpuMs, t: sim.rec.sent[parts - 1].t, extra: extra() });
      return true;
    };
    const off = sim.onSent(check);
    const t = setTimeout(() => {
      off();
      reject(new Error(`timed out: ${sim.rec.sent.length}/${parts} PDUs after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    check();
  });
}

/**
 * A temp folder and a zero-delay simulator for one run: `fn(dir, sim, stopLater)`; whatever is
 * handed to stopLater (a measured process) is stopped before the simulator closes.
 */
async function withSimulator(prefix, fn) {
  const { startSim } = await import('./lib/sim.mjs');
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const sim = await startSim(dir, { sendDelayMs: 0 });
  let proc;
  try {
    return await fn(dir, sim, (p) => (proc = p));
  } finally {
    await proc?.stop();
    await sim.close();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Where the wall time per PDU went, from the simulator's record: `exchange` = the host's AT+CMGS →
 * the modem's +CMGS reply (two round trips over the PTY, the prompt between); `turnaround` = that
 * reply → the host's next AT+CMGS (the server's own work between two PDUs: store writes, the next
 * claim, encoding). Medians and 90th percentiles in ms.
 */
function timeline(rec, t0) {
  const cmgs = rec.commands.filter((c) => c.t >= t0 && /^AT\+CMGS=/i.test(c.line)).map((c) => c.t);
  const sent = rec.sent.filter((s) => s.t >= t0);
  const exchange = sent.map((s) => s.t - s.cmgsAt);
  const turnaround = [];
  for (const s of sent) {
    const next = cmgs.find((t) => t > s.t);
    if (next !== undefined) turnaround.push(next - s.t);
  }
  const q = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : NaN);
  const commands = {};
  for (const c of rec.commands) if (c.t >= t0) commands[c.line.replace(/[=?].*$/, '')] = (commands[c.line.replace(/[=?].*$/, '')] ?? 0) + 1;
  return { commands, firstCmgsMs: cmgs.length ? cmgs[0] - t0 : NaN, exchange: [q(exchange, 0.5), q(exchange, 0.9)], turnaround: [q(turnaround, 0.5), q(turnaround, 0.9)] };
}

/** The HTTP-cost mix of n messages and its PDU count. */
async function burst(n) {
  const { costWorkload } = await import('./lib/workload.mjs');
  const messages = costWorkload(n);
  return { messages, parts: messages.reduce((s, m) => s + m.parts, 0) };
}

/** One run of N messages through sms-server's HTTP API. */
export async function measureHttpCost(n, { logLevel } = {}) {
  const { checkDelivered } = await import('./lib/sim.mjs');
  const { messages, parts } = await burst(n);
  return withSimulator('bench-httpcost-', async (dir, sim, stopLater) => {
    const ours = await startOurs(path.join(dir, 'd'), sim, { logLevel });
    stopLater(ours.proc);
    const { proc, agent, port, token } = ours;
    const done = cpuAtPart(sim, proc, parts, 60_000 + parts * 2_000, () => threadCpu(proc.pid));
    const threads0 = threadCpu(proc.pid);
    const cpu0 = proc.sample().cpuMs;
    const t0 = performance.now();
    const answers = await Promise.all(messages.map((m) => request(agent, port, token, 'POST', '/messages', { to: m.to, text: m.text })));
    const enqueueMs = performance.now() - t0;
    const bad = answers.filter((a) => a.status !== 201);
    if (bad.length) throw new Error(`${bad.length} POSTs failed, e.g. ${bad[0].status} ${bad[0].text}`);
    const end = await done;
    const windowS = (end.t - t0) / 1000;
    const check = checkDelivered(sim.rec.sent, messages);
    agent.destroy();
    return {
      system: 'sms-server',
      n,
      parts,
      complete: check.complete,
      wrong: check.wrong,
      startupS: ours.startupS,
      rssStartMB: ours.rssStartKb / 1024,
      anonStartMB: ours.anonStartKb / 1024,
      fileStartMB: ours.fileStartKb / 1024,
      enqueueMs,
      windowS,
      msgPerS: n / windowS,
      cpuMsPerMsg: (end.cpuMs - cpu0) / n,
      threads: threadDelta(threads0, end.extra),
      timeline: timeline(sim.rec, t0),
      peakRssMB: vmKb(proc.pid, 'VmHWM') / 1024,
    };
  });
}

/** The same drop for smstools3 tuned: files into `outgoing` while it runs. */
export async function measureSmstoolsCost(n) {
  const { checkDelivered } = await import('./lib/sim.mjs');
  const { setupSmstools, queueSmstools, startSmstools } = await import('./lib/smstools.mjs');
  const { waitUntil, sleep } = await import('./lib/stats.mjs');
  const { messages, parts } = await burst(n);
  return withSimulator('bench-httpcost-smstools-', async (dir, sim, stopLater) => {
    const setup = setupSmstools(path.join(dir, 'd'), sim.path, { tuned: true });
    const tStart = performance.now();
    const proc = stopLater(startSmstools(setup));
    // Started = its modem process has initialised the modem and polled storage once.
    await waitUntil(() => sim.rec.commands.some((c) => /^AT\+(CPMS\?|CMGL|CMGR)/i.test(c.line)), 'smstools3 to poll the modem', 120_000);
    const startupS = (performance.now() - tStart) / 1000;
    await sleep(1000);
    const rssStartKb = proc.rssNowKb();
    const done = cpuAtPart(sim, proc, parts, 120_000 + parts * 5_000);
    const cpu0 = proc.sample().cpuMs;
    const t0 = performance.now();
    queueSmstools(setup, messages);
    const enqueueMs = performance.now() - t0;
    const end = await done;
    const windowS = (end.t - t0) / 1000;
    const check = checkDelivered(sim.rec.sent, messages);
    return {
      system: 'smstools3 tuned',
      n,
      parts,
      complete: check.complete,
      wrong: check.wrong,
      startupS,
      rssStartMB: rssStartKb / 1024,
      enqueueMs,
      windowS,
      msgPerS: n / windowS,
      cpuMsPerMsg: (end.cpuMs - cpu0) / n,
      peakRssMB: proc.sample().rssKb / 1024,
    };
  });
}

/** `sms-server mass --file` with `recipients` numbers to the running server, then (optionally) the drain. */
export async function measureMass(recipients, { drain = true } = {}) {
  const { startMeasured } = await import('./lib/proc.mjs');
  return withSimulator('bench-httpcost-mass-', async (dir, sim, stopLater) => {
    const data = path.join(dir, 'd');
    const ours = await startOurs(data, sim);
    stopLater(ours.proc);
    const { proc } = ours;
    const file = path.join(dir, 'recipients.txt');
    writeFileSync(file, Array.from({ length: recipients }, (_, i) => '+7905' + String(1000000 + i)).join('\n') + '\n');
    const sentBefore = sim.rec.sent.length;
    const cpu0 = proc.sample().cpuMs;
    const t0 = performance.now();
    const cli = startMeasured(process.execPath, [...cliNodeFlags(), CLI, 'mass', '--file', file, '--text', 'Weekend sale: 20% off everything.', '--data', data], { sampleMs: 20 });
    let cliPeakKb = 0;
    const cliTimer = setInterval(() => (cliPeakKb = Math.max(cliPeakKb, cli.sample().rssKb)), 20);
    const code = await cli.exited;
    clearInterval(cliTimer);
    if (code !== 0) throw new Error(`sms-server mass exited ${code}`);
    const cliMs = performance.now() - t0;
    const r = {
      recipients,
      rssStartMB: ours.rssStartKb / 1024,
      cliMs,
      cliPeakMB: cliPeakKb / 1024,
      rssAfterEnqueueMB: vmKb(proc.pid, 'VmRSS') / 1024,
      hwmAfterEnqueueMB: vmKb(proc.pid, 'VmHWM') / 1024,
      rssAt: [],
    };
    if (drain) {
      const marks = [0.25, 0.5, 0.75, 1].map((f) => Math.max(1, Math.round(recipients * f)));
      for (const m of marks) {
        const at = await cpuAtPart(sim, proc, sentBefore + m, 120_000 + recipients * 200);
        r.rssAt.push({ sent: m, rssMB: vmKb(proc.pid, 'VmRSS') / 1024 });
        if (m === recipients) {
          r.drainS = (at.t - t0) / 1000;
          r.msgPerS = recipients / r.drainS;
          r.cpuMsPerMsg = (at.cpuMs - cpu0) / recipients;
        }
      }
    }
    r.peakRssMB = vmKb(proc.pid, 'VmHWM') / 1024;
    return r;
  });
}

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

export function line(r) {
  return (
    `${r.system.padEnd(16)} n=${r.n} (${r.parts} PDUs): ${f(r.msgPerS)} msg/s, ${f(r.cpuMsPerMsg, 2)} CPU ms/msg, ` +
    `enqueue ${f(r.enqueueMs, 0)} ms, RSS after start ${f(r.rssStartMB)} MB` +
    (r.anonStartMB !== undefined ? ` (anon ${f(r.anonStartMB)} + file ${f(r.fileStartMB)})` : '') +
    `, peak ${f(r.peakRssMB)} MB, ` +
    `start-up ${f(r.startupS, 2)} s, ${r.complete}/${r.n} intact${r.wrong.length ? ` — e.g. ${r.wrong[0]}` : ''}`
  );
}

/** Where the CPU went: ms per message by thread group, user+sys. */
export function threadLine(r) {
  if (!r.threads) return '';
  const parts = Object.entries(r.threads)
    .filter(([, v]) => v.user + v.sys > 0)
    .sort((a, b) => b[1].user + b[1].sys - (a[1].user + a[1].sys))
    .map(([k, v]) => `${k} ${f((v.user + v.sys) / r.n, 2)} (user ${f(v.user / r.n, 2)}, sys ${f(v.sys / r.n, 2)})`);
  const tl = r.timeline;
  const wall = tl
    ? `\n  per PDU (ms, median/p90): modem exchange ${f(tl.exchange[0], 2)}/${f(tl.exchange[1], 2)}, server turnaround ${f(tl.turnaround[0], 2)}/${f(tl.turnaround[1], 2)}; first AT+CMGS ${f(tl.firstCmgsMs, 0)} ms after the first POST; commands in the window: ${Object.entries(tl.commands).map(([k, v]) => `${k} ${v}`).join(', ')}`
    : '';
  return `  CPU ms/msg by thread: ${parts.join('; ')}${wall}`;
}

export function massLine(r) {
  const flat = r.rssAt.map((x) => `${x.sent}: ${f(x.rssMB)}`).join(', ');
  return (
    `mass ${r.recipients} recipients: CLI wall ${f(r.cliMs / 1000, 2)} s (CLI peak ${f(r.cliPeakMB)} MB); server RSS ${f(r.rssStartMB)} MB idle → ` +
    `${f(r.rssAfterEnqueueMB)} MB after the enqueue (peak so far ${f(r.hwmAfterEnqueueMB)} MB)` +
    (r.drainS ? `; drained in ${f(r.drainS)} s (${f(r.msgPerS)} msg/s, ${f(r.cpuMsPerMsg, 2)} CPU ms/msg); RSS MB at sent ${flat}` : '') +
    `; server peak RSS ${f(r.peakRssMB)} MB`
  );
}

/** Ratios of sms-server to the peer, and the issue's targets. */
export function verdict(ours, peer) {
  const out = [];
  if (peer) {
    out.push(
      `ratio vs ${peer.system}: ${f(ours.msgPerS / peer.msgPerS)}x msg/s, CPU/msg ${f(ours.cpuMsPerMsg / peer.cpuMsPerMsg, 2)}x theirs, ` +
        `peak RSS ${f(ours.peakRssMB / peer.peakRssMB)}x theirs; all POSTs answered in ${f(ours.enqueueMs, 0)} ms (their files dropped in ${f(peer.enqueueMs, 0)} ms)`,
    );
  }
  const cpuTarget = peer ? peer.cpuMsPerMsg : 4.7;
  out.push(
    `targets: CPU/msg < ${f(cpuTarget, 2)} ms ${ours.cpuMsPerMsg < cpuTarget ? 'met' : 'MISSED'}; ≥ 300 msg/s ${ours.msgPerS >= 300 ? 'met' : 'MISSED'}; ` +
      `RSS after start ≤ 45 MB ${ours.rssStartMB <= 45 ? 'met' : 'MISSED'}; peak ≤ 60 MB ${ours.peakRssMB <= 60 ? 'met' : 'MISSED'}`,
  );
  return out;
}

/** For run.mjs: our runs, then the peer when asked and installed. */
export async function runHttpCost({ n = 200, runs = 1, peer = false, peerN = n, mass = 0, massDrain = true, logLevel, log = console.log } = {}) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    rows.push(await measureHttpCost(n, { logLevel }));
    log(line(rows.at(-1)));
    log(threadLine(rows.at(-1)));
  }
  let peerRow;
  if (peer) {
    const why = ensurePeers().smstools;
    if (why) log(`skipping smstools3: ${why}`);
    else {
      peerRow = await measureSmstoolsCost(peerN);
      log(line(peerRow));
    }
  }
  for (const r of rows) for (const l of verdict(r, peerRow)) log(l);
  let massRow;
  if (mass) {
    massRow = await measureMass(mass, { drain: massDrain });
    log(massLine(massRow));
  }
  return { rows, peer: peerRow, mass: massRow };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = parseArgs();
  ensureBuilt(Boolean(a.build));
  if (a.mass) {
    const n = num(a.mass, 10_000);
    console.log(`http-cost --mass: \`mass --file\` with ${n} recipients to a running sms-server (zero-delay simulated modem)`);
    console.log(massLine(await measureMass(n, { drain: !a['no-drain'] })));
  } else {
    const n = num(a.n, 200);
    console.log(`http-cost: ${n} messages POSTed at once over ${CONNECTIONS} keep-alive connections, zero-delay simulated modem`);
    await runHttpCost({ n, runs: num(a.runs, 1), peer: Boolean(a.peer), peerN: num(a['peer-n'], n), logLevel: a['log-level'] });
  }
}
