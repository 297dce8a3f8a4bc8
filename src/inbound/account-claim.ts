/**
 * The claim an account route makes: the entry belongs to `account`, and one forward per channel
 * the account has (webhook, e-mail) rides along, so the pipeline stores both in one write.
 */
import { planForwards, receivedEvent } from '../forward/events.js';
import type { Account } from '../store/account-types.js';
import type { InboxEntry } from '../store/types.js';
import type { RouteClaim } from './route.js';

/** The SIM number an entry arrived on, when the receive path recorded it. */
export function entryTo(entry: InboxEntry): string | undefined {
  const to = (entry as InboxEntry & { to?: string | null }).to;
  return typeof to === 'string' && to !== '' ? to : undefined;
}

export function accountClaim(
  entry: InboxEntry,
  account: Account,
  routedBy: string,
  nowIso: string,
  extra: Pick<RouteClaim, 'patch' | 'target'> = {},
): RouteClaim {
  const routed = { ...entry, ...extra.patch };
  const event = receivedEvent(
    { id: entry.id, from: routed.from, to: entryTo(entry) ?? null, text: routed.text, receivedAt: routed.receivedAt, parts: routed.parts, status: entry.status },
    account.login,
    routedBy,
  );
  return {
    routedBy,
    account: account.login,
    ...(extra.target ? { target: extra.target } : {}),
    ...(extra.patch ? { patch: extra.patch } : {}),
    forwards: planForwards(account, event, nowIso),
  };
}
