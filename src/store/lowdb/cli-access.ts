/**
 * How a CLI command reaches the data folder without becoming a second writer:
 * - no live server holds `server.lock` → the CLI takes the lock, opens LowdbStore, applies the op
 *   directly, closes and releases;
 * - a server runs → the op goes through the spool and the server applies it with the same function.
 * Ops are generic: callers pass one `apply` used both here and in the server's SpoolServer handler.
 */
import type { Store } from '../types.js';
import { DataLockedError } from '../errors.js';
import path from 'node:path';
import { LOCK_FILE, readDataLock } from './lock.js';
import { LowdbStore, type LowdbStoreOptions } from './lowdb-store.js';
import { SpoolClient, newRequestId, type SubmitOptions } from './spool.js';

/** Applies one named op to a store. `requestId` is stable for a spooled request (idempotency key). */
export type StoreOp<R = unknown> = (store: Store, op: string, args: unknown, requestId: string) => Promise<R>;

export interface CliOpResult<R> {
  /** 'direct': this process held the lock; 'server': the running server applied it. */
  via: 'direct' | 'server';
  result: R;
}

export interface WithStoreWriterOptions extends SubmitOptions, OpenForCliOptions {
  storeOptions?: Omit<LowdbStoreOptions, 'readOnly' | 'lock' | 'lockRole'>;
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
  const access = await openForCli(dir, opts.storeOptions, { lockWaitMs: opts.lockWaitMs });
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

/** How long a CLI waits for another CLI's direct operation to release the data lock (default 30 s). */
export const CLI_LOCK_WAIT_MS = 30_000;

export interface OpenForCliOptions {
  /** Wait at most this long for other CLIs holding the lock for a direct op (default CLI_LOCK_WAIT_MS). */
  lockWaitMs?: number;
}

/**
 * Opens the data folder for a CLI: the writable store when no live server holds the lock (the CLI
 * then holds it, as role 'cli', until `close()`), else a SpoolClient to the server. A lock held by
 * another CLI means "wait for it": that process ends within moments, and a spooled request would
 * wait for a server that is not running. For listing only, prefer
 * `new LowdbStore(dir, { readOnly: true })`, which works in both cases without the lock.
 * @throws DataLockedError when other CLIs kept the lock for longer than `lockWaitMs`.
 */
export async function openForCli(
  dir: string,
  storeOptions: Omit<LowdbStoreOptions, 'readOnly' | 'lock' | 'lockRole'> = {},
  opts: OpenForCliOptions = {},
): Promise<CliAccess> {
  const deadline = Date.now() + (opts.lockWaitMs ?? CLI_LOCK_WAIT_MS);
  for (;;) {
    const status = await readDataLock(dir);
    if (!status.held) {
      // One short operation: rewriting its segment beats journaling it and checkpointing at close.
      const store = new LowdbStore(dir, { journal: false, ...storeOptions, lockRole: 'cli' });
      try {
        await store.open();
        return { mode: 'direct', store, close: () => store.close() };
      } catch (e) {
        if (!(e instanceof DataLockedError)) throw e;
        // Taken between the check and open(): by a server → hand the op to it; by a CLI → wait.
        if (e.holder.role !== 'cli') return { mode: 'server', client: new SpoolClient(dir), pid: e.holder.pid, close: async () => {} };
        if (Date.now() >= deadline) throw e;
      }
    } else if (status.info === undefined || status.info.role === 'cli') {
      // A CLI's direct op, or a lock being written this instant (no info yet): look again shortly.
      if (Date.now() >= deadline) {
        if (status.info) throw new DataLockedError(path.join(dir, LOCK_FILE), status.info);
        return { mode: 'server', client: new SpoolClient(dir), pid: -1, close: async () => {} };
      }
    } else {
      return { mode: 'server', client: new SpoolClient(dir), pid: status.info.pid, close: async () => {} };
    }
    await new Promise((r) => setTimeout(r, 25 + Math.floor(Math.random() * 50)));
  }
}

/** Adapts a StoreOp into the SpoolServer handler for a server that holds `store`. */
export function spoolHandlerFor(store: Store, apply: StoreOp): (op: string, args: unknown, id: string) => Promise<unknown> {
  return (op, args, id) => apply(store, op, args, id);
}
