/**
 * Opt-outs. A client's opt-out is its `optIn` flag; a number that is not a client can still text
 * `CLIENT sms stop` — mass texts go to recipient files, not only to clients — and that request is
 * honoured too: such numbers are kept in a small list in the store's meta documents. Mass texts and
 * notifications ask `isOptedOut` before queueing.
 */
import type { Store } from './types.js';

/** Meta document holding E.164 numbers of non-clients that opted out, sorted. */
export const OPT_OUT_META_KEY = 'optOutNumbers';

/** True when `phone` (E.164) must not receive notifications or mass texts. */
export async function isOptedOut(store: Store, phone: string): Promise<boolean> {
  const client = await store.getClient(phone);
  if (client) return !client.optIn;
  const list = (await store.getMeta<string[]>(OPT_OUT_META_KEY)) ?? [];
  return list.includes(phone);
}

/** All opted-out numbers: clients with optIn false plus non-clients on the list. For bulk filtering. */
export async function optedOutNumbers(store: Store): Promise<Set<string>> {
  const set = new Set((await store.getMeta<string[]>(OPT_OUT_META_KEY)) ?? []);
  for (const c of await store.listClients()) {
    if (!c.optIn) set.add(c.phone);
    else set.delete(c.phone);
  }
  return set;
}

/**
 * Set a number's opt-in: the client's flag when it is a client, else the non-client list.
 * Returns whether anything changed. Callers serialise calls (read-modify-write of one document).
 */
export async function setOptIn(store: Store, phone: string, optIn: boolean, now: Date = new Date()): Promise<{ changed: boolean; client: boolean }> {
  const client = await store.getClient(phone);
  if (client) {
    if (client.optIn === optIn) return { changed: false, client: true };
    await store.upsertClient({ ...client, optIn, updatedAt: now.toISOString() });
    return { changed: true, client: true };
  }
  const list = (await store.getMeta<string[]>(OPT_OUT_META_KEY)) ?? [];
  const has = list.includes(phone);
  if (has === !optIn) return { changed: false, client: false };
  const next = optIn ? list.filter((p) => p !== phone) : [...list, phone].sort();
  await store.setMeta(OPT_OUT_META_KEY, next);
  return { changed: true, client: false };
}
