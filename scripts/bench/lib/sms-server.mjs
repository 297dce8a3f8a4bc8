/**
 * sms-server under measurement: a data folder prepared with the server stopped (jobs, clients,
 * a mass text written through the store, the way `send`/`mass`/`clients add` do when no server
 * runs), then `node dist/cli/main.js serve` as a child process on the simulator's device.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, cliNodeFlags, dist } from './env.mjs';
import { startMeasured } from './proc.mjs';

const { LowdbStore } = await dist('store/index.js');
const { addClient } = await dist('commands/index.js');
const { createCampaign } = await dist('queue/index.js');
const { loadOrCreateKey } = await dist('util/secret.js');

/** Writes <dir>/config.json (deep keys merged one level over these defaults). */
export function writeConfig(dir, over = {}) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cfg = {
    profile: 'generic',
    logLevel: 'warn',
    ...over,
    // No per-recipient cap or rate limit unless asked: the benchmark measures the pipeline.
    queue: { massPerMinute: 10_000, dailyCap: 1_000_000, ...over.queue },
    inbound: { perSenderPerHour: 100_000, ...over.inbound },
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
}

async function withStore(dir, fn) {
  const store = new LowdbStore(dir);
  await store.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Queues the messages as notifications (what `send` does), in one batch. */
export function queueNotifications(dir, messages) {
  const epoch = new Date(0).toISOString();
  return withStore(dir, (s) =>
    s.enqueue(messages.map((m) => ({ to: m.to, text: m.text, priority: 'notification', state: 'queued', attempts: 0, nextAttemptAt: epoch }))),
  );
}

/** Queues a mass text to `recipients` (what `mass --file` does). */
export function queueMass(dir, text, recipients) {
  return withStore(dir, (s) => createCampaign(s, { text, name: 'bench', fileText: recipients.join('\n') + '\n' }, { country: 'RU' }));
}

/** Registers clients (what `clients add` does). */
export async function addClients(dir, phones) {
  const key = loadOrCreateKey({ dataDir: dir });
  await withStore(dir, async (s) => {
    for (const [i, phone] of phones.entries()) {
      await addClient(s, { phone, code: `C${1000 + i}`, login: `client${i}`, password: `pw-${i}-secret` }, key, { country: 'RU' });
    }
  });
}

/** Starts `sms-server serve` on the device; logs to <dir>/server.log. */
export function startServerProcess(dir, device, extraArgs = []) {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = [...cliNodeFlags(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  return startMeasured(process.execPath, [...nodeArgs, CLI, 'serve', '--device', device, '--data', dir, ...extraArgs], {
    logFile: path.join(dir, 'server.log'),
  });
}
