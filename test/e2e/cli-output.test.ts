/**
 * What the operator's terminal and scripts get from the built CLI (issue 9 items 8 and 9):
 * control characters in an SMS are shown, never obeyed (tables and --follow; JSON stays exact);
 * `| head` ends quietly; `--follow` honours `--limit`; `--from` takes any form of a number;
 * a listing cut at `--limit` says so on stderr; a config file saved with a UTF-8 BOM is read.
 * The data folder is written through the store (no server), as a stopped server leaves it.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';

const EVIL = 'Hi\x1b]0;pwned\x07\x1b[2J\rgone\x9b31m\u202Etxt.exe';
const IVAN = '+79001112233';
const NATIONAL_SENDER = '89005556677'; // a national-type sender, stored as the network gave it

let cli: BuiltCli;
let dir: string;

async function withStore<T>(fn: (s: LowdbStore) => Promise<T>): Promise<T> {
  const s = new LowdbStore(dir);
  await s.open();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

let seq = 0;
const inbound = (from: string, text: string) => ({
  from,
  text,
  receivedAt: new Date(Date.parse('2026-11-21T10:00:00Z') + ++seq * 1000).toISOString(),
  status: 'ignored' as const,
  parts: 1,
  dedupKey: `t-${seq}`,
});

beforeAll(async () => {
  cli = buildCli();
  dir = mkdtempSync(join(tmpdir(), 'sms-output-'));
  await withStore(async (s) => {
    for (let i = 0; i < 60; i++) await s.addInbound(inbound(IVAN, `message ${i}`));
    await s.addInbound(inbound(NATIONAL_SENDER, 'national sender'));
    await s.addInbound(inbound('+79001234567', EVIL));
    const now = new Date().toISOString();
    await s.enqueue([
      { to: IVAN, text: EVIL, priority: 'notification', state: 'queued', attempts: 0, nextAttemptAt: now },
      ...Array.from({ length: 700 }, (_, i) => ({
        to: IVAN,
        text: `mass text number ${i} `.padEnd(150, 'x'),
        priority: 'mass' as const,
        state: 'queued' as const,
        attempts: 0,
        nextAttemptAt: now,
      })),
    ]);
  });
}, 120_000);
afterAll(() => {
  cli?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const RAW_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/;

describe('terminal safety (item 8)', () => {
  it('inbox and outbox tables show ESC, BEL, CR, C1 and bidi controls visibly; JSON keeps the exact text', async () => {
    const inbox = await cli.run(['inbox', '--limit', '5', '--data', dir]);
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(inbox.stdout).not.toMatch(RAW_CONTROLS);
    expect(inbox.stdout).toContain('Hi␛]0;pwned␇␛[2J⏎gone\\x9b31m<U+202E>txt.exe');

    const outbox = await cli.run(['outbox', '--limit', '800', '--data', dir]);
    expect(outbox.stdout).not.toMatch(RAW_CONTROLS);
    expect(outbox.stdout).toContain('Hi␛]0;pwned␇␛[2J⏎gone');

    const json = await cli.run(['inbox', '--json', '--limit', '1', '--data', dir]);
    expect((JSON.parse(json.stdout) as { text: string }[])[0]!.text).toBe(EVIL);
  });

  it('--follow lines are terminal-safe too', async () => {
    const out = await follow(['--limit', '1'], 1);
    expect(out).toContain('Hi␛]0;pwned␇');
    expect(out).not.toMatch(RAW_CONTROLS);
  });
});

/**
 * `inbox --follow …`: once it has printed `lines` lines, runs `during` (adding entries), then waits
 * for `more` further lines (at most 15 s) and stops it; returns what it printed.
 */
function follow(args: string[], lines: number, during?: () => Promise<void>, more = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli.main, 'inbox', '--follow', '--data', dir, ...args], { env: { ...process.env, LOG_LEVEL: 'silent' } });
    let out = '';
    const count = () => out.split('\n').length - 1;
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
    void (async () => {
      for (let i = 0; i < 300 && count() < lines; i++) await new Promise((r) => setTimeout(r, 50));
      await during?.();
      for (let i = 0; i < 300 && count() < lines + more; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1500)); // anything printed beyond that would show too
      child.kill('SIGTERM');
    })();
  });
}

describe('small contract bugs (item 9)', () => {
  it('`outbox | head -1` and `inbox --json | head -c 10` end quietly, no EPIPE stack trace', async () => {
    for (const cmd of [`outbox --limit 1000 | head -1`, `outbox --json --limit 1000 | head -c 10`]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile('sh', ['-c', `"${process.execPath}" "${cli.main}" ${cmd.replace('|', `--data "${dir}" |`)}`], (err, _out, stderr) =>
          resolve({ code: err ? (err as { code: number }).code : 0, stderr }),
        );
      });
      expect(r.stderr, cmd).not.toMatch(/EPIPE|at .*\.js:\d+/);
      expect(r.code, cmd).toBe(0);
    }
  });

  it('inbox --follow --limit 2 prints the newest 2, then only what arrives', async () => {
    const out = await follow(['--limit', '2', '--json'], 2, () => withStore((s) => s.addInbound(inbound(IVAN, 'arrived while following'))).then(() => undefined), 1);
    const texts = out.trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
    expect(texts).toEqual(['national sender', EVIL, 'arrived while following']);
  }, 60_000);

  it('inbox --from takes the number in any form, like send does', async () => {
    for (const form of ['89001112233', '8 900 111-22-33', '+7 (900) 111-22-33', IVAN]) {
      const r = await cli.run(['inbox', '--json', '--limit', '1000', '--from', form, '--data', dir]);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as unknown[]).length, form).toBe(61); // 60 + the one added while following
    }
    // A sender stored in national form is found by its international form too.
    const national = await cli.run(['inbox', '--json', '--from', '+79005556677', '--data', dir]);
    expect((JSON.parse(national.stdout) as { text: string }[]).map((e) => e.text)).toEqual(['national sender']);
  });

  it('--json listings say on stderr when more exist than --limit; nothing when all are shown', async () => {
    const inbox = await cli.run(['inbox', '--json', '--data', dir]);
    expect(JSON.parse(inbox.stdout)).toHaveLength(50);
    expect(inbox.stderr).toMatch(/more inbox entries exist than --limit 50 shows/);
    const outbox = await cli.run(['outbox', '--json', '--limit', '10', '--data', dir]);
    expect(JSON.parse(outbox.stdout)).toHaveLength(10);
    expect(outbox.stderr).toMatch(/more jobs exist than --limit 10 shows/);
    const all = await cli.run(['outbox', '--json', '--limit', '1000', '--data', dir]);
    expect(JSON.parse(all.stdout)).toHaveLength(701);
    expect(all.stderr).toBe('');
  });

  it('a config file saved with a UTF-8 byte-order mark is read', async () => {
    const cfgDir = mkdtempSync(join(tmpdir(), 'sms-bom-'));
    try {
      writeFileSync(join(cfgDir, 'config.json'), '\uFEFF' + JSON.stringify({ country: 'RU', language: 'ru' }));
      const r = await cli.run(['send', '--to', '89001112233', '--text', 'hi', '--json', '--data', cfgDir]);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { jobs: { to: string }[] }).jobs[0]!.to).toBe(IVAN);
    } finally {
      rmSync(cfgDir, { recursive: true, force: true });
    }
  });
});
