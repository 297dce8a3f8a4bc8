/**
 * Child processes under measurement: CPU time (utime+stime, children included) and peak RSS
 * (VmHWM) of a process and its descendants, read from /proc. Every child is started in its own
 * process group and killed when the benchmark exits, however it exits.
 */
import { spawn, execFileSync } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 1000 / (Number(safe(() => execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())) || 100);
const live = new Set();

function safe(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function killGroup(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  safe(() => process.kill(-child.pid, signal));
}

for (const ev of ['exit', 'SIGINT', 'SIGTERM']) {
  process.on(ev, () => {
    for (const c of live) killGroup(c);
    if (ev !== 'exit') process.exit(130);
  });
}

/** /proc/<pid>/stat → { ppid, cpuMs (self + waited-for children) } */
function readStat(pid) {
  const s = safe(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!s) return undefined;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // fields after the command: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17)
  const n = (i) => Number(f[i - 3]);
  return { ppid: n(4), cpuMs: (n(14) + n(15) + n(16) + n(17)) * TICK_MS };
}

function readHwmKb(pid) {
  const s = safe(() => readFileSync(`/proc/${pid}/status`, 'utf8'));
  const m = s && /VmHWM:\s+(\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** VmRSS (now) of one process, kB; 0 when it is gone. */
export function readRssKb(pid) {
  const s = safe(() => readFileSync(`/proc/${pid}/status`, 'utf8'));
  const m = s && /VmRSS:\s+(\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

function descendants(root) {
  const kids = new Map();
  for (const d of safe(() => readdirSync('/proc')) ?? []) {
    if (!/^\d+$/.test(d)) continue;
    const st = readStat(d);
    if (!st) continue;
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push(Number(d));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) ?? []));
  return out;
}

/**
 * Start a command to be measured. stdout+stderr go to `logFile` when given.
 * @returns {{ child, pid, sample(): {cpuMs, rssKb}, rssNowKb(): number, stop(signal?): Promise<void>, exited: Promise<number|null> }}
 */
export function startMeasured(cmd, args, { logFile, env, cwd, sampleMs = 100 } = {}) {
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true, env: { ...process.env, ...env }, cwd });
  live.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.on('exit', () => live.delete(child));
  // Per-pid maxima: a forked helper that exits between samples keeps its last figures.
  const cpu = new Map();
  const hwm = new Map();
  const take = () => {
    for (const pid of descendants(child.pid)) {
      const st = readStat(pid);
      if (st) cpu.set(pid, Math.max(cpu.get(pid) ?? 0, st.cpuMs));
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, readHwmKb(pid)));
    }
  };
  const timer = setInterval(take, sampleMs);
  timer.unref();
  const sample = () => {
    take();
    let c = 0;
    let r = 0;
    for (const v of cpu.values()) c += v;
    for (const v of hwm.values()) r += v;
    return { cpuMs: c, rssKb: r, mainRssKb: hwm.get(child.pid) ?? 0 };
  };
  /** VmRSS now, summed over the tree (a daemon's footprint when idle, not its peak). */
  const rssNowKb = () => descendants(child.pid).reduce((n, pid) => n + readRssKb(pid), 0);
  const stop = async (signal = 'SIGTERM', graceMs = 5000) => {
    clearInterval(timer);
    killGroup(child, signal);
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return { child, pid: child.pid, sample, rssNowKb, stop, exited };
}

/** Run a command to completion (for setup steps such as gammu-smsd-inject); throws on failure. */
export function run(cmd, args, { env, input } = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.trim().slice(-400)}`))));
    if (input !== undefined) {
      c.stdin.on('error', () => undefined); // a command that exits without reading its input
      c.stdin.end(input);
    }
  });
}

/** CPU ms (user + system) of a process and its descendants now, exited children it waited for included. */
export function treeCpuMs(root) {
  return descendants(root).reduce((n, pid) => n + (readStat(pid)?.cpuMs ?? 0), 0);
}
