/**
 * The README's "Several modems" flow, run as an operator runs it: `serve --simulate --modems 3`
 * as a child process, then `clients add`, `simulate sms --modem m2`, `simulate sent --modem m2`,
 * `simulate unplug --modem m1`, `status`, then Ctrl-C with a hung modem, each a separate CLI process. Bad flags and a pool
 * config that cannot work exit non-zero with a message naming the problem.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/harness.js';

let built: BuiltCli;
let dir: string;
let server: ChildProcess | undefined;
let out = '';

beforeAll(() => {
  built = buildCli();
  dir = mkdtempSync(join(tmpdir(), 'sms-pool-cli-'));
}, 120_000);
afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  built?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => built.run([...args, '--data', join(dir, 'pool-data')]);
async function json<T>(args: string[]): Promise<T> {
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface StatusJson {
  server: { running: boolean };
  modems: { id: string; number?: string; state: string; sentToday: number; queueDepth: number; lastFault?: { step: string } }[];
  queue: { unpinned: number };
}

describe('serve --simulate --modems 3 (README "Several modems")', () => {
  it('answers through the modem that was texted, shows every modem in status, survives an unplug, stops on Ctrl-C with a modem hung', async () => {
    server = spawn(process.execPath, [built.main, 'serve', '--simulate', '--modems', '3', '--data', join(dir, 'pool-data')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => server!.once('exit', (code, signal) => res({ code, signal })));
    await waitFor(async () => {
      const r = await cli(['status', '--json']);
      if (r.code !== 0) return false;
      const st = JSON.parse(r.stdout) as StatusJson;
      return st.modems.length === 3 && st.modems.every((m) => m.state === 'ready');
    }, `three modems ready (server output: ${out.slice(-600)})`, 40_000, 300);

    expect((await cli(['clients', 'add', '--phone', '+79001234567', '--code', '1234', '--login', 'ivanov', '--password', '1a2b3c4d'])).code).toBe(0);
    expect(await json(['simulate', 'sms', '--modem', 'm2', '--from', '+79001234567', '--text', 'CLIENT info'])).toMatchObject({ ok: true });
    type Sent = { messages: { to: string; text: string }[] };
    const m2 = await waitFor(async () => {
      const r = await json<Sent>(['simulate', 'sent', '--modem', 'm2']);
      return r.messages.length >= 2 ? r : undefined;
    }, 'the answer through m2', 30_000, 300);
    expect(m2.messages.map((m) => m.to)).toEqual(['+79001234567', '+79001234567']);
    expect(m2.messages[1]!.text).toContain('login: ivanov');
    expect((await json<Sent>(['simulate', 'sent', '--modem', 'm1'])).messages).toEqual([]);
    expect((await json<Sent>(['simulate', 'sent', '--modem', 'm3'])).messages).toEqual([]);
    // "sent today" follows the sends within seconds, not at the next 30 s radio poll (no state changed).
    await waitFor(async () => (await json<StatusJson>(['status', '--json'])).modems[1]!.sentToday === 2, 'm2 sent today = 2 in status', 10_000, 300);

    expect(await json(['simulate', 'unplug', '--modem', 'm1'])).toMatchObject({ ok: true });
    const st = await waitFor(async () => {
      const s = await json<StatusJson>(['status', '--json']);
      return s.modems[0]!.state !== 'ready' && s.modems[0]!.lastFault ? s : undefined;
    }, 'm1 down in status', 20_000, 300);
    expect(st.server.running).toBe(true);
    expect(st.modems.map((m) => [m.id, m.number])).toEqual([
      ['m1', '+79900000001'],
      ['m2', '+79900000002'],
      ['m3', '+79900000003'],
    ]);
    expect(st.modems[1]).toMatchObject({ state: 'ready', sentToday: 2, queueDepth: 0 });
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/^m2\s+\+79900000002\s+ready\s/m);
    expect(text.stdout).toMatch(/^last fault m1: \S+ (port|open): /m);

    // Ctrl-C while m2 hangs (it swallows every command, a send of it may be stuck in AT+CMGS):
    // every modem stops and the process exits 0 — before the 20 s stop watchdog would exit 1.
    expect(await json(['simulate', 'fault', 'hang', '--modem', 'm2', '--ms', '120000'])).toMatchObject({ ok: true });
    expect((await cli(['send', '--to', '+79001230001,+79001230002,+79001230003', '--text', 'Closing at 18:00 today.'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    server.kill('SIGINT');
    const end = await exited;
    expect(end, `stopped after ${Date.now() - t0} ms: ${out.slice(-1500)}`).toEqual({ code: 0, signal: null });
    expect(out).toMatch(/"modem":"m2","state":"stopped"/);
  }, 150_000);

  it('refuses --modems without --simulate, a bad --modem id, and a pool config that cannot work', async () => {
    const noSim = await built.run(['serve', '--modems', '2', '--data', join(dir, 'x')]);
    expect(noSim.code).toBe(2);
    expect(noSim.stderr).toMatch(/--modems needs --simulate/);
    const badId = await built.run(['simulate', 'sent', '--modem', '../m1', '--data', dir]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/--modem must be a modem id like m2/);
    const cfg = join(dir, 'dup.json');
    writeFileSync(cfg, JSON.stringify({ modems: [{ id: 'm1', device: '/dev/null' }, { id: 'm1', device: '/dev/zero' }] }));
    const dup = await built.run(['serve', '--config', cfg, '--data', join(dir, 'y')]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/"modems\[1\]\.id" "m1" is already used by modems\[0\]/);
    writeFileSync(cfg, JSON.stringify({ modems: [{ id: 'm1', device: '/dev/null' }, { id: 'm2', device: '/dev/zero', profile: 'nokia' }] }));
    const profile = await built.run(['serve', '--config', cfg, '--data', join(dir, 'y')]);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toMatch(/"modems\[1\]\.profile": unknown modem profile "nokia" \(known: generic, /);
  }, 60_000);
});
