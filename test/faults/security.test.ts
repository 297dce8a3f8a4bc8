/**
 * Security, on the real built server as a child process (`serve --device`, AT trace logging on)
 * and the simulated modem on a pseudo-terminal in this process:
 * - the client's password and the SIM PIN never appear in the log output or in CLI listings;
 * - the credentials go only to the registered number (an unregistered sender gets none);
 * - data files are created 0600 (folders 0700);
 * - `serve` on a real device never starts the simulator's control socket;
 * - the HTTP API binds to loopback by default, rejects a wrong token and an oversized body;
 * - a flood of commands from one sender is rate-limited.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorPaths } from '../../src/cli/common.js';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { LowdbStore } from '../../src/store/index.js';
import { waitFor } from '../helpers/harness.js';
import { buildDist, CLI } from './helpers.js';

const PASSWORD = 'Zq7-Secr3t-Pa55';
const PIN = '7395';
const TOKEN = 'http-token-5f2c9a';
const REGISTERED = '+79001234567';

let dir: string;
let sim: RunningSimulator;
let child: ChildProcess | undefined;
let output = '';

beforeAll(() => {
  buildDist();
  dir = mkdtempSync(join(tmpdir(), 'sms-sec-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--data', dir], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The PIN as a token of its own (timestamps and pids are long digit runs and do not match). */
const pinToken = new RegExp(`(^|[^0-9])${PIN}([^0-9]|$)`, 'm');

async function inbox(): Promise<{ from: string; text: string; status: string }[]> {
  const s = new LowdbStore(dir, { readOnly: true });
  await s.open();
  try {
    return await s.listInbound({ limit: 1000 });
  } finally {
    await s.close();
  }
}

describe('secrets, permissions and exposure of a running server', () => {
  it('never logs the password or PIN, answers only the registered number, files 0600, no control socket, loopback API', async () => {
    const device = join(dir, 'modem');
    sim = await startSimulatorOnPty({ link: device, pin: PIN });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ profile: 'generic', pin: PIN, http: { enabled: true, port: 0, token: TOKEN, maxBodyBytes: 1024 }, inbound: { perSenderPerHour: 3 } }),
      { mode: 0o600 },
    );
    const add = cli(['clients', 'add', '--phone', '8 900 123-45-67', '--code', '1234', '--login', 'ivanov', '--password', PASSWORD]);
    expect(add.status).toBe(0);
    expect(add.stdout + add.stderr).not.toContain(PASSWORD);

    child = spawn(process.execPath, [CLI, 'serve', '--device', device, '--data', dir, '--log-level', 'trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    await waitFor(() => output.includes('"state":"ready"'), 'modem ready (SIM unlocked with the configured PIN)', 20_000);

    sim.modem.injectSms(REGISTERED, 'CLIENT info');
    sim.modem.injectSms('+79005554433', 'CLIENT info'); // not registered: no credentials
    await waitFor(() => sim.modem.sent.filter((s) => s.to === REGISTERED).length >= 2, 'ack + credentials to the registered number', 20_000);
    await waitFor(async () => (await inbox()).filter((e) => e.status !== 'new').length >= 2, 'both requests processed', 20_000);

    // Rate limit: a flood of commands from one sender beyond perSenderPerHour is rejected.
    // (Distinct texts: identical PDUs within one SCTS second are one message to the dedup key.)
    for (const t of ['CLIENT info', 'client info', 'CLIENT INFO', 'Client Info', 'cLIENT iNFO', 'CLIENT Info']) sim.modem.injectSms('+79006667788', t);
    await waitFor(async () => (await inbox()).filter((e) => e.from === '+79006667788' && e.status !== 'new').length === 6, 'flood processed', 20_000);
    const flood = (await inbox()).filter((e) => e.from === '+79006667788');
    expect(flood.filter((e) => e.status === 'rejected').length).toBeGreaterThanOrEqual(3);

    // Credentials only to the registered number.
    const withPassword = sim.modem.sent.filter((s) => s.text.includes(PASSWORD));
    expect(withPassword.length).toBe(1);
    expect(withPassword[0]!.to).toBe(REGISTERED);
    expect(sim.modem.sent.filter((s) => s.to !== REGISTERED).every((s) => !s.text.includes(PASSWORD))).toBe(true);

    // HTTP API: loopback by default, token compared, body size limited.
    const status = JSON.parse(cli(['status', '--json']).stdout) as { http?: { host: string; port: number }; modem: { state: string } };
    expect(status.http?.host).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${status.http!.port}`;
    expect((await fetch(`${base}/health`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${base}/health`)).status).toBe(401);
    expect((await fetch(`${base}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const big = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: REGISTERED, text: 'x'.repeat(5000) }),
    });
    expect(big.status).toBe(413);

    // CLI listings: the password only with an explicit --show-passwords.
    const list = cli(['clients', 'list', '--json']);
    expect(list.status).toBe(0);
    expect(list.stdout).not.toContain(PASSWORD);
    const outbox = cli(['outbox', '--json', '--limit', '100']);
    expect(outbox.stdout).not.toContain(PASSWORD);
    expect(outbox.stdout).not.toContain(withPassword[0]!.pdu.slice(20, 60));

    // The simulator's control interface belongs to `serve --simulate` only.
    expect(existsSync(simulatorPaths(dir).control)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.sock'))).toEqual([]);

    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    expect(child.exitCode).toBe(0);

    // Logs: trace level (AT trace with PDUs), yet no password, no PIN, no token, no credentials PDU.
    expect(output.length).toBeGreaterThan(10_000);
    expect(output).toContain('AT+CPIN');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toMatch(pinToken);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(withPassword[0]!.pdu.slice(20, 60));

    // Permissions: every file the server or CLI created is 0600, every folder 0700.
    const loose: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        const st = lstatSync(p);
        if (st.isSymbolicLink()) continue; // the simulated modem's device link
        if (st.isDirectory()) {
          if ((st.mode & 0o077) !== 0) loose.push(`${p} ${(st.mode & 0o777).toString(8)}`);
          walk(p);
        } else if ((st.mode & 0o077) !== 0) loose.push(`${p} ${(st.mode & 0o777).toString(8)}`);
      }
    };
    walk(dir);
    expect(loose).toEqual([]);
  });
});
