/** Small helpers shared by the fault-injection tests. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, JobPriority, Store } from '../../src/store/types.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Queue plain jobs straight into the store (the server's own store, or one opened before start). */
export async function enqueue(store: Store, items: { to: string; text: string; priority?: JobPriority }[]): Promise<Job[]> {
  const now = new Date().toISOString();
  return store.enqueue(
    items.map((i) => ({ to: i.to, text: i.text, priority: i.priority ?? 'notification', state: 'queued' as const, attempts: 0, nextAttemptAt: now })),
  );
}

/** A phone number per index: +7 900 000-00-00 + i (distinct, valid Russian mobiles). */
export function phone(i: number): string {
  return `+7900${String(1_000_000 + i).slice(1).padStart(7, '0')}`;
}

/** Seeded PRNG (mulberry32): fault timings and fuzz inputs are reproducible from the seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every *.json file under `dir` (recursively), for "no store file corrupt" checks. */
export function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Files that do not parse as JSON (empty list = no corrupt store file). */
export function corruptJsonFiles(dir: string): string[] {
  return jsonFiles(dir).filter((f) => {
    try {
      JSON.parse(readFileSync(f, 'utf8'));
      return false;
    } catch {
      return true;
    }
  });
}

/** Newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return t;
}

/**
 * Build dist/ (the CLI tests and the kill loop run the real built program) — skipped when
 * dist/cli/main.js is newer than every source file, so several test files do not rebuild it.
 */
export function buildDist(): void {
  const built = statSync(CLI, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built > newest(join(ROOT, 'src'))) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
}
