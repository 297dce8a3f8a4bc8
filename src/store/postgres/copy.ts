/**
 * `store migrate`: copies a store (a lowdb data folder) into PostgreSQL and verifies the counts.
 * Everything the Store contract can list is copied; self-service records cannot be listed through
 * the contract and are not copied yet (the count report says so).
 */
import { StoreError } from '../errors.js';
import type { Store } from '../types.js';
import type { ImportRecords, PostgresStore } from './postgres-store.js';

export type CopyCounts = Record<Exclude<keyof ImportRecords, 'seenParts'>, number>;

export async function readAllRecords(from: Store): Promise<ImportRecords> {
  return {
    // Oldest first: ids and sequences are kept, the order is only for readable inserts.
    inbox: (await from.listInbound()).reverse(),
    jobs: (await from.listJobs()).reverse(),
    forwards: (await from.listForwards()).reverse(),
    clients: await from.listClients(),
    campaigns: await from.listCampaigns(),
    optOuts: await from.listOptOuts(),
    partials: await from.listPartials(),
    accounts: await from.listAccounts(),
    seenParts: await from.getSeenParts(),
  };
}

export async function countRecords(s: Store): Promise<CopyCounts> {
  const r = await readAllRecords(s);
  return {
    inbox: r.inbox.length,
    jobs: r.jobs.length,
    forwards: r.forwards.length,
    clients: r.clients.length,
    campaigns: r.campaigns.length,
    optOuts: r.optOuts.length,
    partials: r.partials.length,
    accounts: r.accounts.length,
  };
}

/** Copies `from` into the (empty) `to` in one transaction; throws STORE_MIGRATE_MISMATCH when the counts differ after. */
export async function copyToPostgres(from: Store, to: PostgresStore): Promise<CopyCounts> {
  const records = await readAllRecords(from);
  await to.importRecords(records);
  const want = await countRecords(from);
  const got = await countRecords(to);
  const bad = (Object.keys(want) as (keyof CopyCounts)[]).filter((k) => want[k] !== got[k]);
  if (bad.length) {
    throw new StoreError('STORE_MIGRATE_MISMATCH', `counts differ after the copy: ${bad.map((k) => `${k} ${want[k]} → ${got[k]}`).join(', ')}`);
  }
  return got;
}
