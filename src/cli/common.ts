/**
 * Shared CLI plumbing: the data folder, the config, the key, and how errors end a command.
 * Every error a user can cause ends with one clear line on stderr and a non-zero exit; stack
 * traces are for bugs only (LOG_LEVEL=debug shows them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULTS, loadConfig, locateDataDir, MODEM_ID_PATTERN, modemSpecs, systemConfigPath, type Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { makeOps } from '../daemon/ops.js';
import { isSharedStore, LowdbStore, newRequestId, withStoreWriter, type HostStatus, type Store, type StoreOp } from '../store/index.js';
import { loadOrCreateKey } from '../util/secret.js';
import { useDataFolder, type FolderAccess } from './data-folder.js';

export interface DataOpts {
  data?: string;
  config?: string;
}

/** Raised for bad arguments: exit code 2, like a usage error. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** The command being run (`clients add`), for messages that tell how to run it differently. */
let commandName = '';

/** The effective config; its data folder checked for `access` (see data-folder.ts). */
export function cliConfig(o: DataOpts, overrides: Partial<Config> = {}, access: FolderAccess = 'write'): Config {
  const cfg = loadConfig({ dataDir: o.data, configFile: o.config, overrides });
  useDataFolder({ dir: cfg.dataDir, source: locateDataDir({ dataDir: o.data, configFile: o.config }).source }, access, commandName);
  return cfg;
}

/** The data folder of a command that only reads it (listings, status, the simulator's socket). */
export function dataDirOf(o: DataOpts): string {
  return useDataFolder(locateDataDir({ dataDir: o.data, configFile: o.config }), 'read', commandName);
}

/** Ops whose key is loaded only when an op runs in this process (direct mode). */
export function cliOps(cfg: Config): StoreOp {
  let ops: StoreOp | undefined;
  let current: Store | undefined;
  const configured = (n: string) => modemSpecs(cfg).find((m) => m.number === n)?.id;
  return (store, op, args, id) => {
    current = store;
    ops ??= makeOps({
      dataDir: cfg.dataDir,
      phoneRule: { country: cfg.country },
      key: loadOrCreateKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey }),
      selfServiceSettings: cfg.selfService,
      // Queued while the server is down, an account's jobs are pinned like the server pins them.
      // Several hosts: the SIM may be another host's (the status rows list every host's modems).
      modemForNumber: async (n: string) => configured(n) ?? (current && isSharedStore(current) ? modemOfNumber(await current.listHosts(), n) : undefined),
    });
    return ops(store, op, args, id);
  };
}

/** The id of the modem whose SIM has `number`, on any host listed. */
function modemOfNumber(hosts: HostStatus[], number: string): string | undefined {
  return hosts.flatMap((h) => h.status.modems ?? []).find((m) => m.number === number)?.id;
}

/**
 * Apply a change directly, or through the running server (the single writer of a data folder).
 * On PostgreSQL (`store.kind`) every host and CLI writes the database itself, in transactions.
 */
export async function applyOp<R>(cfg: Config, op: string, args: unknown): Promise<{ via: 'direct' | 'server'; result: R }> {
  if (cfg.store.kind === 'postgres') {
    const store = await openShared(cfg);
    try {
      return { via: 'direct', result: await (cliOps(cfg) as StoreOp<R>)(store, op, args, newRequestId()) };
    } finally {
      await store.close();
    }
  }
  return withStoreWriter<R>(cfg.dataDir, op, args, cliOps(cfg) as StoreOp<R>, { timeoutMs: 60_000 });
}

/**
 * The config a read-only command finds the data with. A config the server refuses (a short token, a
 * bad template) must not hide the status or inbox an operator needs to diagnose it: warn and read
 * the folder — unless a config file names a PostgreSQL store, whose data is not in the folder.
 */
function readOnlyConfig(dataDir: string): Config {
  try {
    return loadConfig({ dataDir });
  } catch (e) {
    const { dir } = locateDataDir({ dataDir });
    if (!(e instanceof ConfigError) || [join(dir, 'config.json'), systemConfigPath()].some(namesSharedStore)) throw e;
    process.stderr.write(`warning: ${e.message} (the server will not start with it); reading the data folder's own files\n`);
    return { ...DEFAULTS, dataDir: dir };
  }
}

/** The raw file (unvalidated) has a `store` other than lowdb; unreadable or absent → false. */
function namesSharedStore(file: string): boolean {
  try {
    const store = (JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { store?: { kind?: unknown; url?: unknown } }).store;
    return store !== undefined && (store.kind !== undefined ? store.kind !== 'lowdb' : store.url !== undefined);
  } catch {
    return false;
  }
}

/** The shared database of a `store.kind: postgres` config (pg loaded only then). */
async function openShared(cfg: Config): Promise<Store> {
  const { PostgresStore } = await import('../store/postgres/index.js');
  const store = new PostgresStore({ url: cfg.store.url!, ...(cfg.store.host ? { host: cfg.store.host } : {}) });
  await store.open();
  return store;
}

/**
 * A read-only view of the data: the folder's files (works while the server runs), or the shared
 * PostgreSQL database when the config names one (every host's inbox and queue). A folder alone:
 * its own config.json decides.
 */
export async function openReadOnly(from: string | Config): Promise<Store> {
  const cfg = typeof from === 'string' ? readOnlyConfig(from) : from;
  if (cfg.store.kind === 'postgres') return openShared(cfg);
  const store = new LowdbStore(cfg.dataDir, { readOnly: true });
  await store.open();
  return store;
}

/** A listing cut at --limit says so on stderr (stdout stays the JSON or table a script reads). */
export function noteMore(what: string, limit: number): void {
  process.stderr.write(`sms-server: more ${what} exist than --limit ${limit} shows (newest first); raise --limit to see them\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Parse a whole-number option with a message naming the flag. */
export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new UsageError(`${name} must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

/** Runs a command action; known errors become one line on stderr and exit 1 (2 for usage). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    const cmd = args.find((a): a is Command => typeof (a as Command | undefined)?.name === 'function' && 'parent' in (a as object));
    if (cmd) commandName = cmd.parent?.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
    try {
      await fn(...args);
    } catch (e) {
      const err = e as Error & { code?: string };
      process.stderr.write(`error: ${err.message}\n`);
      if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') process.stderr.write(`${err.stack}\n`);
      process.exitCode = err instanceof UsageError || err.code === 'CONFIG' || err.code === 'DATA_FOLDER' ? 2 : 1;
    }
  };
}

/**
 * Where `serve --simulate` puts a simulated modem's device link and control socket: `sim-modem`
 * and `sim-control.sock` for the one modem `default`, `sim-modem-<id>` and `sim-control-<id>.sock`
 * for each modem of a pool (`serve --simulate --modems N`, `simulate … --modem <id>`).
 */
export function simulatorPaths(dataDir: string, modem?: string): { link: string; control: string } {
  if (modem === undefined || modem === 'default') return { link: join(dataDir, 'sim-modem'), control: join(dataDir, 'sim-control.sock') };
  if (!MODEM_ID_PATTERN.test(modem)) throw new UsageError(`--modem must be a modem id like m2, got "${modem}"`);
  return { link: join(dataDir, `sim-modem-${modem}`), control: join(dataDir, `sim-control-${modem}.sock`) };
}
