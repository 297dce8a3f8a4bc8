/** Public API of the store module: the contract types, both implementations, the data lock and the CLI spool. */
export * from './types.js';
export * from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { LowdbStore, cleanTempFiles, type LowdbStoreOptions } from './lowdb-store.js';
export { DurableJsonFile, writeFileDurable, readJsonFile, FILE_MODE, DIR_MODE } from './durable-json-file.js';
export { acquireDataLock, readDataLock, isHolderAlive, LOCK_FILE, type DataLock, type LockInfo, type LockRole, type LockStatus } from './lock.js';
export {
  SpoolClient,
  SpoolServer,
  newRequestId,
  spoolPaths,
  type SpoolHandler,
  type SpoolRequest,
  type SpoolResponse,
  type SpoolServerOptions,
  type SubmitOptions,
} from './spool.js';
export {
  withStoreWriter,
  openForCli,
  spoolHandlerFor,
  CLI_LOCK_WAIT_MS,
  type StoreOp,
  type CliAccess,
  type CliOpResult,
  type OpenForCliOptions,
  type WithStoreWriterOptions,
} from './cli-access.js';
export * from './optout.js';
