#!/usr/bin/env node
/**
 * The floor under http-cost.mjs's msg/s: the same zero-delay simulated modem on a real
 * pseudo-terminal, driven by the barest host that can submit SMS — `serialport` and a loop that
 * writes `AT+CMGS=<n>`, waits for `> `, writes the PDU + Ctrl-Z and waits for `OK`. No store, no
 * queue, no logging: what one PDU costs on the wire and in the simulator alone. Prints figures,
 * asserts nothing.
 *
 *   npx tsc -p tsconfig.build.json && node scripts/bench/modem-floor.mjs [--n 200] [--runs 3]
 *
 * Same message mix as http-cost.mjs (lib/workload.mjs costWorkload), pre-encoded before the clock starts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, num } from './lib/args.mjs';
import { dist, ensureBuilt } from './lib/env.mjs';

const a = parseArgs();
ensureBuilt(Boolean(a.build));
const n = num(a.n, 200);
const runs = num(a.runs, 3);

const { encodeSubmit } = await dist('sms/index.js');
const { startSim } = await import('./lib/sim.mjs');
const { costWorkload } = await import('./lib/workload.mjs');
const { SerialPortStream } = await import('@serialport/stream');
const { autoDetect } = await import('@serialport/bindings-cpp');

const messages = costWorkload(n);
const pdus = messages.flatMap((m, i) => encodeSubmit(m.to, m.text, { ref: i % 256 }));

async function once() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-floor-'));
  const sim = await startSim(dir, { sendDelayMs: 0 });
  const port = new SerialPortStream({ binding: autoDetect(), path: sim.path, baudRate: 115200 });
  await new Promise((res, rej) => port.once('open', res).once('error', rej));
  // One waiter at a time: the loop below never has two commands out.
  let buf = '';
  let waiter;
  port.on('data', (d) => {
    buf += d.toString('latin1');
    if (waiter && waiter.re.test(buf)) {
      const { resolve } = waiter;
      waiter = undefined;
      buf = '';
      resolve();
    }
  });
  const cmd = (text, re) =>
    new Promise((resolve) => {
      waiter = { re, resolve };
      port.write(text);
    });
  await cmd('ATE0\r', /OK\r\n/);
  await cmd('AT+CMGF=0\r', /OK\r\n/);
  const t0 = performance.now();
  for (const p of pdus) {
    await cmd(`AT+CMGS=${p.tpduLength}\r`, /> ?$/);
    await cmd(p.hex + '\x1a', /\r\nOK\r\n/);
  }
  const s = (performance.now() - t0) / 1000;
  await new Promise((r) => port.close(r));
  await sim.close();
  await rm(dir, { recursive: true, force: true });
  if (sim.rec.sent.length !== pdus.length) throw new Error(`simulator accepted ${sim.rec.sent.length}/${pdus.length} PDUs`);
  return s;
}

console.log(`modem-floor: ${n} messages (${pdus.length} PDUs) submitted back to back by a bare serialport loop, zero-delay simulated modem`);
for (let r = 0; r < runs; r++) {
  const s = await once();
  console.log(`run ${r + 1}: ${(n / s).toFixed(1)} msg/s, ${((s * 1000) / pdus.length).toFixed(2)} ms per PDU`);
}
