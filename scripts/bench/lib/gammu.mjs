/**
 * Debian's gammu-smsd (files backend) against the simulator: config, outbox filling with
 * gammu-smsd-inject, and a RunOnReceive hook that queues a reply (the closest path to our
 * CLIENT info acknowledgement).
 */
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { PEERS } from './env.mjs';
import { run, startMeasured } from './proc.mjs';

/** Settings a speed-minded operator would change (gammu-smsdrc(5)). */
export const GAMMU_TUNED = {
  LoopSleep: 0,
  CommTimeout: 0,
  SendTimeout: 10,
  StatusFrequency: 0,
  CheckSecurity: 0,
  CheckBattery: 0,
  CheckSignal: 0,
  CheckNetwork: 0,
  HardResetFrequency: 0,
  ResetFrequency: 0,
  ReceiveFrequency: 1,
};

/** Creates the folders and config; returns { cfg, outbox, dir }. */
export function setupGammu(dir, device, { tuned = false, runOnReceive } = {}) {
  const f = (n) => path.join(dir, n) + '/';
  for (const d of ['outbox', 'sent', 'error', 'inbox']) mkdirSync(f(d), { recursive: true });
  const lines = [
    '[gammu]',
    `device = ${device}`,
    'connection = at',
    '[smsd]',
    'service = files',
    `outboxpath = ${f('outbox')}`,
    `sentsmspath = ${f('sent')}`,
    `errorsmspath = ${f('error')}`,
    `inboxpath = ${f('inbox')}`,
    `logfile = ${path.join(dir, 'smsd.log')}`,
    'debuglevel = 0',
    ...(runOnReceive ? [`RunOnReceive = ${runOnReceive}`] : []),
    ...(tuned ? Object.entries(GAMMU_TUNED).map(([k, v]) => `${k} = ${v}`) : []),
  ];
  const cfg = path.join(dir, 'smsdrc');
  writeFileSync(cfg, lines.join('\n') + '\n');
  return { cfg, outbox: f('outbox'), dir };
}

/** gammu-smsd-inject arguments for one message of the workload. */
export function injectArgs(cfg, m, priority) {
  const args = ['-c', cfg, 'TEXT', m.to];
  if (/[^\x00-\x7f]/.test(m.text)) args.push('-unicode');
  if (m.parts > 1 || m.text.length > 160) args.push('-len', String(m.text.length));
  args.push('-text', m.text);
  return args;
}

/** Queues messages one gammu-smsd-inject call each (as an application would). */
export async function queueGammu(cfg, messages) {
  for (const m of messages) await run(PEERS.gammu.inject, injectArgs(cfg, m));
}

/**
 * A RunOnReceive script: queues "ACK" to the sender, renamed to priority A so it goes before
 * queued bulk (OUTC…), the gammu way to give a reply precedence.
 */
export function writeGammuReplyHook(dir, cfg) {
  const script = path.join(dir, 'on-receive.sh');
  writeFileSync(
    script,
    `#!/bin/sh
# gammu-smsd RunOnReceive: reply to the sender through the outbox, ahead of bulk.
out=$(${PEERS.gammu.inject} -c '${cfg}' TEXT "$SMS_1_NUMBER" -text "ACK" 2>&1 | sed -n 's/^Written message with ID //p')
[ -n "$out" ] && mv "$out" "$(dirname "$out")/OUTA$(basename "$out" | cut -c5-)"
exit 0
`,
  );
  chmodSync(script, 0o755);
  return script;
}

export function startGammu(setup) {
  return startMeasured(PEERS.gammu.bin, ['-c', setup.cfg], { logFile: path.join(setup.dir, 'stdout.log') });
}
