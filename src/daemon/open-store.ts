/** The server's store, as configured: the data folder's lowdb files (one host) or shared PostgreSQL (several). */
import { hostname } from 'node:os';
import type { Config } from '../config/config.js';
import { LowdbStore, type DataLock, type Store } from '../store/index.js';
import type { Logger } from '../util/log.js';

/** This server's name among the hosts sharing a database: `store.host`, else the machine's. */
export function hostOf(cfg: Config): string {
  return cfg.store.host ?? hostname();
}

/**
 * Opens (and migrates) the configured store. `lock`: the caller holds the data folder's lock
 * already. PostgreSQL is imported lazily: a one-host server never loads the pg client.
 */
export async function openServerStore(cfg: Config, logger: Logger, lock?: DataLock): Promise<Store> {
  if (cfg.store.kind === 'postgres') {
    const { PostgresStore } = await import('../store/postgres/index.js');
    const store = new PostgresStore({ url: cfg.store.url!, host: hostOf(cfg), logger });
    await store.open();
    return store;
  }
  const store = new LowdbStore(cfg.dataDir, lock ? { lock: false, logger } : { lockWaitMs: 3000, logger });
  await store.open();
  return store;
}
