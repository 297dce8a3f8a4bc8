/**
 * Interop: Debian's real gammu (1.42) drives the simulated modem on a PTY, exactly as it would
 * drive /dev/ttyUSB0. Proves the simulator speaks AT the way a real program expects, and that
 * what it stores/records decodes like a phone would show it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/on-pty.js';
import { SimControlClient } from '../../src/sim/control.js';
import type { SentMessage } from '../../src/sim/sent.js';

const hasGammu = existsSync('/usr/bin/gammu');

function gammu(rc: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('gammu', ['-c', rc, ...args], { timeout: 60_000, encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!hasGammu)('gammu against the simulator on a PTY', () => {
  let dir: string;
  let sim: RunningSimulator;
  let rc: string;
  let ctl: SimControlClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-gammu-'));
    sim = await startSimulatorOnPty({ link: join(dir, 'ttyUSB-sim'), control: join(dir, 'ctl.sock'), sendDelayMs: 200 });
    rc = join(dir, 'gammurc');
    const log = process.env.GAMMU_LOG ? `logfile = ${process.env.GAMMU_LOG}\nlogformat = textall\n` : '';
    writeFileSync(rc, `[gammu]\ndevice = ${sim.path}\nconnection = at\n${log}`);
    ctl = await SimControlClient.connect(join(dir, 'ctl.sock'));
  });

  afterAll(async () => {
    ctl?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('identifies the modem', async () => {
    const r = await gammu(rc, 'identify');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Manufacturer\s*:\s*Generic/);
    expect(r.stdout).toMatch(/IMEI\s*:\s*867530012345678/);
  });

  it('reads an out-of-order Cyrillic 3-part SMS as one linked message', async () => {
    const text = 'Здравствуйте! Это проверка длинного сообщения из трёх частей, отправленного в неправильном порядке. '.repeat(2).trim();
    const reply = await ctl.request({ cmd: 'sms', from: '+79001234567', text, order: [3, 1, 2] });
    expect(reply).toMatchObject({ ok: true, indices: [1, 2, 3] });
    // getallsms lists every stored part with its concatenation header, in storage order.
    const all = await gammu(rc, 'getallsms');
    expect(all.code).toBe(0);
    const parts = [...all.stdout.matchAll(/part (\d) of 3\n+([^\n]*)\n/g)].map((m) => ({ seq: Number(m[1]), text: m[2]! }));
    expect(parts.map((p) => p.seq)).toEqual([3, 1, 2]);
    expect(parts.sort((a, b) => a.seq - b.seq).map((p) => p.text).join('')).toBe(text);
    // geteachsms links the parts by the concatenation header and prints the whole text once.
    const each = await gammu(rc, 'geteachsms');
    expect(each.code).toBe(0);
    expect(each.stdout).toContain('+79001234567');
    expect(each.stdout).toContain(text);
    expect(each.stdout).toContain('3 SMS parts in 1 SMS sequences');
  });

  it('sends a short SMS the simulator decodes and records', async () => {
    await ctl.request({ cmd: 'clear-sent' });
    const r = await gammu(rc, 'sendsms', 'TEXT', '+79001234567', '-text', 'Hello from gammu');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/OK, message reference=\d+/);
    const sent = (await ctl.request({ cmd: 'sent' })) as { ok: true; messages: SentMessage[] };
    expect(sent.messages).toEqual([expect.objectContaining({ to: '+79001234567', text: 'Hello from gammu', parts: 1, complete: true })]);
  });

  it('sends a long Cyrillic unicode SMS as linked parts', async () => {
    await ctl.request({ cmd: 'clear-sent' });
    const text = 'Привет, это длинное сообщение на русском языке для проверки склейки частей. '.repeat(3).trim();
    const r = await gammu(rc, 'sendsms', 'TEXT', '+79001234567', '-len', '400', '-unicode', '-text', text);
    expect(r.code).toBe(0);
    const sent = (await ctl.request({ cmd: 'sent' })) as { ok: true; messages: SentMessage[] };
    expect(sent.messages).toHaveLength(1);
    expect(sent.messages[0]).toMatchObject({ to: '+79001234567', text, complete: true });
    expect(sent.messages[0]!.total).toBe(Math.ceil(text.length / 67));
  });
});
