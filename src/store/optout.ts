/**
 * Opt-outs. A client's opt-out is its `optIn` flag; a number that is not a client can still text
 * `CLIENT sms stop` — mass texts go to recipient files, not only to clients — and that request is
 * honoured too: such numbers are kept in the store's opt-out list (`Store.setOptOut`). Mass texts
 * and notifications ask `isOptedOut` before queueing.
 */
import type { Store } from './types.js';

/** True when `phone` (E.164) must not receive notifications or mass texts. */
export async function isOptedOut(store: Store, phone: string): Promise<boolean> {
  const client = await store.getClient(phone);
  if (client) return !client.optIn;
  return store.hasOptOut(phone);
}

/** All opted-out numbers: clients with optIn false plus non-clients on the list. For bulk filtering. */
export async function optedOutNumbers(store: Store): Promise<Set<string>> {
  const set = new Set(await store.listOptOuts());
  for (const c of await store.listClients()) {
    if (!c.optIn) set.add(c.phone);
    else set.delete(c.phone);
  }
  return set;
}

/**
 * Set a number's opt-in: the client's flag when it is a client, else the non-client list.
 * Returns whether anything changed.
 */
export async function setOptIn(store: Store, phone: string, optIn: boolean, now: Date = new Date()): Promise<{ changed: boolean; client: boolean }> {
  const client = await store.getClient(phone);
  if (client) {
    if (client.optIn === optIn) return { changed: false, client: true };
    await store.upsertClient({ ...client, optIn, updatedAt: now.toISOString() });
    return { changed: true, client: true };
  }
  return { changed: await store.setOptOut(phone, !optIn), client: false };
}
