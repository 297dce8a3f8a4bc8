/**
 * A real PostgreSQL server for tests (scripts/pg/test-server.sh): started once per test file on a
 * private port and data directory, stopped after. `pgSkipReason` is set when PostgreSQL is not
 * installed, so files can `describe.skipIf(pgSkipReason)` and say why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const SCRIPT = join(import.meta.dirname, '../../scripts/pg/test-server.sh');
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export const pgSkipReason: string | undefined = existsSync(join(BIN, 'initdb'))
  ? undefined
  : `PostgreSQL is not installed (${BIN}/initdb missing; Debian: apt-get install postgresql)`;

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
  const url = execFileSync(SCRIPT, ['start', dir], { encoding: 'utf8', timeout: 120_000 }).trim();
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
      execFileSync(SCRIPT, ['stop', dir], { timeout: 60_000 });
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
