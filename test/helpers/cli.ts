/**
 * The built CLI for end-to-end tests: `tsc -p tsconfig.build.json` into a private folder (not
 * dist/, which other test files and engineers may be rebuilding at the same moment), then
 * `node <out>/cli/main.js …` as a real child process — the way cron or an operator runs it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface BuiltCli {
  /** Path of main.js. */
  main: string;
  run(args: string[], o?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  remove(): void;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Compile src/ once (≈10 s) into a temp folder that resolves node_modules and modem-profiles like dist/. */
export function buildCli(): BuiltCli {
  const base = mkdtempSync(join(tmpdir(), 'sms-cli-'));
  const out = join(base, 'dist');
  mkdirSync(out);
  execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'pipe' });
  // The public pages' templates and assets, as `npm run build` copies them (a web listener needs them).
  cpSync(join(ROOT, 'src', 'web', 'public'), join(out, 'web', 'public'), { recursive: true });
  // ESM by package type, packages from the project, profiles found at <main>/../../modem-profiles.
  copyFileSync(join(ROOT, 'package.json'), join(base, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'));
  symlinkSync(join(ROOT, 'modem-profiles'), join(base, 'modem-profiles'));
  const main = join(out, 'cli', 'main.js');
  return {
    main,
    run: (args, o = {}) => runCli(main, args, o),
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** Run the CLI; resolves with the exit code and output (never rejects on a non-zero exit). */
export function runCli(main: string, args: string[], o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [main, ...args],
      { timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'silent', ...o.env } },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException & { code?: unknown }).code !== 'number') {
          if ((err as { killed?: boolean }).killed) return reject(new Error(`CLI ${args.join(' ')} timed out: ${stderr}`));
          return reject(err);
        }
        resolvePromise({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
      },
    );
  });
}
