/**
 * The operator's view of issue #3 through the built CLI (dist/cli/main.js): `inbox` (JSON contract,
 * filters, a table that stays aligned with Cyrillic and emoji) while a server runs, and the whole
 * quick-start flow — `serve --simulate`, `clients add`, `simulate sms`, `simulate sent`, `inbox` —
 * as separate processes, ending with SIGTERM and exit code 0.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/cli/table.js';
import { LowdbStore } from '../../src/store/index.js';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/harness.js';
import { ACK, IVANOV, IVANOV_INFO, settledEntry, startWithClients } from './customer-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/cli/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI; never rejects (the exit code is part of what is tested). */
function cli(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: timeoutMs, env: { ...process.env, LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      res({ code, stdout, stderr });
    });
  });
}

async function cliJson<T>(args: string[]): Promise<T> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`sms-server ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  // One build of the real CLI for this file.
  await new Promise<void>((res, rej) =>
    execFile(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 120_000 }, (err, stdout) =>
      err ? rej(new Error(`tsc -p tsconfig.build.json failed: ${stdout}`)) : res(),
    ),
  );
}, 150_000);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type InboxJson = { id: string; from: string; text: string; receivedAt: string; status: string; parts: number; command?: string };

const PETROV = '+79005550001';
const RU_TEXT = 'Здравствуйте! Карта не работает в метро, что делать?';
const EMOJI_TEXT = 'Спасибо 🙏🏽 всё пришло 👍 ' + '🎉'.repeat(40);

describe('sms-server inbox while the server runs', () => {
  it('prints the JSON contract, applies --from/--status/--since/--limit, and keeps the table aligned', async () => {
    h = await startWithClients([IVANOV]);
    const inject = async (from: string, text: string) => {
      h!.sim.modem.injectSms(from, text);
      await settledEntry(h!, (e) => e.text === text, `entry "${text.slice(0, 20)}"`);
      await new Promise((r) => setTimeout(r, 15)); // distinct receivedAt for --since
    };
    await inject(IVANOV.phone, 'CLIENT info');
    await inject(PETROV, 'hello');
    await inject(PETROV, RU_TEXT);
    await inject('+79005550002', EMOJI_TEXT);

    const all = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir]);
    expect(all.map((e) => e.text)).toEqual([EMOJI_TEXT, RU_TEXT, 'hello', 'CLIENT info']); // newest first
    for (const e of all) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['id', 'from', 'text', 'receivedAt', 'status', 'parts']));
      expect(e.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      expect(new Date(e.receivedAt).toISOString()).toBe(e.receivedAt);
    }
    expect(all[3]).toMatchObject({ from: IVANOV.phone, status: 'processed', parts: 1, command: 'info' });
    expect(all[0]).toMatchObject({ from: '+79005550002', status: 'ignored', parts: 2 });

    const fromPetrov = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir, '--from', PETROV]);
    expect(fromPetrov.map((e) => e.text)).toEqual([RU_TEXT, 'hello']);
    const ignored = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir, '--status', 'ignored']);
    expect(ignored).toHaveLength(3);
    const processed = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir, '--status', 'processed']);
    expect(processed.map((e) => e.text)).toEqual(['CLIENT info']);
    const since = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir, '--since', all[1]!.receivedAt]);
    expect(since.map((e) => e.text)).toEqual([EMOJI_TEXT, RU_TEXT]);
    // Seed 002: a call is listed like a message with the text [CALL].
    h.sim.modem.injectCall('+79005550009');
    const calls = await waitFor(async () => {
      const l = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h!.dataDir, '--status', 'call']);
      return l.length ? l : undefined;
    }, 'call in `inbox --status call`');
    expect(calls).toEqual([expect.objectContaining({ from: '+79005550009', text: '[CALL]', status: 'call', parts: 1 })]);
    const limited = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir, '--limit', '1']);
    expect(limited.map((e) => e.id)).toEqual([calls[0]!.id]);
    const badStatus = await cli(['inbox', '--json', '--data', h.dataDir, '--status', 'done']);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/--status must be one of/);

    // Table: every row's column starts line up with the header's, counted in terminal cells.
    const rows = await cliJson<InboxJson[]>(['inbox', '--json', '--data', h.dataDir]);
    expect(rows).toHaveLength(5);
    const table = await cli(['inbox', '--data', h.dataDir]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    const header = lines[0]!;
    const headers = ['ID', 'RECEIVED', 'FROM', 'STATUS', 'PARTS', 'TEXT'];
    const starts = headers.map((name) => displayWidth(header.slice(0, header.indexOf(name))));
    expect(lines).toHaveLength(2 + rows.length);
    rows.forEach((e, i) => {
      const row = lines[2 + i]!;
      const cells = [e.id, e.receivedAt.replace('T', ' ').slice(0, 19), e.from, e.status, String(e.parts), e.text.slice(0, 4)];
      let from = 0;
      cells.forEach((cell, c) => {
        const at = row.indexOf(cell, from);
        expect(at, `row ${i} column ${headers[c]}`).toBeGreaterThanOrEqual(0);
        expect(displayWidth(row.slice(0, at)), `row ${i} column ${headers[c]} starts at header's cell`).toBe(starts[c]);
        from = at + cell.length;
      });
      const text = row.slice(row.indexOf(e.text.slice(0, 4)));
      expect(displayWidth(text)).toBeLessThanOrEqual(60);
      expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/); // no half emoji
    });
    expect(lines[3]!.endsWith('…')).toBe(true); // the long emoji text (under the call) is cut at 60 cells
  });

  it('on a data folder that does not exist: a clear error naming it, not an empty inbox (issue 9 item 4)', async () => {
    const missing = join(tmpdir(), `sms-e2e-missing-${process.pid}-${Date.now()}`);
    for (const args of [['inbox', '--json'], ['inbox']]) {
      const r = await cli([...args, '--data', missing]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`data folder ${missing} (--data) does not exist`);
    }
  });
});

