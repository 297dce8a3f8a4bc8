/** The server's store, as configured: the data folder's lowdb files (one host) or shared PostgreSQL (several). */
import type { Config } from '../config/config.js';
import { LowdbStore, type Store } from '../store/index.js';
import type { Logger } from '../util/log.js';

export interface ServerStore {
  store: Store;
  /** Subscribes to work enqueued by other hosts (shared stores only); answers the unsubscribe. */
  watchWork?: (onWork: () => void) => Promise<() => Promise<void>>;
}

export async function openServerStore(cfg: Config, logger: Logger): Promise<ServerStore> {
  if (cfg.store.kind === 'postgres') {
    // Imported lazily: a one-host server never loads the pg client.
    const { PostgresStore } = await import('../store/postgres/index.js');
    const store = new PostgresStore({ url: cfg.store.url!, logger });
    await store.open();
    return { store, watchWork: (fn) => store.watchWork(fn) };
  }
  const store = new LowdbStore(cfg.dataDir, { lockWaitMs: 3000, logger });
  await store.open();
  return { store };
}
