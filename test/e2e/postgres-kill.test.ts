/**
 * Three server processes on one PostgreSQL database (issue 17): each `sms-server serve` is a real
 * child process with its own data folder, host id and modem (`m1`…`m3`, simulated on a
 * pseudo-terminal owned by this test process, so what each modem sent survives its server's
 * death). A 300-recipient campaign is queued with the CLI on host 1; host 2 is killed with
 * SIGKILL mid-way. Its leased jobs are taken over after the lease (`store.leaseSeconds`); every
 * recipient gets the text, and a text that went out twice is one the store counts as a possible
 * duplicate. Then: the CLI on host 1 sees an SMS received by host 3, and `status` lists the hosts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/harness.js';
import { pgSkipReason, startTestPg, type TestPg } from '../helpers/postgres.js';

const KEY = 'b'.repeat(64);
const N = 300;
const LEASE_SECONDS = 5;

interface Host {
  name: string;
  modem: string;
  dir: string;
  sim: RunningSimulator;
  proc?: ChildProcess;
  log: string;
}

let pgServer: TestPg | undefined;
let cli: BuiltCli | undefined;
let url = '';
let db: PostgresStore | undefined;
const hosts: Host[] = [];

function startHost(h: Host): void {
  const proc = spawn(process.execPath, [cli!.main, 'serve', '--data', h.dir, '--log-level', 'info', '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (h.log += d));
  proc.stderr!.on('data', (d) => (h.log += d));
  h.proc = proc;
}

beforeAll(async () => {
  if (pgSkipReason) return;
  pgServer = await startTestPg();
  cli = buildCli();
  url = await pgServer.freshDatabase();
  for (let i = 1; i <= 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), `sms-host${i}-`));
    const link = join(dir, 'modem');
    // A little time per send, so the kill lands mid-campaign on a loaded machine too.
    const sim = await startSimulatorOnPty({ link, profile: 'generic', sendDelayMs: 30, ownNumber: `+7999100000${i}` });
    const config = {
      modems: [{ id: `m${i}`, device: link, profile: 'generic', number: `+7999100000${i}`, massPerMinute: 10_000 }],
      store: { kind: 'postgres', url, host: `host${i}`, leaseSeconds: LEASE_SECONDS, heartbeatSeconds: 1 },
      secretKey: KEY,
      // A job whose PDU may have left when its host died is sent again after this (default 60 s).
      queue: { dailyCap: 10, unknownResendSeconds: 2 },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
    hosts.push({ name: `host${i}`, modem: `m${i}`, dir, sim, log: '' });
  }
  for (const h of hosts) startHost(h);
  db = new PostgresStore({ url, host: 'test' });
  await waitFor(async () => {
    if (!db) return false;
    await db.open().catch(() => undefined);
    const listed = await db.listHosts();
    return listed.length === 3 && listed.every((x) => x.status.modems?.[0]?.state === 'ready');
  }, 'three hosts up with their modems ready', 90_000, 250).catch((e) => {
    throw new Error(`${(e as Error).message}\n${hosts.map((h) => `--- ${h.name}\n${h.log.slice(-3000)}`).join('\n')}`);
  });
}, 240_000);

afterAll(async () => {
  for (const h of hosts) {
    if (h.proc && h.proc.exitCode === null && h.proc.signalCode === null) {
      h.proc.kill('SIGTERM');
      await new Promise((r) => h.proc!.once('exit', r));
    }
    await h.sim.close();
    rmSync(h.dir, { recursive: true, force: true });
  }
  await db?.close();
  cli?.remove();
  await pgServer?.stop();
}, 120_000);

describe.skipIf(pgSkipReason)(`three server processes on one PostgreSQL${pgSkipReason ? ` (skipped: ${pgSkipReason})` : ''}`, () => {
  it('kill -9 of one host mid-campaign: every recipient gets the text; a second copy only where the store counts a possible duplicate', async () => {
    const recipients = Array.from({ length: N }, (_, i) => `+7901${String(i).padStart(7, '0')}`);
    const file = join(hosts[0]!.dir, 'recipients.txt');
    writeFileSync(file, recipients.join('\n') + '\n');
    const queued = await cli!.run(['mass', '--data', hosts[0]!.dir, '--file', file, '--text', 'Sale on Friday', '--name', 'friday', '--json']);
    expect(queued.stderr).toBe('');
    expect(queued.code).toBe(0);

    const sent = () => hosts.flatMap((h) => h.sim.modem.sent.map((s) => s.to));
    await waitFor(() => hosts[1]!.sim.modem.sent.length >= 20 && sent().length >= 60, 'host 2 has sent some of the campaign', 60_000, 20);
    const victim = hosts[1]!;
    // Killed the moment its modem sees AT+CMGS: a job is surely in flight, its PDU maybe on the wire.
    await new Promise<void>((resolve) => {
      const onCommand = (line: string) => {
        if (!/^AT\+CMGS=/i.test(line)) return;
        victim.sim.modem.off('command', onCommand);
        victim.proc!.kill('SIGKILL');
        resolve();
      };
      victim.sim.modem.on('command', onCommand);
    });
    await new Promise((r) => victim.proc!.once('exit', r));
    const sentByVictim = victim.sim.modem.sent.length;
    const inFlight = (await db!.listJobs({ state: 'sending' })).filter((j) => j.lease?.owner === 'host2:m2');
    expect(inFlight).toHaveLength(1);
    expect(sent().length).toBeLessThan(N); // the kill landed mid-campaign

    // The survivors finish the campaign, host 2's leased jobs included once its lease expired.
    await waitFor(async () => (await db!.queueCounts()).byState.sent === N, 'every job sent', 120_000, 250);
    expect(victim.sim.modem.sent.length).toBe(sentByVictim);
    const times = new Map<string, number>();
    for (const to of sent()) times.set(to, (times.get(to) ?? 0) + 1);
    expect([...times.keys()].sort()).toEqual(recipients);
    const twice = [...times].filter(([, n]) => n > 1).map(([to]) => to);
    // At most the job host 2 held at the kill; a second copy only of a job the store counts as a possible duplicate.
    expect(twice.length).toBeLessThanOrEqual(inFlight.length);
    const jobs = await db!.listJobs({ campaignId: (await db!.listCampaigns())[0]!.id });
    const counted = jobs.filter((j) => (j.duplicates ?? 0) > 0).map((j) => j.to);
    for (const to of twice) expect(counted).toContain(to);
    expect(counted).toEqual(inFlight.map((j) => j.to)); // its PDU may have left: counted, whether or not it did
    // Taken over by a survivor: the jobs host 2 held ended with one of the others.
    for (const j of inFlight) expect(jobs.find((x) => x.id === j.id)).toMatchObject({ state: 'sent', via: expect.stringMatching(/^m[13]$/) });
  }, 240_000);

  it('the CLI on host 1 sees an SMS received by host 3; status lists every host, host 2 down', async () => {
    hosts[2]!.sim.modem.injectSms('+79005550033', 'hello host three');
    const entry = await waitFor(async () => {
      const r = await cli!.run(['inbox', '--data', hosts[0]!.dir, '--json']);
      return (JSON.parse(r.stdout || '[]') as { from: string; to: string | null; text: string }[]).find((e) => e.text === 'hello host three');
    }, "host 3's inbound in host 1's inbox", 30_000, 500);
    // Received on host 3's SIM (its number), listed by host 1's CLI from the shared database.
    expect(entry).toMatchObject({ from: '+79005550033', to: '+79991000003' });

    const r = await cli!.run(['status', '--data', hosts[0]!.dir, '--json']);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as { hosts: { host: string; live: boolean; lastSeenSeconds: number; modems: { id: string; state: string }[] }[] };
    expect(status.hosts.map((h) => [h.host, h.live, h.modems.map((m) => m.id)])).toEqual([
      ['host1', true, ['m1']],
      ['host2', false, ['m2']],
      ['host3', true, ['m3']],
    ]);
    expect(status.hosts[1]!.modems[0]!.state).toBe('host down');
    const text = await cli!.run(['status', '--data', hosts[0]!.dir]);
    expect(text.stdout).toMatch(/host2\s+DOWN/);
    expect(text.stdout).toMatch(/host1\s+live/);
  }, 120_000);
});
