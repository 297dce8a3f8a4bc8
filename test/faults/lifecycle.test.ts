/**
 * Start and stop of the real built server (`node dist/cli/main.js serve`) as systemd sees it
 * (issue 9 items 1, 2, 5): a start-up error exits non-zero at once with the lock released and
 * nothing left running; a second server on the same data folder refuses before it touches the
 * first one's simulator; SIGTERM ends the process within seconds even while the device is
 * missing or the modem hangs mid-send, and a job that never reached a modem is not counted as a
 * possible duplicate.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { LowdbStore, type Job } from '../../src/store/index.js';
import { waitFor } from '../helpers/harness.js';
import { buildDist, CLI } from './helpers.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
let sim: RunningSimulator | undefined;

beforeAll(() => buildDist());
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sim?.close();
  sim = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'sms-life-'));
  dirs.push(d);
  return d;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Served {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code and how long after `since` it came. */
  exit: Promise<{ code: number | null; at: number }>;
}

function serve(args: string[], env: Record<string, string> = {}): Served {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<{ code: number | null; at: number }>((r) => child.on('exit', (code) => r({ code, at: Date.now() })));
  return { child, output: () => out, exit };
}

/** The exit within `ms`, or 'still running'. */
async function exitWithin(s: Served, ms: number): Promise<{ code: number | null; at: number } | 'still running'> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([s.exit, new Promise<'still running'>((res) => (t = setTimeout(() => res('still running'), ms)))]);
  clearTimeout(t);
  return r;
}

async function jobs(dir: string): Promise<Job[]> {
  const s = new LowdbStore(dir, { readOnly: true });
  await s.open();
  try {
    return await s.listJobs({ limit: 100 });
  } finally {
    await s.close();
  }
}

describe('a start-up error stops the process (item 1)', () => {
  const cases: [string, unknown, RegExp][] = [
    ['HTTP token under 16 characters', { http: { enabled: true, token: 'short' } }, /"http\.token".*at least 16 characters/],
    ['unknown template key', { templates: { akc: 'Thanks' } }, /unknown key "templates\.akc"/],
    ['template with an unknown placeholder', { templates: { ack: 'Thanks {name}' } }, /uses \{name\}/],
  ];
  for (const [name, config, message] of cases) {
    it(`${name} under --simulate: exit 2 at once, lock released, nothing started`, async () => {
      const dir = folder();
      // The baseline on this (shared, loaded) machine: a process that only loads the CLI.
      const t0 = Date.now();
      cli(['--version']);
      const baseline = Date.now() - t0;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      const started = Date.now();
      const s = serve(['--simulate', '--data', dir]);
      const r = await exitWithin(s, 10_000);
      expect(r, s.output()).not.toBe('still running');
      const { code, at } = r as { code: number; at: number };
      console.log(`LIFECYCLE: ${name}: exit ${code} after ${at - started} ms; \`sms-server --version\` takes ${baseline} ms here`);
      expect(code).toBe(2);
      expect(s.output()).toMatch(message);
      expect(existsSync(join(dir, 'server.lock'))).toBe(false);
      expect(existsSync(join(dir, 'sim-modem'))).toBe(false);
      expect(existsSync(join(dir, 'sim-control.sock'))).toBe(false);
      expect(cli(['status', '--data', dir]).stdout).toMatch(/server:\s+not running/);
    });
  }

  it('the HTTP port already taken: exit 1, lock released, simulator gone', async () => {
    const dir = folder();
    const blocker = spawn(process.execPath, ['-e', "require('net').createServer().listen(0,'127.0.0.1',function(){console.log(this.address().port)})"]);
    children.push(blocker);
    const port = await new Promise<string>((r) => blocker.stdout!.once('data', (b: Buffer) => r(b.toString().trim())));
    const s = serve(['--simulate', '--data', dir, '--http-port', port], { SMS_SERVER_HTTP_TOKEN: 'a-token-of-24-characters' });
    const r = await exitWithin(s, 15_000);
    expect(r, s.output()).not.toBe('still running');
    expect((r as { code: number }).code).toBe(1);
    expect(s.output()).toMatch(/EADDRINUSE/);
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
    expect(existsSync(join(dir, 'sim-modem'))).toBe(false);
  });
});

