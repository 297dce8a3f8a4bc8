/**
 * Benchmark environment: the built dist/, the peer daemons (Debian's gammu-smsd and smstools3,
 * installed with apt-get when missing), and a description of the machine for the tables.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = path.join(ROOT, 'dist');
export const CLI = path.join(DIST, 'cli/main.js');

/**
 * The node flags the CLI's shebang line carries (`#!/usr/bin/env -S node --flag …`): what an
 * installed `sms-server` runs with. Benchmarks start `node <these flags> dist/cli/main.js` so the
 * figures are those of the installed program, also when BENCH_NODE_ARGS adds profiling flags.
 */
export function cliNodeFlags() {
  const first = readFileSync(CLI, 'utf8').split('\n', 1)[0];
  const m = /^#!\S*env -S node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** Import a module of the built project: `await dist('sim/index.js')`. */
export function dist(rel) {
  return import(pathToFileURL(path.join(DIST, rel)).href);
}

/** Compile src/ to dist/ (always when `force`, else only when dist/ is missing). */
export function ensureBuilt(force = false) {
  if (!force && existsSync(CLI)) return;
  process.stderr.write('building: npx tsc -p tsconfig.build.json\n');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`build failed (tsc exit ${r.status ?? r.signal})`);
}

export const PEERS = {
  gammu: { bin: '/usr/bin/gammu-smsd', inject: '/usr/bin/gammu-smsd-inject', pkg: 'gammu-smsd' },
  smstools: { bin: '/usr/sbin/smsd', pkg: 'smstools' },
};

let peersChecked;
/**
 * Installs the peers with apt-get when missing (needs root, as on the project's machines).
 * Returns { gammu: string|undefined, smstools: string|undefined }: undefined = available, else why not.
 */
export function ensurePeers() {
  if (peersChecked) return peersChecked;
  const missing = Object.values(PEERS).filter((p) => !existsSync(p.bin)).map((p) => p.pkg);
  if (missing.length && process.getuid?.() === 0) {
    process.stderr.write(`installing peers: apt-get install -y ${missing.join(' ')}\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  }
  const why = (p) => (existsSync(p.bin) ? undefined : `${p.bin} missing (apt-get install ${p.pkg} ${process.getuid?.() === 0 ? 'failed' : 'needs root'})`);
  peersChecked = { gammu: why(PEERS.gammu), smstools: why(PEERS.smstools) };
  return peersChecked;
}

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** One line per fact: date, CPU, nproc, memory, node, peer versions. */
export function machineInfo() {
  const mem = sh('free', ['-h']).split('\n').find((l) => l.startsWith('Mem:'))?.split(/\s+/)[1] ?? '?';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: os.cpus()[0]?.model ?? '?',
    nproc: sh('nproc', []),
    memory: mem,
    node: process.version,
    kernel: os.release(),
    gammu: existsSync(PEERS.gammu.bin) ? sh(PEERS.gammu.bin, ['--version']).split('\n')[0] : 'not installed',
    smstools: existsSync(PEERS.smstools.bin) ? sh(PEERS.smstools.bin, ['-V']).split('\n')[0].split(',')[0] : 'not installed',
  };
}
