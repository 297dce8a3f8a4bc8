/**
 * The daemons compared, behind one shape: `prepare(dir, device, o)` queues work with the daemon
 * stopped and returns `start()` → a measured process (lib/proc.mjs).
 *   o.messages  workload to queue before start (throughput)
 *   o.replyHook install the inbound→reply path (latency): sms-server answers CLIENT info by itself;
 *               the peers get a hook script that queues "ACK".
 *   o.clients   phones to register (sms-server: CLIENT info answers clients only)
 */
import { ensurePeers } from './env.mjs';
import { setupGammu, queueGammu, writeGammuReplyHook, startGammu } from './gammu.mjs';
import { addClients, queueNotifications, startServerProcess, writeConfig, queueMass } from './sms-server.mjs';
import { setupSmstools, queueSmstools, writeSmstoolsReplyHook, startSmstools } from './smstools.mjs';

const smsServer = {
  id: 'sms-server',
  label: 'sms-server',
  async prepare(dir, device, o = {}) {
    writeConfig(dir);
    if (o.clients?.length) await addClients(dir, o.clients);
    if (o.messages?.length) await queueNotifications(dir, o.messages);
    if (o.mass) await queueMass(dir, o.mass.text, o.mass.recipients);
    return { start: () => startServerProcess(dir, device) };
  },
};

function gammu(tuned) {
  return {
    id: tuned ? 'gammu-tuned' : 'gammu-default',
    label: `gammu-smsd ${tuned ? 'tuned' : 'defaults'}`,
    peer: 'gammu',
    async prepare(dir, device, o = {}) {
      let setup = setupGammu(dir, device, { tuned });
      if (o.replyHook) setup = setupGammu(dir, device, { tuned, runOnReceive: writeGammuReplyHook(dir, setup.cfg) });
      if (o.messages?.length) await queueGammu(setup.cfg, o.messages);
      if (o.mass) await queueGammu(setup.cfg, o.mass.recipients.map((to) => ({ to, text: o.mass.text, parts: 1 })));
      return { start: () => startGammu(setup) };
    },
  };
}

function smstools(tuned) {
  return {
    id: tuned ? 'smstools-tuned' : 'smstools-default',
    label: `smstools3 ${tuned ? 'tuned' : 'defaults'}`,
    peer: 'smstools',
    async prepare(dir, device, o = {}) {
      let setup = setupSmstools(dir, device, { tuned });
      if (o.replyHook) setup = setupSmstools(dir, device, { tuned, eventhandler: writeSmstoolsReplyHook(dir, setup) });
      if (o.messages?.length) queueSmstools(setup, o.messages);
      if (o.mass) queueSmstools(setup, o.mass.recipients.map((to) => ({ to, text: o.mass.text, parts: 1 })));
      return { start: () => startSmstools(setup) };
    },
  };
}

export const ALL = [smsServer, gammu(false), gammu(true), smstools(false), smstools(true)];

/** Systems to run: `only` (ids, comma-separated) or all; peers that cannot be installed are reported and skipped. */
export function selectSystems(only) {
  const want = only ? only.split(',') : undefined;
  const peers = ensurePeers();
  const out = [];
  for (const s of ALL) {
    if (want && !want.includes(s.id)) continue;
    if (s.peer && peers[s.peer]) {
      process.stderr.write(`skipping ${s.label}: ${peers[s.peer]}\n`);
      continue;
    }
    out.push(s);
  }
  return out;
}

