/**
 * Debian's smstools3 (smsd) against the simulator: spool folders, a config in a temp folder,
 * message files in `outgoing`, and an eventhandler that queues a reply on RECEIVED.
 */
import { mkdirSync, writeFileSync, chmodSync, renameSync } from 'node:fs';
import path from 'node:path';
import { PEERS } from './env.mjs';
import { startMeasured } from './proc.mjs';

/** Settings a speed-minded operator would change (smstools3 configure.html). */
export const SMSTOOLS_TUNED_GLOBAL = { delaytime: 1, delaytime_mainprocess: 1 };
export const SMSTOOLS_TUNED_MODEM = { check_network: 0, poll_faster: 50, delaytime: 1, pre_init: 'no', check_memory_method: 1 };

export function setupSmstools(dir, device, { tuned = false, eventhandler } = {}) {
  const d = (n) => path.join(dir, n);
  for (const n of ['outgoing', 'checked', 'incoming', 'failed', 'sent', 'tmp']) mkdirSync(d(n), { recursive: true });
  const lines = [
    'devices = GSM1',
    `outgoing = ${d('outgoing')}`,
    `checked = ${d('checked')}`,
    `incoming = ${d('incoming')}`,
    `failed = ${d('failed')}`,
    `sent = ${d('sent')}`,
    `logfile = ${d('smsd.log')}`,
    `infofile = ${d('smsd.working')}`,
    `pidfile = ${d('smsd.pid')}`,
    'loglevel = 4',
    ...(eventhandler ? [`eventhandler = ${eventhandler}`] : []),
    ...(tuned ? Object.entries(SMSTOOLS_TUNED_GLOBAL).map(([k, v]) => `${k} = ${v}`) : []),
    '',
    '[GSM1]',
    `device = ${device}`,
    'incoming = yes',
    ...(tuned ? Object.entries(SMSTOOLS_TUNED_MODEM).map(([k, v]) => `${k} = ${v}`) : []),
  ];
  const cfg = d('smsd.conf');
  writeFileSync(cfg, lines.join('\n') + '\n');
  return { cfg, dir, outgoing: d('outgoing'), tmp: d('tmp') };
}

/** smstools message file: headers, blank line, text (UTF-8 → smsd picks GSM or UCS2). */
export function messageFile(m, priority) {
  const to = m.to.replace(/^\+/, '');
  const headers = [`To: ${to}`];
  if (/[^\x00-\x7f]/.test(m.text)) headers.push('Alphabet: UTF-8');
  if (priority) headers.push(`Priority: ${priority}`);
  return headers.join('\n') + '\n\n' + m.text;
}

/** Drops message files into `outgoing` (written aside, then renamed in: smsd must not see half a file). */
export function queueSmstools(setup, messages) {
  messages.forEach((m, i) => {
    const tmp = path.join(setup.tmp, `m${String(i).padStart(6, '0')}`);
    writeFileSync(tmp, messageFile(m));
    renameSync(tmp, path.join(setup.outgoing, path.basename(tmp)));
  });
}

/** An eventhandler: on RECEIVED, queue "ACK" to the sender with high priority. */
export function writeSmstoolsReplyHook(dir, setup) {
  const { outgoing, tmp: tmpDir } = setup;
  const script = path.join(dir, 'event.sh');
  writeFileSync(
    script,
    `#!/bin/sh
# smstools3 eventhandler: $1 = event, $2 = message file.
[ "$1" = RECEIVED ] || exit 0
from=$(sed -n 's/^From: //p' "$2" | head -n1)
tmp='${tmpDir}/reply.'$$
printf 'To: %s\\nPriority: high\\n\\nACK' "$from" > "$tmp"
mv "$tmp" '${outgoing}/reply.'$$
exit 0
`,
  );
  chmodSync(script, 0o755);
  return script;
}

export function startSmstools(setup) {
  // -t: stay in the foreground (no daemon), so the process group can be measured and killed.
  return startMeasured(PEERS.smstools.bin, ['-c', setup.cfg, '-t'], { logFile: path.join(setup.dir, 'stdout.log') });
}
