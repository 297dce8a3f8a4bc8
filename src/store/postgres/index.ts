export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { migrate, loadMigrations, type Migration } from './migrate.js';
