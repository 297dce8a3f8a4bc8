/**
 * A status report survives `kill -9` between its read and its delete, and counts once: the real
 * server (`node dist/cli/main.js serve`) as a child process on the simulated modem (ds=2: reports
 * stored on the SIM), killed with SIGKILL the moment it sends AT+CMGD for the report (the modem is
 * made to swallow that command, so the kill certainly lands before the delete). After a restart
 * the storage sweep reads the same report again: it is recognised by its content and deleted, the
 * job's part carries it once, nothing is kept as unmatched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { LowdbStore, type Job } from '../../src/store/index.js';
import { waitFor } from '../helpers/harness.js';
import { buildDist, CLI } from './helpers.js';

const TO = '+79001234567';
let dir: string;
let sim: RunningSimulator | undefined;
let child: ChildProcess | undefined;
let logFd: number | undefined;

beforeAll(() => {
  buildDist();
  dir = mkdtempSync(join(tmpdir(), 'sms-dlr-kill-'));
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  if (logFd !== undefined) closeSync(logFd);
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--data', dir], { encoding: 'utf8' });
const serve = (device: string) =>
  spawn(process.execPath, [CLI, 'serve', '--device', device, '--data', dir, '--profile', 'generic'], { stdio: ['ignore', logFd!, logFd!], env: { ...process.env, LOG_LEVEL: 'info' } });
const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));

async function readJob(id: string): Promise<Job | undefined> {
  const s = new LowdbStore(dir, { readOnly: true });
  await s.open();
  try {
    return await s.getJob(id);
  } finally {
    await s.close();
  }
}

describe('kill -9 between a status report read and its delete', () => {
  it('the report is applied once, deleted after the restart, nothing unmatched', async () => {
    const device = join(dir, 'modem');
    logFd = openSync(join(dir, 'serve.log'), 'a');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profile: 'generic', inbound: { sweepSeconds: 2 } }));
    // No ds=1 offered: reports are stored on the SIM and announced with +CDSI. The SMSC stays quiet
    // until the test sends the report itself.
    sim = await startSimulatorOnPty({ link: device, noise: 0, cnmiSupport: '(0-3),(0-3),(0,2),(0,2),(0,1)', reports: { outcome: 'none' } });

    const queued = cli(['send', '--to', TO, '--text', 'Your order has shipped', '--report', 'yes', '--json']);
    expect(queued.stderr).toBe('');
    const id = (JSON.parse(queued.stdout) as { id: string }).id;

    child = serve(device);
    const sent = await waitFor(async () => {
      const j = await readJob(id);
      return j?.state === 'sent' ? j : undefined;
    }, 'job sent', 60_000);
    expect(sent.parts).toMatchObject([{ seq: 1, report: true }]);

    sim.modem.faults.stallNextDelete();
    let killedAt: string | undefined;
    sim.modem.on('command', (line: string) => {
      if (killedAt === undefined && /^AT\+CMGD=/i.test(line)) {
        killedAt = line;
        child!.kill('SIGKILL');
      }
    });
    sim.modem.injectStatusReport({ mr: sent.parts![0]!.mr!, to: TO, status: 0 });
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(killedAt).toMatch(/^AT\+CMGD=1/);
    // Applied before the delete was asked for; the report is still on the SIM.
    const before = (await readJob(id))!;
    expect(before.delivery).toMatchObject({ state: 'delivered', parts: [{ seq: 1, state: 'delivered', status: 0 }] });
    expect(before.delivery!.parts[0]!.reports).toHaveLength(1);
    expect(sim.modem.storage('SM')).toHaveLength(1);

    sim.modem.faults.clear();
    child = serve(device);
    await waitFor(() => sim!.modem.storage('SM').length === 0, 'report deleted after the restart', 60_000);
    child.kill('SIGTERM');
    await exited(child);
    expect(child.exitCode).toBe(0);

    const after = (await readJob(id))!;
    expect(after.delivery).toEqual(before.delivery);
    const s = new LowdbStore(dir, { readOnly: true });
    await s.open();
    expect((await s.listUnmatchedReports()).total).toBe(0);
    await s.close();
    expect(readFileSync(join(dir, 'serve.log'), 'utf8')).toContain('status report already applied');

    const outbox = cli(['outbox', '--json']);
    expect(JSON.parse(outbox.stdout)).toMatchObject([{ id, delivery: { state: 'delivered', parts: [{ seq: 1, state: 'delivered', status: 0 }] } }]);
  });
});
