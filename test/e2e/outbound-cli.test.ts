/**
 * The built CLI as cron or an operator runs it (`node dist/cli/main.js …`), against a running
 * server on the simulated modem: recipients files with bad lines, `--strict`, `mass status`,
 * and `status --json`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { allJobs } from './outbound-helpers.js';

let h: Harness | undefined;
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
}, 120_000);
afterAll(() => cli?.remove());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// Line numbers matter: 4, 5 and 7 are bad; 8 repeats line 2 in another form.
const BAD_CSV = [
  'phone,name', //                1
  '+79001110001,Anna', //         2
  '89001110002,Boris', //         3
  '+12,Too short', //             4
  'call me,Letters', //           5
  '+7 900 111-00-03,Vera', //     6
  '+79001110004,Gleb,extra', //   7
  '8 (900) 111-00-01,Anna again', // 8
].join('\n');

describe('mass texts from a recipients file through the CLI', () => {
  it('reports bad lines as FILE:LINE, queues the good ones, and `mass status --json` counts them', async () => {
    h = await startHarness({ sim: { sendDelayMs: 50 } });
    const file = join(h.dataDir, 'bad.csv');
    writeFileSync(file, BAD_CSV);
    const r = await cli.run(['mass', '--file', file, '--text', 'Office closed on Monday.', '--name', 'weekly', '--data', h.dataDir]);
    expect(r.code).toBe(0);
    const bad = r.stderr.trim().split('\n');
    expect(bad).toHaveLength(3);
    expect(bad[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: .*\\+12`));
    expect(bad[1]).toMatch(/bad\.csv:5: .*call me/);
    expect(bad[2]).toMatch(/bad\.csv:7: .*columns/);
    expect(r.stdout).toMatch(/campaign cmp-\S+: 3 queued, 0 opted out, 3 bad line\(s\), 1 duplicate\(s\) removed/);

    const jobs = await allJobs(h);
    expect(jobs.map((j) => j.to).sort()).toEqual(['+79001110001', '+79001110002', '+79001110003']);

    await waitFor(() => h!.sim.modem.sent.length === 3, 'campaign sent');
    const st = await cli.run(['mass', 'status', '--json', '--data', h.dataDir]);
    expect(st.code).toBe(0);
    const s = JSON.parse(st.stdout) as { total: number; done: number; pending: number; counts: Record<string, number> };
    await waitFor(async () => {
      const again = JSON.parse((await cli.run(['mass', 'status', '--json', '--data', h!.dataDir])).stdout) as typeof s;
      return again.counts.sent === 3 ? again : undefined;
    }, 'mass status shows 3 sent');
    expect(s.total).toBe(3);
  });

  it('--strict exits non-zero, names the bad lines and queues nothing (server running and stopped)', async () => {
    h = await startHarness();
    const file = join(h.dataDir, 'bad.csv');
    writeFileSync(file, BAD_CSV);
    for (const serverUp of [true, false]) {
      if (!serverUp) await h.stopServer();
      const r = await cli.run(['mass', '--strict', '--file', file, '--text', 'x', '--data', h.dataDir]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/bad\.csv:4: /);
      expect(r.stderr).toMatch(/bad\.csv:5: /);
      expect(r.stderr).toMatch(/bad\.csv:7: /);
      expect(r.stderr).toMatch(/3 bad line/);
      expect(await allJobs(h)).toHaveLength(0);
      const ro = await h.readStore();
      expect(await ro.listCampaigns()).toHaveLength(0);
      await ro.close();
    }
  });
});

describe('mass cancel', () => {
  it('cancels what is left of a running campaign through the server (the console runs the same op); twice cancels nothing more', async () => {
    h = await startHarness({ config: { queue: { massPerMinute: 1 } } });
    const file = join(h.dataDir, 'four.txt');
    writeFileSync(file, ['+79003330001', '+79003330002', '+79003330003', '+79003330004'].join('\n'));
    const created = JSON.parse((await cli.run(['mass', '--file', file, '--text', 'Cancel me.', '--json', '--data', h.dataDir])).stdout) as { campaignId: string };
    await waitFor(() => h!.sim.modem.sent.length === 1, 'first mass text');
    const r = await cli.run(['mass', 'cancel', created.campaignId, '--json', '--data', h.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ campaignId: created.campaignId, cancelled: 3, sending: 0, via: 'server' });
    const jobs = await allJobs(h);
    expect(jobs.filter((j) => j.reason === 'cancelled' && j.state === 'failed')).toHaveLength(3);
    expect(jobs.filter((j) => j.state === 'sent')).toHaveLength(1);
    const again = await cli.run(['mass', 'cancel', created.campaignId, '--data', h.dataDir]);
    expect(again.stdout).toBe(`campaign ${created.campaignId}: 0 cancelled, 0 being sent finish\n`);
    const unknown = await cli.run(['mass', 'cancel', 'cmp-nope', '--data', h.dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no campaign "cmp-nope"');
  });
});

describe('status', () => {
  it('`status --json` shows the modem (model, signal, operator, registration) and the queue depth by priority', async () => {
    h = await startHarness({ config: { queue: { massPerMinute: 1 } } });
    const file = join(h.dataDir, 'five.txt');
    writeFileSync(file, ['+79002220001', '+79002220002', '+79002220003', '+79002220004', '+79002220005'].join('\n'));
    expect((await cli.run(['mass', '--file', file, '--text', 'Slow campaign.', '--data', h.dataDir])).code).toBe(0);
    // One mass part per minute: the first goes, four wait.
    await waitFor(() => h!.sim.modem.sent.length === 1, 'first mass text');
    const r = await cli.run(['status', '--json', '--data', h.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as {
      server: { running: boolean; pid: number };
      modem: { state: string; manufacturer?: string; model?: string; signal?: { rssi: number; dbm?: number }; operator?: string; registration?: string; device: string };
      queue: { depth: Record<string, number>; byState: Record<string, number> };
    };
    expect(s.server).toMatchObject({ running: true, pid: process.pid });
    expect(s.modem).toMatchObject({ state: 'ready', manufacturer: 'Generic', model: 'GSM Modem', device: h.device });
    expect(s.modem.signal?.rssi).toEqual(expect.any(Number));
    expect(s.modem.operator).toEqual(expect.any(String));
    expect(s.modem.registration).toEqual(expect.any(String));
    expect(s.queue.depth).toEqual({ reply: 0, notification: 0, mass: 4 });
    expect(s.queue.byState).toMatchObject({ sent: 1, queued: 4 });

    const text = await cli.run(['status', '--data', h.dataDir]);
    expect(text.stdout).toMatch(/queue: +replies 0, notifications 0, mass 4 pending/);
  });
});

describe('operations files under scripts/', () => {
  const read = (p: string) => readFileSync(join(import.meta.dirname, '..', '..', 'scripts', p), 'utf8');

  it('the crontab example is a valid `mass` command: run with its data folder swapped for a temp one, it queues the campaign', async () => {
    h = await startHarness({ startServer: false });
    const line = read('cron/mass-text.crontab').split('\n').find((l) => /^\d/.test(l))!;
    // m h dom mon dow user command…  (cron passes the rest to /bin/sh)
    const command = line.split(/\s+/).slice(6).join(' ').replace(/\s*>>.*$/, '');
    const args = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1); // drop /usr/bin/sms-server
    expect(args[0]).toBe('mass');
    writeFileSync(join(h.dataDir, 'recipients.csv'), 'phone\n+79003330001\n+79003330002\n');
    const r = await cli.run(args.map((a) => a.replaceAll('/var/lib/sms-server', h!.dataDir)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 queued/);
    const ro = await h.readStore();
    expect((await ro.listCampaigns()).map((c) => c.name)).toEqual(['weekly']);
    await ro.close();
  });

  it('the systemd unit starts `serve` with flags the CLI knows, stops it with SIGTERM, and is hardened', async () => {
    const unit = read('systemd/sms-server.service');
    const exec = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit)![1]!.replace(/\\\n\s*/g, ' ');
    const args = exec.split(/\s+/).slice(1);
    expect(args[0]).toBe('serve');
    const help = (await cli.run(['serve', '--help'])).stdout;
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(help).toContain(flag);
    expect(exec).toMatch(/--device \/dev\/serial\/by-id\//);
    for (const want of ['Type=simple', 'User=sms', 'Restart=always', 'KillSignal=SIGTERM', 'NoNewPrivileges=true', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/sms-server', 'SupplementaryGroups=dialout', 'UMask=0077']) {
      expect(unit).toMatch(new RegExp(`^${want}$`, 'm'));
    }
  });

  it('the udev rule is well-formed: match keys with ==, assignments with = or +=, and the Huawei rule active', () => {
    const rules = read('udev/99-sms-modem.rules').split('\n');
    const active = rules.filter((l) => l.trim() && !l.startsWith('#'));
    const examples = rules.filter((l) => l.startsWith('#SUBSYSTEM')).map((l) => l.slice(1));
    expect(active).toHaveLength(1);
    expect(examples.length).toBe(2);
    for (const rule of [...active, ...examples]) {
      for (const pair of rule.split(/,\s*/)) expect(pair).toMatch(/^[A-Z_]+(\{[A-Za-z_]+\})?(==|\+=|=)"[^"]*"$/);
      expect(rule).toContain('SYMLINK+="sms-modem"');
      expect(rule).toContain('ENV{ID_MM_DEVICE_IGNORE}="1"');
    }
    expect(active[0]).toContain('ATTRS{idVendor}=="12d1", ATTRS{idProduct}=="1001", ENV{ID_USB_INTERFACE_NUM}=="00"');
  });
});
