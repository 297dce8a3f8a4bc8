/**
 * Accounts through the built CLI as separate processes (issue 11): `accounts add|list|set|rotate|
 * remove` (token and secret shown once, never stored in clear), and crash safety of forwarding —
 * `serve` killed with SIGKILL while a webhook request is in flight, started again: the webhook is
 * delivered once, with the same webhook-id. The simulated modem lives in this test process on a
 * PTY, so it outlives the server like a real USB stick does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/harness.js';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

let cli: BuiltCli;
const dirs: string[] = [];
beforeAll(() => {
  cli = buildCli();
}, 180_000);
afterAll(() => {
  cli?.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempData(): string {
  const d = mkdtempSync(join(tmpdir(), 'sms-acc-cli-'));
  dirs.push(d);
  return d;
}

async function json<T>(args: string[]): Promise<T> {
  const r = await cli.run(args);
  if (r.code !== 0) throw new Error(`sms-server ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Every file's bytes under dir, for "no secret in clear" checks. */
function allBytes(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? allBytes(p) : readFileSync(p, 'latin1');
  }
  return out;
}

type Created = { login: string; token: string; webhookSecret: string; webhook: string | null; number: string | null; via: string };

describe('accounts on the command line', () => {
  it('add shows the token and secret once and stores neither in clear; list never shows them; set, rotate, remove; bad input exits non-zero', async () => {
    const d = tempData();
    const a = await json<Created>(['accounts', 'add', '--login', 'CRM', '--name', 'CRM system', '--webhook', 'https://crm.example/sms', '--number', '8 999 000-00-01', '--json', '--data', d]);
    expect(a).toMatchObject({ login: 'crm', webhook: 'https://crm.example/sms', number: '+79990000001', via: 'direct' });
    expect(a.token).toMatch(/^smsk_[A-Za-z0-9_-]{43}$/);
    expect(a.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const text = await cli.run(['accounts', 'add', '--login', 'desk', '--email', 'desk@example.com', '--data', d]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/API token\s+smsk_/);
    expect(text.stdout).toMatch(/webhook secret\s+whsec_/);
    const deskToken = /API token\s+(\S+)/.exec(text.stdout)![1]!;

    const stored = allBytes(d);
    for (const secret of [a.token, a.webhookSecret, a.webhookSecret.slice(6), deskToken]) expect(stored).not.toContain(secret);

    const list = await json<Record<string, unknown>[]>(['accounts', 'list', '--json', '--data', d]);
    expect(list.map((x) => x.login)).toEqual(['crm', 'desk']);
    for (const row of list) for (const k of ['token', 'webhookSecret', 'tokenHash', 'webhookSecretEnc']) expect(row).not.toHaveProperty(k);
    expect((await cli.run(['accounts', 'list', '--data', d])).stdout).toMatch(/crm\s+CRM system\s+\+79990000001\s+https:\/\/crm\.example\/sms/);

    const set = await json<Record<string, unknown>>(['accounts', 'set', '--login', 'crm', '--webhook', 'none', '--email', 'crm@example.com', '--json', '--data', d]);
    expect(set).toMatchObject({ webhook: null, email: 'crm@example.com' });
    const rotated = await json<Created>(['accounts', 'rotate', '--login', 'crm', '--json', '--data', d]);
    expect(rotated.token).not.toBe(a.token);
    expect(rotated.webhookSecret).not.toBe(a.webhookSecret);

    const bad: [string[], number, RegExp][] = [
      [['accounts', 'add', '--login', 'crm'], 1, /already exists/],
      [['accounts', 'add', '--login', 'x'], 2, /--login: invalid login "x"/],
      [['accounts', 'add', '--login', 'web', '--webhook', 'file:///etc/passwd'], 2, /only http and https/],
      [['accounts', 'add', '--login', 'dup', '--number', '+79990000001'], 1, /already belongs to account "crm"/],
      [['accounts', 'set', '--login', 'crm'], 2, /at least one of/],
      [['accounts', 'set', '--login', 'ghost', '--name', 'x'], 1, /no account "ghost"/],
      [['forwards', '--status', 'stuck'], 2, /--status must be one of pending, delivered, failed/],
      [['forwards', 'retry', '--id', 'fwd-9'], 1, /no forward "fwd-9"/],
    ];
    for (const [args, code, msg] of bad) {
      const r = await cli.run([...args, '--data', d]);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(msg);
    }
    expect((await cli.run(['accounts', 'remove', '--login', 'DESK', '--data', d])).stdout).toBe('removed account desk\n');
    expect((await json<unknown[]>(['accounts', 'list', '--json', '--data', d])).length).toBe(1);
  }, 240_000); // ~20 CLI processes: seconds each on a loaded machine
});

describe('kill -9 between routing and delivery', () => {
  let sim: RunningSimulator | undefined;
  let rx: WebhookReceiver | undefined;
  let server: ChildProcess | undefined;
  let log = '';
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await sim?.close();
    await rx?.close();
  });

  const serve = (d: string, device: string) => {
    const c = spawn(process.execPath, [cli.main, 'serve', '--device', device, '--profile', 'generic', '--data', d, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    return c;
  };
  const ready = (d: string) =>
    waitFor(async () => {
      const r = await cli.run(['status', '--json', '--data', d]);
      return r.code === 0 && (JSON.parse(r.stdout) as { modem: { state: string } }).modem.state === 'ready';
    }, 'server ready', 30_000, 200);

  it('a webhook in flight when the server is SIGKILLed is delivered once after the restart, same webhook-id; CLI listings while it runs', async () => {
    const d = tempData();
    const device = join(d, 'modem');
    sim = await startSimulatorOnPty({ link: device, profile: 'generic', ownNumber: '+79990000001' });
    rx = await startReceiver('/hook');
    rx.script(['hang'], 200);
    const acme = await json<Created>(['accounts', 'add', '--login', 'acme', '--webhook', rx.url, '--json', '--data', d]);

    server = serve(d, device);
    await ready(d);
    sim.modem.injectSms('+79001234567', 'acme: call me about the contract', { timestamp: new Date(Date.UTC(2026, 10, 21, 10, 0, 0)) });
    await waitFor(() => rx!.requests.length === 1, `webhook in flight (server log: ${log.slice(-400)})`, 20_000);
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    await exited;

    const pendingNow = await json<{ id: string; status: string; tries: number; messageId: string }[]>(['forwards', '--json', '--data', d]);
    expect(pendingNow).toMatchObject([{ status: 'pending', tries: 0 }]);

    server = serve(d, device);
    await ready(d);
    const done = await waitFor(async () => {
      const list = await json<{ status: string; attempts: { status?: number }[]; messageId: string; account: string }[]>(['forwards', '--account', 'acme', '--json', '--data', d]);
      return list[0]?.status === 'delivered' ? list : undefined;
    }, 'delivered after restart', 20_000);
    expect(done).toHaveLength(1);
    expect(done[0]!.attempts.map((a) => a.status)).toEqual([200]); // the killed attempt was never recorded
    expect(rx.requests.map((r) => r.answered)).toEqual(['hang', 200]);
    expect(rx.requests.map((r) => r.headers['webhook-id'])).toEqual([done[0]!.messageId, done[0]!.messageId]);
    expect(rx.requests[1]!.body).toBe(rx.requests[0]!.body);

    const inbox = await json<Record<string, unknown>[]>(['inbox', '--account', 'acme', '--json', '--data', d]);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ account: 'acme', routedBy: 'prefix', to: '+79990000001', text: 'call me about the contract' });
    expect(await json<unknown[]>(['inbox', '--account', 'nobody', '--json', '--data', d])).toEqual([]);

    // The CLI goes through the spool while the server runs.
    const beta = await json<Created>(['accounts', 'add', '--login', 'beta', '--json', '--data', d]);
    expect(beta.via).toBe('server');
    const sent = await json<{ ids: string[]; via: string }>(['send', '--to', '+79001234567', '--text', 'We will call at 3 pm', '--account', 'acme', '--json', '--data', d]);
    expect(sent.via).toBe('server');
    const outbox = await json<{ id: string; account?: string }[]>(['outbox', '--json', '--data', d]);
    expect(outbox.find((j) => j.id === sent.ids[0])!.account).toBe('acme');
    expect(acme.login).toBe('acme');

    const stopped = new Promise<number | null>((r) => server!.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    expect(await stopped).toBe(0);
  }, 240_000);
});
