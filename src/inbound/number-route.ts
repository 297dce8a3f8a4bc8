/**
 * Route `number`: an SMS or call that arrived on a SIM dedicated to an account (`accounts add
 * --number`) belongs to it. The SIM's number is the one the receive path recorded on the entry
 * (`to`), else what the modem layer knows (config `modem.number`, else `AT+CNUM`).
 */
import { accountForNumber } from '../accounts/service.js';
import type { AccountStore } from '../store/account-types.js';
import type { InboxEntry } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { normalizeSender, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import { accountClaim, entryTo } from './account-claim.js';
import type { InboundRoute, RouteClaim } from './route.js';

export interface NumberRouteOptions {
  accounts: AccountStore;
  /** The SIM's own number when the entry does not carry it (undefined: unknown). */
  simNumber?: () => string | undefined;
  phoneRule?: PhoneOptions | PhoneRule;
  clock?: Clock;
}

export class NumberRoute implements InboundRoute {
  readonly name = 'number';
  private readonly clock: Clock;

  constructor(private readonly o: NumberRouteOptions) {
    this.clock = o.clock ?? realClock;
  }

  async route(entry: InboxEntry): Promise<RouteClaim | undefined> {
    if (entry.status === 'error') return undefined;
    const own = entryTo(entry) ?? this.o.simNumber?.();
    if (!own) return undefined;
    const number = normalizeSender(own, this.o.phoneRule ?? {});
    const account = await accountForNumber(this.o.accounts, number);
    if (!account) return undefined;
    return accountClaim(entry, account, this.name, new Date(this.clock.now()).toISOString(), { target: { number } });
  }
}
