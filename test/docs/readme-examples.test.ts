/**
 * The README's shell examples for the CLI and the simulator run as pasted (issue 9 item 12):
 * every ```sh block whose every command is `sms-server …` (or `npx sms-server …`, or a
 * `printf … | npx sms-server …`), except `serve`, is run line by line with `sh -c`, in a temp
 * folder, against `sms-server serve --simulate` started there the way `npm start` does
 * (default `./data`). A block whose only line is `sms-server serve --simulate …` (the README's "in a
 * second terminal" pattern, e.g. `--modems 3 --data ./pool-data`) is started in the background
 * too, and the lines naming its `--data` are checked against it. `sms-server` and `npx` on PATH are
 * shims for the freshly built CLI. Blocks with other commands (npm, sudo, curl, serve on a real
 * device) are not run here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Shell blocks of a Markdown file, continuation lines joined. */
export function shellBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  for (const m of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)) {
    blocks.push(
      m[1]!
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#')),
    );
  }
  return blocks;
}

const CLI_LINE = /^(?:printf [^|]+\|\s*)?(?:npx )?sms-server (?!serve\b)/;

/** One-line blocks that start a simulated server (run in the background, before the CLI blocks). */
export function serveBlocks(markdown: string): string[] {
  return shellBlocks(markdown)
    .filter((b) => b.length === 1 && /^(?:npx )?sms-server serve --simulate\b[^&|;]*$/.test(b[0]!))
    .map((b) => b[0]!);
}

/** The blocks this test runs: CLI and simulator commands only. */
export function cliBlocks(markdown: string): string[][] {
  return shellBlocks(markdown).filter((b) => b.length > 0 && b.every((l) => CLI_LINE.test(l)));
}

let cli: BuiltCli;
let cwd: string;
let bin: string;
let server: ChildProcess | undefined;
let serverOut = '';
/** The servers of `serveBlocks`, with their output. */
const extra: { proc: ChildProcess; out: string }[] = [];

beforeAll(async () => {
  cli = buildCli();
  cwd = mkdtempSync(join(tmpdir(), 'sms-readme-'));
  bin = join(cwd, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'sms-server'), `#!/bin/sh\nexec "${process.execPath}" "${cli.main}" "$@"\n`);
  writeFileSync(join(bin, 'npx'), '#!/bin/sh\nexec "$@"\n'); // `npx sms-server …` → the shim above
  chmodSync(join(bin, 'sms-server'), 0o755);
  chmodSync(join(bin, 'npx'), 0o755);
  // What `npm start` runs, from the folder the README's commands are then typed in.
  server = spawn(join(bin, 'sms-server'), ['serve', '--simulate', '--log-format', 'json'], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (b: Buffer) => (serverOut += b.toString()));
  server.stderr!.on('data', (b: Buffer) => (serverOut += b.toString()));
  await waitFor(() => /"server started"/.test(serverOut), 'the server of `npm start`', 30_000);
  for (const line of serveBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))) {
    const args = line.replace(/^(?:npx )?sms-server /, '').split(/\s+/);
    const e = { proc: spawn(join(bin, 'sms-server'), [...args, '--log-format', 'json'], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] }), out: '' };
    e.proc.stdout!.on('data', (b: Buffer) => (e.out += b.toString()));
    e.proc.stderr!.on('data', (b: Buffer) => (e.out += b.toString()));
    extra.push(e);
    await waitFor(() => /"server started"/.test(e.out), `the README's \`${line}\``, 60_000);
  }
}, 150_000);

afterAll(async () => {
  for (const p of [server, ...extra.map((e) => e.proc)]) {
    if (p && p.exitCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  }
  cli?.remove();
  rmSync(cwd, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${bin}:${process.env.PATH}`, LOG_LEVEL: 'silent', SMS_SERVER_DATA: '', SMS_SERVER_CONFIG: join(cwd, 'none.json') };
}

function sh(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) =>
    execFile('sh', ['-c', line], { cwd, env: env(), timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function json<T>(line: string): Promise<T> {
  return JSON.parse((await sh(line)).stdout) as T;
}

/**
 * After an SMS or call reaches the simulator: stored, routed, replies sent, SIM emptied. `data`,
 * `sim`: the ` --data DIR` and ` --data DIR --modem ID` the line named (default: `npm start`'s ./data).
 */
async function settle(data = '', sim = ''): Promise<void> {
  await waitFor(
    async () => {
      const inbox = await json<{ status: string }[]>(`sms-server inbox --json${data}`);
      const outbox = await json<{ state: string }[]>(`sms-server outbox --json${data}`);
      const storage = await json<{ SM: unknown[] }>(`sms-server simulate storage${sim}`);
      return inbox.every((e) => e.status !== 'new') && outbox.every((j) => j.state !== 'queued' && j.state !== 'sending') && storage.SM.length === 0;
    },
    'the server to handle what the simulator delivered',
    30_000,
    250,
  );
}

it('finds the quick start and the simulator blocks', () => {
  const blocks = cliBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  expect(blocks.flat().some((l) => l.includes('clients add'))).toBe(true);
  expect(blocks.flat().some((l) => l.includes('simulate pdu --hex'))).toBe(true);
});

it('every README line for the CLI and the simulator runs as pasted', async () => {
  const lines = cliBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).flat();
  for (const line of lines) {
    const r = await sh(line);
    expect(r.stderr, line).not.toMatch(/^error:/m);
    expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    if (/simulate sms .*--order 3,1,2/.test(line)) expect((JSON.parse(r.stdout) as { indices: number[] }).indices, line).toHaveLength(3);
    const dir = /--data (\S+)/.exec(line)?.[1];
    const modem = /--modem (\S+)/.exec(line)?.[1];
    const data = dir ? ` --data ${dir}` : '';
    const at = `${data}${modem ? ` --modem ${modem}` : ''}`;
    if (/simulate (sms|pdu|call)\b/.test(line)) await settle(data, at);
    if (/simulate sms .*CLIENT info/.test(line)) {
      // What the quick start promises: the acknowledgement, then the credentials (through the modem
      // that was texted); the request processed.
      const sent = await json<{ messages: { to: string; text: string }[] }>(`sms-server simulate sent${at}`);
      expect(sent.messages.map((m) => m.text)).toEqual([expect.stringMatching(/^Your request has been received/), expect.stringMatching(/password: 1a2b3c4d/)]);
      const outbox = await json<{ state: string; text: string }[]>(`sms-server outbox --json${data}`);
      expect(outbox.map((j) => j.state)).toEqual(['sent', 'sent']);
      expect(outbox.some((j) => j.text.includes('sealed'))).toBe(true);
    }
  }
  // The servers survived every fault the examples inject.
  expect(server!.exitCode).toBeNull();
  for (const e of extra) expect(e.proc.exitCode, e.out.slice(-1000)).toBeNull();
  await waitFor(async () => /modem:\s+ready/.test((await sh('sms-server status')).stdout), 'the modem ready again after the faults', 60_000, 500);
}, 240_000);
