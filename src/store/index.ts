/**
 * Public API of the store module: the contract types, the lowdb backend with its data lock and CLI
 * spool (`lowdb/`), and opt-out helpers. MemoryStore (unit tests) is not part of it: tests import
 * `src/store/memory.js` by path.
 */
export * from './types.js';
export * from './errors.js';
export { LowdbStore, cleanTempFiles, type LowdbStoreOptions } from './lowdb/lowdb-store.js';
export { DurableJsonFile, writeFileDurable, readJsonFile, FILE_MODE, DIR_MODE } from './lowdb/durable-json-file.js';
export { acquireDataLock, readDataLock, isHolderAlive, LOCK_FILE, type DataLock, type LockInfo, type LockRole, type LockStatus } from './lowdb/lock.js';
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
} from './lowdb/spool.js';
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
} from './lowdb/cli-access.js';
export * from './optout.js';
