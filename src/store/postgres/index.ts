export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { migrate, loadMigrations, type Migration } from './migrate.js';
export { copyToPostgres, countRecords, type CopyCounts } from './copy.js';
export type { ImportRecords } from './postgres-store.js';
