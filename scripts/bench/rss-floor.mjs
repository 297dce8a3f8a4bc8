#!/usr/bin/env node
/**
 * The floor under "RSS after start" (issue 19): the resident memory of a Node process that does
 * nothing, then of one that only loads the packages the server cannot run without (the design
 * card's, as `serve` imports them) — each in a fresh child process, with the program's V8 flags.
 * Prints figures, asserts nothing.
 *
 *   node scripts/bench/rss-floor.mjs [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs, num } from './lib/args.mjs';
import { cliNodeFlags } from './lib/env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = num(parseArgs().runs, 3);

/** What each child loads before it reads its own /proc/self/status. */
const CASES = {
  'empty process': [],
  '+ node:http, node:crypto': ['node:http', 'node:crypto'],
  '+ pino, @serialport/stream + bindings-cpp, lowdb, node-pdu (the design card, as serve imports them)': [
    'node:http',
    'node:crypto',
    'pino',
    '@serialport/stream',
    '@serialport/bindings-cpp',
    'lowdb',
    'lowdb/node',
    'node-pdu',
  ],
};

const probe = (mods) =>
  `${mods.map((m) => `await import(${JSON.stringify(m)});`).join('')}` +
  `const s = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');` +
  `const kb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(s)[1]);` +
  `console.log(JSON.stringify({ rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') }));`;

const f = (kb) => (kb / 1024).toFixed(1);
console.log(`rss-floor: node ${process.version}, flags ${cliNodeFlags().join(' ')}, ${runs} runs each`);
for (const [name, mods] of Object.entries(CASES)) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [...cliNodeFlags(), '--input-type=module', '-e', probe(mods)], { cwd: root, encoding: 'utf8' });
    rows.push(JSON.parse(out.trim()));
  }
  const range = (k) => `${f(Math.min(...rows.map((r) => r[k])))}–${f(Math.max(...rows.map((r) => r[k])))}`;
  console.log(`${name}: RSS ${range('rss')} MB (anon ${range('anon')} + file ${range('file')})`);
}
