/**
 * The simulated modem on a real pseudo-terminal, in this (the benchmark's) process, with a
 * timestamped record of what the host put on the wire: every command line (`AT+CMGS=…` included)
 * and every SUBMIT the modem accepted. All times are performance.now() milliseconds.
 */
import path from 'node:path';
import { dist } from './env.mjs';

const { startSimulatorOnPty } = await dist('sim/index.js');

/**
 * @param {string} dir folder for the device link
 * @param {{ sendDelayMs?: number }} o
 */
export async function startSim(dir, { sendDelayMs = 0 } = {}) {
  const link = path.join(dir, 'ttyUSB-sim');
  const sim = await startSimulatorOnPty({ link, sendDelayMs, profile: 'generic', noise: 0 });
  const rec = {
    /** { t, line } for every command line the modem parsed. */
    commands: [],
    /** { t, cmgsAt, to, text, encoding, concat } per accepted PDU: cmgsAt = when its AT+CMGS arrived. */
    sent: [],
  };
  let lastCmgs;
  sim.modem.on('command', (line) => {
    const t = performance.now();
    rec.commands.push({ t, line });
    if (/^AT\+CMGS=/i.test(line)) lastCmgs = t;
  });
  const listeners = new Set();
  sim.modem.on('sent', (s) => {
    const r = { t: performance.now(), cmgsAt: lastCmgs, to: s.to, text: s.text, encoding: s.encoding, concat: s.concat };
    rec.sent.push(r);
    for (const l of listeners) l(r);
  });
  return {
    path: link,
    modem: sim.modem,
    rec,
    /** Called with each accepted PDU record. Returns an unsubscribe function. */
    onSent(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The network delivers an SMS (stored on the SIM, +CMTI). Returns performance.now() of the injection. */
    inject(from, text) {
      const t = performance.now();
      sim.modem.injectSms(from, text);
      return t;
    },
    close: () => sim.close(),
  };
}

/**
 * Joins accepted PDUs into messages (by recipient + concatenation reference) and compares them
 * with what was queued. Returns { complete, wrong: [descriptions] }.
 */
export function checkDelivered(sent, expected) {
  const byKey = new Map();
  for (const s of sent) {
    const key = s.concat ? `${s.to}|${s.concat.ref}|${s.concat.total}` : `${s.to}|single|${byKey.size}`;
    if (!byKey.has(key)) byKey.set(key, { to: s.to, parts: [] });
    byKey.get(key).parts.push(s);
  }
  const got = new Map();
  for (const m of byKey.values()) {
    const text = m.parts.sort((a, b) => (a.concat?.seq ?? 1) - (b.concat?.seq ?? 1)).map((p) => p.text).join('');
    const total = m.parts[0].concat?.total ?? 1;
    if (!got.has(m.to)) got.set(m.to, []);
    got.get(m.to).push({ text, complete: m.parts.length === total });
  }
  let complete = 0;
  const wrong = [];
  for (const e of expected) {
    const list = got.get(e.to) ?? [];
    const i = list.findIndex((g) => g.complete && g.text.replace(/\s+$/, '') === e.text);
    if (i >= 0) {
      complete++;
      list.splice(i, 1);
    } else if (wrong.length < 3) {
      wrong.push(`${e.to}: expected ${JSON.stringify(e.text.slice(0, 30))}…, got ${JSON.stringify(list.map((g) => g.text.slice(0, 30)))}`);
    }
  }
  return { complete, wrong };
}
