/**
 * How a CLI command reaches the data folder without becoming a second writer:
 * - no live server holds `server.lock` → the CLI takes the lock, opens LowdbStore, applies the op
 *   directly, closes and releases;
 * - a server runs → the op goes through the spool and the server applies it with the same function.
 * Ops are generic: callers pass one `apply` used both here and in the server's SpoolServer handler.
 */
import type { Store } from './types.js';
import { DataLockedError } from './errors.js';
import { readDataLock } from './lock.js';
import { LowdbStore, type LowdbStoreOptions } from './lowdb-store.js';
import { SpoolClient, newRequestId, type SubmitOptions } from './spool.js';

/** Applies one named op to a store. `requestId` is stable for a spooled request (idempotency key). */
export type StoreOp<R = unknown> = (store: Store, op: string, args: unknown, requestId: string) => Promise<R>;

export interface CliOpResult<R> {
  /** 'direct': this process held the lock; 'server': the running server applied it. */
  via: 'direct' | 'server';
  result: R;
}

export interface WithStoreWriterOptions extends SubmitOptions {
  storeOptions?: Omit<LowdbStoreOptions, 'readOnly' | 'lock'>;
}

/**
 * Runs `op` against the data folder in `dir` exactly once, directly or through the running server.
 * The server must apply spooled requests with the same `apply` (see `spoolHandlerFor`).
 */
export async function withStoreWriter<R>(
  dir: string,
  op: string,
  args: unknown,
  apply: StoreOp<R>,
  opts: WithStoreWriterOptions = {},
): Promise<CliOpResult<R>> {
  const access = await openForCli(dir, opts.storeOptions);
  if (access.mode === 'direct') {
    try {
      return { via: 'direct', result: await apply(access.store, op, args, newRequestId()) };
    } finally {
      await access.close();
    }
  }
  return { via: 'server', result: await access.client.submit<R>(op, args, opts) };
}

export type CliAccess =
  | { mode: 'direct'; store: LowdbStore; close(): Promise<void> }
  | { mode: 'server'; client: SpoolClient; pid: number; close(): Promise<void> };

/**
 * Opens the data folder for a CLI: the writable store when no live server holds the lock (the CLI
 * then holds it until `close()`), else a SpoolClient to the server. For listing only, prefer
 * `new LowdbStore(dir, { readOnly: true })`, which works in both cases without the lock.
 */
export async function openForCli(dir: string, storeOptions: Omit<LowdbStoreOptions, 'readOnly' | 'lock'> = {}): Promise<CliAccess> {
  const status = await readDataLock(dir);
  if (!status.held) {
    const store = new LowdbStore(dir, storeOptions);
    try {
      await store.open();
      return { mode: 'direct', store, close: () => store.close() };
    } catch (e) {
      // A server started between the check and open(): hand the op to it.
      if (!(e instanceof DataLockedError)) throw e;
      return { mode: 'server', client: new SpoolClient(dir), pid: e.holder.pid, close: async () => {} };
    }
  }
  return { mode: 'server', client: new SpoolClient(dir), pid: status.info?.pid ?? -1, close: async () => {} };
}

/** Adapts a StoreOp into the SpoolServer handler for a server that holds `store`. */
export function spoolHandlerFor(store: Store, apply: StoreOp): (op: string, args: unknown, id: string) => Promise<unknown> {
  return (op, args, id) => apply(store, op, args, id);
}
