/**
 * SMPP and the process lifecycle (issue 16), with the real `serve` as a child process on the
 * simulated modem: inbound SMS routed to an account while none of its sessions is bound survive
 * `kill -9` and arrive as deliver_sm after the restart, each once; SIGTERM with a session bound
 * unbinds it and exits 0; a port in use stops `serve` with a clear error and a non-zero exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { LowdbStore, type Forward } from '../../src/store/index.js';
import type { LibPdu } from '../../src/smpp/library.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/harness.js';
import { Client, until } from '../smpp/helpers.js';

const PASSWORD = 'k1ll-me';
let cli: BuiltCli;
let dir: string;
let sim: RunningSimulator | undefined;
let child: ChildProcess | undefined;
let logFd: number | undefined;
let blocker: Server | undefined;
const clients: Client[] = [];
let stamp = Date.UTC(2026, 10, 27, 12, 0, 0);

/** A port free right now (the kernel's pick, released): the child's SMPP listener takes it. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));

function serve(device: string): ChildProcess {
  return spawn(process.execPath, [cli.main, 'serve', '--device', device, '--data', dir, '--config', join(dir, 'config.json')], {
    stdio: ['ignore', logFd!, logFd!],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
}

async function smppForwards(): Promise<Forward[]> {
  const s = new LowdbStore(dir, { readOnly: true });
  await s.open();
  try {
    return (await s.listForwards({ account: 'acme' })).filter((f) => f.channel === 'smpp');
  } finally {
    await s.close();
  }
}

async function bind(port: number): Promise<Client> {
  const c = await waitFor(() => Client.connect(port).catch(() => undefined), 'the SMPP listener', 60_000, 200);
  clients.push(c);
  expect((await c.bind('bind_transceiver', 'acme', PASSWORD)).command_status).toBe(0);
  return c;
}

const text = (p: LibPdu) => (p.short_message as Buffer).toString('latin1');

beforeAll(async () => {
  cli = buildCli();
  dir = mkdtempSync(join(tmpdir(), 'sms-smpp-kill-'));
  logFd = openSync(join(dir, 'serve.log'), 'a');
}, 180_000);

afterAll(async () => {
  clients.splice(0).forEach((c) => c.close());
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  if (logFd !== undefined) closeSync(logFd);
  rmSync(dir, { recursive: true, force: true });
  cli?.remove();
});

describe('SMPP across kill -9 and SIGTERM', () => {
  it('deliver_sm queued while no session is bound survive kill -9 and are delivered once after the restart', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profile: 'generic', smpp: { enabled: true, port, responseTimeoutSeconds: 3 } }));
    // The account is made before the server runs: the CLI writes directly.
    for (const args of [
      ['accounts', 'add', '--login', 'acme'],
      ['accounts', 'set', '--login', 'acme', '--smpp-password', PASSWORD],
    ]) {
      const r = await cli.run([...args, '--data', dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const long = await cli.run(['accounts', 'set', '--login', 'acme', '--smpp-password', 'nine-char', '--data', dir]);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('an SMPP password is 1 to 8 characters (SMPP 3.4 limit), got 9');
    const device = join(dir, 'modem');
    sim = await startSimulatorOnPty({ link: device, noise: 0 });
    child = serve(device);
    await waitFor(() => Client.connect(port).then((c) => (c.close(), true)).catch(() => undefined), 'the SMPP listener', 60_000, 200);

    const texts = ['acme: first while away', 'acme: second while away'];
    for (const t of texts) sim.modem.injectSms('+79005550003', t, { timestamp: new Date((stamp += 1000)) });
    await waitFor(async () => ((await smppForwards()).filter((f) => f.status === 'pending').length === 2 ? true : undefined), 'two smpp forwards stored', 60_000, 200);
    child.kill('SIGKILL');
    await exited(child);

    child = serve(device);
    const c = await bind(port);
    const want = ['first while away', 'second while away'];
    await until(() => want.every((w) => c.delivered.some((p) => text(p) === w)), 'both deliver_sm after the restart', 60_000);
    await waitFor(async () => ((await smppForwards()).every((f) => f.status === 'delivered') ? true : undefined), 'forwards delivered', 30_000, 200);
    await new Promise((r) => setTimeout(r, 1500)); // a second copy would come within this
    expect(c.delivered.map(text).sort()).toEqual(want);

    // SIGTERM with the session bound: the client is unbound, the server exits 0.
    let unbound = false;
    c.session.on('unbind', () => (unbound = true));
    child.kill('SIGTERM');
    await exited(child);
    expect(child.exitCode).toBe(0);
    expect(unbound).toBe(true);
  }, 240_000);

  it('a port in use stops serve with a clear error and a non-zero exit', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const { port } = blocker.address() as { port: number };
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profile: 'generic', smpp: { enabled: true, port } }));
    const r = await cli.run(['serve', '--device', join(dir, 'modem'), '--data', dir, '--config', join(dir, 'config.json')], { env: { LOG_LEVEL: 'error' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain(`the SMPP listener cannot listen on 127.0.0.1:${port}: the port is in use`);
    expect(readFileSync(join(dir, 'serve.log'), 'utf8')).not.toContain(PASSWORD);
  }, 120_000);
});
