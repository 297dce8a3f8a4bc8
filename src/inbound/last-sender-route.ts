/**
 * Route `last-sender`: an SMS or call from a number belongs to the account that last sent an SMS
 * to that number through this server, within `routing.lastSenderDays` (default 14, seed 002:
 * "only within two weeks after the last SMS sent to this subscriber"). A number the account no
 * longer exists for, or a last send older than the window, is not a claim.
 */
import type { AccountStore } from '../store/account-types.js';
import type { InboxEntry } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { isValidPhone, normalizeSender, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { accountClaim } from './account-claim.js';
import type { InboundRoute, RouteClaim } from './route.js';

export const DEFAULT_LAST_SENDER_DAYS = 14;

/** Who last sent to a number: the store's "last job sent to N by an account since T" query. */
export interface LastSenderLookup {
  lastSender(phone: string, since: Date): Promise<{ account: string; jobId: string; sentAt: string } | undefined>;
}

export interface LastSenderRouteOptions {
  accounts: AccountStore;
  lookup: LastSenderLookup;
  days?: number;
  phoneRule?: PhoneOptions | PhoneRule;
  clock?: Clock;
}

export class LastSenderRoute implements InboundRoute {
  readonly name = 'last-sender';
  private readonly clock: Clock;
  private readonly windowMs: number;

  constructor(private readonly o: LastSenderRouteOptions) {
    this.clock = o.clock ?? realClock;
    this.windowMs = (o.days ?? DEFAULT_LAST_SENDER_DAYS) * 86_400_000;
  }

  async route(entry: InboxEntry): Promise<RouteClaim | undefined> {
    if (entry.status === 'error') return undefined;
    const rule = this.o.phoneRule ?? {};
    const from = normalizeSender(entry.from, rule);
    if (!isValidPhone(from, rule)) return undefined; // names and short codes were never sent to
    const now = this.clock.now();
    const hit = await this.o.lookup.lastSender(from, new Date(now - this.windowMs));
    if (!hit) return undefined;
    const account = await this.o.accounts.getAccount(hit.account);
    if (!account) return undefined;
    return accountClaim(entry, account, this.name, new Date(now).toISOString(), { target: { job: hit.jobId, sentAt: hit.sentAt } });
  }
}