describe('a second server on the same data folder (item 5)', () => {
  it('refuses before it touches the first one’s simulator link and control socket, and exits non-zero', async () => {
    const dir = folder();
    const first = serve(['--simulate', '--data', dir]);
    await waitFor(() => /server started/.test(first.output()), 'the first server', 20_000);
    const link = readlinkSync(join(dir, 'sim-modem'));
    const sockIno = lstatSync(join(dir, 'sim-control.sock')).ino;

    const second = serve(['--simulate', '--data', dir]);
    const r = await exitWithin(second, 10_000);
    expect(r, second.output()).not.toBe('still running');
    expect((r as { code: number }).code).not.toBe(0);
    expect(second.output()).toMatch(new RegExp(`another sms-server \\(pid ${first.child.pid} .*is using the data folder`));
    expect(second.output()).not.toMatch(/simulated .* modem on a pseudo-terminal/);

    // The first server still owns its simulator, and the simulator still answers.
    expect(readlinkSync(join(dir, 'sim-modem'))).toBe(link);
    expect(lstatSync(join(dir, 'sim-control.sock')).ino).toBe(sockIno);
    expect(cli(['simulate', 'sent', '--data', dir]).status).toBe(0);
    expect(cli(['status', '--data', dir]).stdout).toMatch(new RegExp(`running \\(pid ${first.child.pid}\\)`));
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
  });
});

describe('SIGTERM in every state (item 2)', () => {
  it('with a job waiting for a missing device: exits 0 within seconds; the job is not a possible duplicate', async () => {
    const dir = folder();
    const device = join(dir, 'usb-modem'); // unplugged: the path does not exist
    expect(cli(['send', '--to', '+79001234567', '--text', 'card ready', '--data', dir]).status).toBe(0);
    const s = serve(['--device', device, '--data', dir]);
    await waitFor(() => /server started/.test(s.output()), 'the server', 20_000);
    await new Promise((r) => setTimeout(r, 1500)); // the worker has taken the job and waits for the modem
    const sentAt = Date.now();
    s.child.kill('SIGTERM');
    const r = await exitWithin(s, 10_000);
    expect(r, s.output()).not.toBe('still running');
    const { code, at } = r as { code: number; at: number };
    console.log(`LIFECYCLE: SIGTERM with the device missing: exit ${code} after ${at - sentAt} ms`);
    expect(code).toBe(0);
    expect(at - sentAt).toBeLessThan(5_000);
    const [job] = await jobs(dir);
    expect(job).toMatchObject({ state: 'queued', attempts: 0 });
    expect(job!.writing).toBeUndefined();

    // The device comes back: the job goes out once, with no duplicate counted.
    sim = await startSimulatorOnPty({ link: device, profile: 'generic' });
    const again = serve(['--device', device, '--data', dir]);
    const sent = await waitFor(async () => (await jobs(dir)).find((j) => j.state === 'sent'), 'the job sent after the restart', 30_000);
    expect(sent.duplicates ?? 0).toBe(0);
    expect(sent.lastError).toBeUndefined();
    expect(sim.modem.sent.map((m) => m.text)).toEqual(['card ready']);
    again.child.kill('SIGTERM');
    expect((await again.exit).code).toBe(0);
  });

  it('while the modem hangs in the middle of a send: exits within seconds; the job is counted as possibly sent', async () => {
    const dir = folder();
    const device = join(dir, 'usb-modem');
    sim = await startSimulatorOnPty({ link: device, profile: 'generic' });
    const s = serve(['--device', device, '--data', dir]);
    await waitFor(() => /server started/.test(s.output()), 'the server', 20_000);
    await waitFor(() => /"state":"ready"/.test(s.output()), 'modem ready', 20_000);
    sim.modem.faults.hangOnNextSend(120_000);
    expect(cli(['send', '--to', '+79001234567', '--text', 'swallowed', '--data', dir]).status).toBe(0);
    await waitFor(async () => (await jobs(dir)).find((j) => j.state === 'sending'), 'the job in flight', 20_000);
    const sentAt = Date.now();
    s.child.kill('SIGTERM');
    const r = await exitWithin(s, 20_000);
    expect(r, s.output()).not.toBe('still running');
    const { code, at } = r as { code: number; at: number };
    console.log(`LIFECYCLE: SIGTERM with a PDU in flight on a hung modem: exit ${code} after ${at - sentAt} ms`);
    expect(code).toBe(0);
    expect(at - sentAt).toBeLessThan(12_000);
    // The PDU was written: the next start treats it as possibly sent (one re-send, counted).
    const [job] = await jobs(dir);
    expect(job).toMatchObject({ state: 'sending', writing: { seq: 1 } });
  });
});
