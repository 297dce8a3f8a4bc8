/** Typed errors of the store, the data-folder lock and the CLI spool. Each carries a stable `code`. */

export class StoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An update named an id the store does not hold. */
export class NotFoundError extends StoreError {
  constructor(kind: 'inbox entry' | 'job' | 'forward' | 'account', id: string) {
    super('STORE_NOT_FOUND', `${kind} ${JSON.stringify(id)} not found`);
  }
}

/** A write was attempted on a store opened with `{ readOnly: true }` (a CLI reading while the server runs). */
export class ReadOnlyStoreError extends StoreError {
  constructor(op: string) {
    super('STORE_READ_ONLY', `store opened read-only: ${op} refused (the server holds the data folder)`);
  }
}

/** The store was used before `open()` or after `close()`. */
export class StoreClosedError extends StoreError {
  constructor(op: string) {
    super('STORE_CLOSED', `store is not open: ${op} refused`);
  }
}

/** A file under the data folder is not what this version wrote (hand edit, other program, disk fault). */
export class CorruptFileError extends StoreError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('STORE_CORRUPT', `${file}: ${detail}`);
  }
}

/** Another live process holds `server.lock`. */
export class DataLockedError extends StoreError {
  constructor(
    readonly lockFile: string,
    readonly holder: { pid: number; host: string; startedAt: string; role?: 'server' | 'cli' },
  ) {
    super(
      'DATA_LOCKED',
      `${lockFile} is held by pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`,
    );
  }
}

/** No response arrived from the server for a spooled request in time. */
export class SpoolTimeoutError extends StoreError {
  constructor(
    readonly requestId: string,
    readonly withdrawn: boolean,
    timeoutMs: number,
  ) {
    super(
      'SPOOL_TIMEOUT',
      `no response to spool request ${requestId} within ${timeoutMs} ms` +
        (withdrawn ? ' (request withdrawn, not applied)' : ' (request was taken by the server; it may still be applied)'),
    );
  }
}

/** The server's handler failed for a spooled request; `message` is the server's error message. */
export class SpoolRemoteError extends StoreError {
  constructor(
    readonly requestId: string,
    readonly remoteCode: string | undefined,
    message: string,
  ) {
    super('SPOOL_REMOTE', message);
  }
}

/** A worker renewed or used a claim it no longer holds (the job left `sending`, or another owner took it over). */
export class LeaseLostError extends StoreError {
  constructor(
    readonly jobId: string,
    readonly owner: string,
    holder: string | undefined,
  ) {
    super('STORE_LEASE_LOST', `job ${JSON.stringify(jobId)} is not held by ${owner}` + (holder ? ` (held by ${holder})` : ' (not sending)'));
  }
}
