/**
 * Which data folder the CLI uses, as an operator meets it (issue 9 items 4 and 6), through the
 * built CLI as child processes:
 * - run from another directory, no command creates a `./data` (with a new key and a queued job no
 *   server would send); a missing folder is a clear error naming where the path came from;
 * - the folder used is named on stderr, and found from SMS_SERVER_DATA or the system config's
 *   `dataDir` from any working directory;
 * - run by another user than the folder's owner (root vs the service user), a writing command is
 *   refused with the user to run as; run as that user (setpriv) it works.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type BuiltCli } from '../helpers/cli.js';

let cli: BuiltCli;
let base: string;
beforeAll(() => {
  cli = buildCli();
  base = mkdtempSync(join(tmpdir(), 'sms-folder-'));
}, 120_000);
afterAll(() => {
  cli?.remove();
  rmSync(base, { recursive: true, force: true });
});

/** Run in `cwd` (a folder other than the data folder's parent) with these extra env vars. */
function run(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number } = {}) {
  const env = { ...process.env, LOG_LEVEL: 'silent', SMS_SERVER_DATA: '', SMS_SERVER_CONFIG: join(base, 'no-system-config.json'), ...o.env };
  const argv = o.uid === undefined ? [process.execPath, cli.main, ...args] : ['setpriv', `--reuid=${o.uid}`, `--regid=${o.uid}`, '--clear-groups', process.execPath, cli.main, ...args];
  try {
    const stdout = execFileSync(argv[0]!, argv.slice(1), { cwd: o.cwd ?? base, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('no silent wrong data folder (item 4)', () => {
  it('from another directory: send, status and inbox fail clearly and create nothing', () => {
    const elsewhere = mkdtempSync(join(base, 'cwd-'));
    const send = run(['send', '--to', '+79001234567', '--text', 'hello'], { cwd: elsewhere });
    expect(send.code).toBe(2);
    expect(send.stdout).not.toMatch(/queued/);
    expect(send.stderr).toContain(`data folder ${join(elsewhere, 'data')} (the default ./data) does not exist`);
    expect(readdirSync(elsewhere)).toEqual([]); // no ./data, no secret.key

    const status = run(['status', '--data', join(base, 'nonexistent')]);
    expect(status.code).toBe(2);
    expect(status.stdout).not.toMatch(/not running/);
    expect(status.stderr).toMatch(/nonexistent \(--data\) does not exist/);

    const inbox = run(['inbox'], { cwd: elsewhere });
    expect(inbox.code).toBe(2);
    expect(inbox.stdout).not.toMatch(/inbox is empty/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('names the folder it used on stderr; finds it from SMS_SERVER_DATA or the system config from anywhere', () => {
    const data = join(base, 'service-data');
    mkdirSync(data, { mode: 0o700 });
    const viaEnv = run(['send', '--to', '+79001234567', '--text', 'via env', '--json'], { env: { SMS_SERVER_DATA: data } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    // execFileSync drops stderr on success: ask again for a listing to see the notice.
    const listed = execFileSync('sh', ['-c', `"${process.execPath}" "${cli.main}" outbox 2>&1 >/dev/null`], {
      cwd: base,
      env: { ...process.env, SMS_SERVER_DATA: data, SMS_SERVER_CONFIG: join(base, 'none.json') },
      encoding: 'utf8',
    });
    expect(listed).toBe(`sms-server: data folder ${data} (from SMS_SERVER_DATA)\n`);

    const system = join(base, 'etc-sms-server.json');
    writeFileSync(system, JSON.stringify({ dataDir: data }));
    const elsewhere = mkdtempSync(join(base, 'cwd-'));
    const viaSystem = run(['outbox', '--json'], { cwd: elsewhere, env: { SMS_SERVER_CONFIG: system } });
    expect(viaSystem.code).toBe(0);
    expect((JSON.parse(viaSystem.stdout) as { text: string }[]).map((j) => j.text)).toEqual(['via env']);
    // --data still wins and is not announced.
    const explicit = run(['outbox', '--json', '--data', data], { env: { SMS_SERVER_CONFIG: system } });
    expect(explicit.code).toBe(0);
  });
});

describe('the CLI run by another user than the folder owner (item 6)', () => {
  const OWNER = 4242; // a uid with no name: the service user of a fresh install would have one

  it('root is refused for a writing command, told which user to run as; that user succeeds', () => {
    if (process.getuid?.() !== 0) return void console.log('SKIPPED: needs root to chown a folder to another uid');
    chmodSync(base, 0o755);
    const data = join(base, 'owned');
    mkdirSync(data, { mode: 0o700 });
    chownSync(data, OWNER, OWNER);
    // The other uid must reach the built CLI (mkdtemp folders are 0700).
    for (let d = dirname(dirname(cli.main)); d !== tmpdir() && d !== '/'; d = dirname(d)) chmodSync(d, 0o755);

    const asRoot = run(['send', '--to', '+79001234567', '--text', 'from root', '--data', data]);
    expect(asRoot.code).toBe(2);
    expect(asRoot.stderr).toContain(`data folder ${data} belongs to uid ${OWNER}`);
    expect(asRoot.stderr).toContain(`sudo -u '#${OWNER}' sms-server send …`);
    expect(readdirSync(data)).toEqual([]); // nothing root-owned left behind

    const clients = run(['clients', 'add', '--phone', '+79001234567', '--code', '1', '--login', 'a', '--password', 'b', '--data', data]);
    expect(clients.stderr).toContain('sms-server clients add …');

    // Reading as root writes nothing: allowed.
    expect(run(['outbox', '--data', data]).code).toBe(0);

    const asOwner = run(['send', '--to', '+79001234567', '--text', 'from the owner', '--data', data], { uid: OWNER });
    expect(asOwner.code, asOwner.stderr).toBe(0);
    for (const f of readdirSync(data, { recursive: true }) as string[]) expect(statSync(join(data, f)).uid, f).toBe(OWNER);

    // Another non-root user cannot even read it: told the same.
    const stranger = run(['outbox', '--data', data], { uid: OWNER + 1 });
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/cannot read its private files\. Run the command as that user: sudo -u '#4242' sms-server outbox/);
    expect(existsSync(join(data, 'server.lock'))).toBe(false);
  });
});
