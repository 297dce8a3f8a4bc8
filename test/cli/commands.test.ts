/**
 * The CLI loads only the module of the command being run (src/cli/main.ts). What must not change
 * for a user: help lists every command, subcommands of a lazily loaded module work, a typo still
 * gets its suggestion, and the installed program carries its V8 flags in the shebang. And `serve`
 * does not load what its configuration does not use (each optional feature is 15–20 MB of RSS).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type BuiltCli } from '../helpers/cli.js';

let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
}, 120_000);
afterAll(() => cli?.remove());

const TOP_LEVEL = ['serve', 'simulate', 'inbox', 'send', 'mass', 'outbox', 'clients', 'accounts', 'forwards', 'status', 'selfservice', 'store'];

describe('CLI command registration', () => {
  it('help lists every top-level command, in the documented order', async () => {
    for (const args of [['--help'], ['help']]) {
      const r = await cli.run(args);
      expect(r.code).toBe(0);
      const listed = [...r.stdout.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
      expect(listed).toEqual(TOP_LEVEL);
    }
  });

  it('runs a subcommand of a module loaded for its parent (mass status), and help for one command', async () => {
    const sub = await cli.run(['mass', 'status', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('progress of a campaign');
    const one = await cli.run(['help', 'outbox']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('Usage: sms-server outbox');
  });

  it('an unknown command still gets "did you mean"', async () => {
    const r = await cli.run(['inbx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'inbx'[\s\S]*Did you mean inbox\?/);
  });

  it("serve's module graph leaves out the optional features until configured (web layer, e-mail, SMPP, PostgreSQL)", () => {
    // A loader hook records every module URL the ESM loader loads (CommonJS packages included:
    // their entry file passes through it when imported).
    const dir = mkdtempSync(join(tmpdir(), 'sms-modules-'));
    try {
      const log = join(dir, 'loaded.txt');
      writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
      writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
      execFileSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, cli.main, 'serve', '--help'], { encoding: 'utf8' });
      const loaded = readFileSync(log, 'utf8').split('\n');
      expect(loaded.some((u) => u.endsWith('/daemon/server.js'))).toBe(true); // the hook saw the server's graph
      expect(loaded.filter((u) => /node_modules\/(fastify|@fastify|nodemailer|smpp|altcha-lib|serialport|pg|pg-[a-z]+)\/|\/store\/postgres\//.test(u))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the program file starts with the V8 flags the benchmarks measured, and runs through that line', () => {
    const first = readFileSync(cli.main, 'utf8').split('\n', 1)[0];
    expect(first).toMatch(/^#!\/usr\/bin\/env -S node --max-opt=1 --max-semi-space-size=1 --heap-growing-percent=50$/);
    // `npm start` (the README's first command) runs the file as a program, so it gets them too.
    const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toMatch(/^\.\/dist\/cli\/main\.js serve\b/);
    // Executed as a program (as the installed `sms-server` is): a misspelt flag would stop node here.
    chmodSync(cli.main, 0o755);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(execFileSync(cli.main, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });
});
