/**
 * Readable operations (issue 9 item 11), through the built CLI as child processes: the server's
 * info log names every SMS received and sent (number, job, parts; never a sealed reply's text),
 * says "HTTP API listening" once, and prints for a person with `--log-format pretty`;
 * `clients add` takes the password from stdin or a hidden prompt instead of the command line.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';

const PASSWORD = 'Zq7-Secr3t-Pa55';
const TOKEN = 'an-http-token-of-32-characters!!';

let cli: BuiltCli;
const dirs: string[] = [];
let server: ChildProcess | undefined;
beforeAll(() => void (cli = buildCli()), 120_000);
afterEach(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  server = undefined;
});
afterAll(() => {
  cli?.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'sms-ops-'));
  dirs.push(d);
  return d;
}

function serve(args: string[]): { out: () => string } {
  let out = '';
  server = spawn(process.execPath, [cli.main, 'serve', '--simulate', ...args], {
    env: { ...process.env, SMS_SERVER_HTTP_TOKEN: TOKEN, LOG_LEVEL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  server.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return { out: () => out };
}

/** The CLI with `input` on stdin. */
function withInput(args: string[], input: string): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: execFileSync(process.execPath, [cli.main, ...args], { input, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } }), stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the server log', () => {
  it('names each SMS received and sent at info, never the sealed text; "HTTP API listening" once', async () => {
    const dir = folder();
    const add = withInput(['clients', 'add', '--phone', '+79001234567', '--code', '1234', '--login', 'ivanov', '--password-stdin', '--data', dir], `${PASSWORD}\n`);
    expect(add.code, add.stderr).toBe(0);
    const s = serve(['--data', dir, '--http-port', '0', '--log-format', 'json']);
    await waitFor(() => /"server started"/.test(s.out()), 'server started', 20_000);
    expect((await cli.run(['simulate', 'sms', '--from', '+79001234567', '--text', 'CLIENT info', '--data', dir])).code).toBe(0);
    await waitFor(() => (s.out().match(/"msg":"SMS sent"/g) ?? []).length >= 2, 'two SMS sent', 30_000);
    const lines = s
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'HTTP API listening')).toHaveLength(1);
    const received = lines.filter((l) => l.msg === 'SMS received');
    expect(received).toEqual([expect.objectContaining({ level: 30, from: '+79001234567', parts: 1, id: expect.stringMatching(/^in-/) })]);
    const sent = lines.filter((l) => l.msg === 'SMS sent');
    expect(sent).toHaveLength(2);
    for (const l of sent) expect(l).toMatchObject({ level: 30, to: '+79001234567', parts: 1, job: expect.stringMatching(/^job-/), priority: 'reply' });
    expect(s.out()).not.toContain(PASSWORD);
    // The password went in through stdin and is stored: the credentials reply carried it.
    const listed = await cli.run(['clients', 'list', '--show-passwords', '--json', '--data', dir]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ login: 'ivanov', password: PASSWORD })]);
  });

  it('--log-format pretty prints for a person', async () => {
    const s = serve(['--data', folder(), '--log-format', 'pretty']);
    await waitFor(() => /server started/.test(s.out()), 'server started', 20_000);
    const first = s.out().split('\n')[0]!;
    expect(first).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: simulated generic modem/);
    expect(() => JSON.parse(first)).toThrow();
  });
});

describe('clients import of a file that is not UTF-8 (item 10)', () => {
  const CYR_PASSWORD = 'Пароль-Секрет7';
  const csv = `phone,code,login,password\n+79001230001,11,plain,ascii-Pa55\n+79001230002,12,иванов,${CYR_PASSWORD}\n`;

  it('a Windows-1251 file is refused with the line number (nothing imported, no password echoed); --encoding cp1251 reads it', () => {
    const dir = folder();
    const file = join(dir, 'crm-export.csv');
    writeFileSync(file, iconv.encode(csv, 'cp1251'));
    const r = withInput(['clients', 'import', file, '--data', dir], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3: not valid UTF-8 (column 17)\n`);
    expect(r.stderr).toMatch(/nothing imported.*--encoding cp1251/);
    // Neither the password as the bytes were, nor as mojibake, nor as meant.
    for (const form of [CYR_PASSWORD, iconv.encode(CYR_PASSWORD, 'cp1251').toString('latin1'), iconv.encode(CYR_PASSWORD, 'cp1251').toString('utf8')]) {
      expect(r.stderr).not.toContain(form);
    }
    expect(JSON.parse(withInput(['clients', 'list', '--json', '--data', dir], '').stdout)).toEqual([]);

    const ok = withInput(['clients', 'import', file, '--encoding', 'cp1251', '--data', dir], '');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/2 added, 0 updated, 0 bad line/);
    const listed = JSON.parse(withInput(['clients', 'list', '--show-passwords', '--json', '--data', dir], '').stdout) as { login: string; password: string }[];
    expect(listed.find((c) => c.login === 'иванов')?.password).toBe(CYR_PASSWORD);
    expect(withInput(['clients', 'import', file, '--encoding', 'cp9999', '--data', dir], '').stderr).toMatch(/unknown encoding "cp9999"/);
  });

  it('a bad line never echoes its password', () => {
    const dir = folder();
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `phone,code,login,password\n+79001230003,13,bad login,${PASSWORD}\n+79001230004,,x,${PASSWORD}x\n12ab,14,y,${PASSWORD}y\n`);
    const r = withInput(['clients', 'import', file, '--data', dir], '');
    expect(r.stderr).toMatch(/bad\.csv:2: .*contains a space/);
    expect(r.stderr).toMatch(/bad\.csv:3: code is empty/);
    expect(r.stderr).toMatch(/bad\.csv:4: invalid phone number "12ab"/);
    expect(r.stderr).not.toContain(PASSWORD);
  });
});

describe('clients add without the password on the command line', () => {
  it('--password-stdin: one line; two lines or both forms are refused', () => {
    const dir = folder();
    const args = ['clients', 'add', '--phone', '+79001234568', '--code', '1', '--login', 'petrov', '--data', dir];
    expect(withInput([...args, '--password-stdin'], 'one\ntwo\n').stderr).toMatch(/stdin has more than one line/);
    expect(withInput([...args, '--password-stdin', '--password', 'x'], '').stderr).toMatch(/exclusive/);
    // No terminal and no --password-stdin: says how, instead of waiting.
    expect(withInput(args, '').stderr).toMatch(/pass --password-stdin/);
  });

  it('asks on a terminal with echo off (twice), and stores what was typed', () => {
    const dir = folder();
    // python3's pty gives the CLI a real terminal; the typed password must not come back as echo.
    const script = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def until(s):
    global out
    end = time.time() + 20
    while s not in out and time.time() < end:
        out += os.read(fd, 1024)
until(b'Portal password: ')
os.write(fd, b'typed-Pa55\\r')
until(b'Again: ')
os.write(fd, b'typed-Pa55\\r')
try:
    while True:
        b = os.read(fd, 1024)
        if not b: break
        out += b
except OSError:
    pass
sys.stdout.write(out.decode())
`;
    const out = execFileSync('python3', ['-c', script, process.execPath, cli.main, 'clients', 'add', '--phone', '+79001234569', '--code', '2', '--login', 'sidorov', '--data', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toContain('added client +79001234569');
    expect(out).not.toContain('typed-Pa55');
    const listed = withInput(['clients', 'list', '--show-passwords', '--json', '--data', dir], '');
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ login: 'sidorov', password: 'typed-Pa55' })]);
  });
});
