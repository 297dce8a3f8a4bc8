/**
 * Runs store code in real child node processes (the lock and spool are about several processes).
 * Node 20 cannot run .ts, so src/store (with lowdb/) and src/util are transpiled (no type check) into a temp dir
 * once per test file; a child is an .mjs script importing `./src/store/index.js` from there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { tempDir } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export async function buildStoreForChildren(): Promise<string> {
  const out = await tempDir('sms-store-build-');
  for (const sub of ['src/store', 'src/store/lowdb', 'src/util']) {
    await mkdir(path.join(out, sub), { recursive: true });
    for (const f of await readdir(path.join(ROOT, sub))) {
      if (!f.endsWith('.ts')) continue;
      const src = await readFile(path.join(ROOT, sub, f), 'utf8');
      const js = ts.transpileModule(src, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      }).outputText;
      await writeFile(path.join(out, sub, f.replace(/\.ts$/, '.js')), js);
    }
  }
  await writeFile(path.join(out, 'package.json'), '{"type":"module"}');
  await symlink(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  return out;
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the first stdout line matching `re`. */
  waitLine(re: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `node <buildDir>/<name>.mjs` with the script body given (top-level await allowed). */
export async function runChild(buildDir: string, name: string, body: string, args: string[] = []): Promise<Child> {
  const file = path.join(buildDir, name + '.mjs');
  await writeFile(file, `import * as S from './src/store/index.js';\n${body}\n`);
  const proc = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) {
      const line = stdout.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    proc,
    exited,
    waitLine: (re) =>
      new Promise<string>((resolve, reject) => {
        const line = stdout.split('\n').find((l) => re.test(l));
        if (line !== undefined) return resolve(line);
        waiters.push({ re, resolve });
        void exited.then((r) => reject(new Error(`child ${name} exited (${r.code ?? r.signal}) before printing ${re}: ${r.stderr}`)));
      }),
  };
}