describe('quick start as separate processes', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let serverOut = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sms-e2e-cli-'));
  });
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('README flow: serve --simulate, clients add, simulate sms → ack + result sent, inbox, outbox, status; SIGTERM exits 0', async () => {
    server = spawn(process.execPath, [MAIN, 'serve', '--simulate', '--data', dir, '--log-level', 'info'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (serverOut += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverOut += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => server!.once('exit', (code, signal) => res({ code, signal })));

    await waitFor(
      async () => {
        const s = new LowdbStore(dir, { readOnly: true });
        await s.open();
        const st = await s.getStatus();
        await s.close();
        return st?.modem.state === 'ready';
      },
      `server ready (output so far: ${serverOut.slice(-500)})`,
      20_000,
      100,
    );

    const add = await cli(['clients', 'add', '--data', dir, '--phone', '8 900 123-45-67', '--code', '1234', '--login', 'ivanov', '--password', '1a2b3c4d', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ phone: IVANOV.phone, created: true, via: 'server' });

    const sms = await cli(['simulate', 'sms', '--data', dir, '--from', '+79001234567', '--text', 'CLIENT info']);
    expect(sms.code, sms.stderr).toBe(0);
    expect(JSON.parse(sms.stdout)).toMatchObject({ ok: true });

    type Sent = { messages: { to: string; text: string; complete: boolean }[] };
    const sent = await waitFor(
      async () => {
        const r = await cliJson<Sent>(['simulate', 'sent', '--data', dir]);
        return r.messages.length >= 2 ? r : undefined;
      },
      'ack + result in `simulate sent`',
      20_000,
      200,
    );
    expect(sent.messages.map((m) => [m.to, m.text, m.complete])).toEqual([
      [IVANOV.phone, ACK, true],
      [IVANOV.phone, IVANOV_INFO, true],
    ]);

    const list = await waitFor(async () => {
      const l = await cliJson<InboxJson[]>(['inbox', '--json', '--data', dir]);
      return l[0]?.status === 'processed' ? l : undefined;
    }, 'processed inbox entry');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ from: IVANOV.phone, text: 'CLIENT info', status: 'processed', parts: 1 });

    // README: `outbox` shows the two replies sent, the credentials one sealed; `status` the modem.
    type Job = { to: string; text: string; priority: string; state: string };
    const outbox = await waitFor(async () => {
      const jobs = await cliJson<Job[]>(['outbox', '--json', '--data', dir]);
      return jobs.length === 2 && jobs.every((j) => j.state === 'sent') ? jobs : undefined;
    }, 'both replies sent in `outbox`');
    expect(outbox.map((j) => [j.to, j.priority, j.text]).reverse()).toEqual([
      [IVANOV.phone, 'reply', ACK],
      [IVANOV.phone, 'reply', '[sealed: contains credentials]'],
    ]);
    const outboxTable = await cli(['outbox', '--data', dir]);
    expect(outboxTable.stdout).not.toContain(IVANOV.password);
    const status = await cliJson<{ server: { running: boolean }; modem: { state: string } }>(['status', '--json', '--data', dir]);
    expect(status).toMatchObject({ server: { running: true }, modem: { state: 'ready' } });
    // The password is not in the server's log at info level either.
    expect(serverOut).not.toContain(IVANOV.password);

    server.kill('SIGTERM');
    const end = await exited;
    expect(end, serverOut.slice(-2000)).toEqual({ code: 0, signal: null });
    // The server released the data folder: the CLI now writes directly.
    const direct = await cli(['clients', 'add', '--data', dir, '--phone', '+79005550003', '--code', '9', '--login', 'x', '--password', 'y', '--json']);
    expect(JSON.parse(direct.stdout)).toMatchObject({ via: 'direct', created: true });
  }, 60_000);
});
