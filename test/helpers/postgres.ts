/**
 * A real PostgreSQL server for tests (scripts/pg/test-server.sh): started once per test file on a
 * private port and data directory, stopped after. `pgSkipReason` is set when PostgreSQL is not
 * installed, so files can `describe.skipIf(pgSkipReason)` and say why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const SCRIPT = join(import.meta.dirname, '../../scripts/pg/test-server.sh');
/** The newest installed major version (Debian installs under /usr/lib/postgresql/<major>/bin), unless PG_BIN names one. */
function pgBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return majors.map((v) => join(root, v, 'bin')).find((b) => existsSync(join(b, 'initdb')));
}
const BIN = pgBin();

export const pgSkipReason: string | undefined =
  BIN && existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'))
    ? undefined
    : `PostgreSQL server binaries are not installed (no /usr/lib/postgresql/*/bin/initdb; Debian: apt-get install postgresql)`;

export interface TestPg {
  url: string;
  dir: string;
  /** A fresh empty schema (the store's tables are created in it by its migrations). */
  freshSchema(): Promise<string>;
  /** A fresh empty database on the server: its URL. */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

let schemas = 0;

export async function startTestPg(): Promise<TestPg> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-pg-'));
  const url = execFileSync(SCRIPT, ['start', dir], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PG_BIN: BIN } }).trim();
  return {
    url,
    dir,
    async freshSchema() {
      const name = `t${process.pid}_${schemas++}`;
      await admin(url, `CREATE SCHEMA ${name}`);
      return name;
    },
    async freshDatabase() {
      const name = `d${process.pid}_${schemas++}`;
      await admin(url, `CREATE DATABASE ${name}`);
      return url.replace(/\/[^/]*$/, '/' + name);
    },
    async stop() {
      execFileSync(SCRIPT, ['stop', dir], { timeout: 60_000, env: { ...process.env, PG_BIN: BIN } });
    },
  };
}

async function admin(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
