/**
 * Versioned schema migrations: `migrations/NNN_name.sql`, applied in order at start, each in its own
 * transaction and recorded in `schema_migrations`. A session advisory lock serialises hosts that
 * start at once: the second waits, then finds the versions applied and does nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { StoreError } from '../errors.js';

/** Key of the advisory lock held while migrating (any constant unique to this program). */
const MIGRATION_LOCK = 0x5353_0017;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export function loadMigrations(dir = DIR): Migration[] {
  const out: Migration[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(f);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(dir + f, 'utf8') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreError('STORE_MIGRATION', `migrations must be numbered 001, 002, … without gaps: found ${m.version} at position ${i + 1}`);
  });
  return out;
}

/** Applies the migrations not applied yet; answers the versions it applied. */
export async function migrate(client: pg.ClientBase, migrations: Migration[] = loadMigrations()): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    if (newest > migrations.length) {
      throw new StoreError('STORE_MIGRATION', `the database schema is at version ${newest}, newer than this program knows (${migrations.length}): upgrade sms-server`);
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new StoreError('STORE_MIGRATION', `migration ${m.version} (${m.name}) failed: ${(e as Error).message}`);
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
