/**
 * Route `prefix`: an SMS that starts with an account's login and a colon (`acme: hello`) belongs
 * to that account (seed 002). Any case; the space after the colon may be missing, a no-break space
 * or several blanks — phones and people type all of these. The account gets the text without the
 * prefix; the entry keeps the original in `originalText`. An unknown login is not a claim: the
 * message falls through to the next route (it may well be "Re: …" or "10:30 works").
 */
import type { AccountStore } from '../store/account-types.js';
import type { InboxEntry } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { accountClaim } from './account-claim.js';
import type { InboundRoute, RouteClaim } from './route.js';

// \s covers the no-break space (U+00A0) and the other Unicode blanks.
const PREFIX = /^\s*([A-Za-z0-9._-]{2,32}):\s*/;

/** The login (lower-case) and the text after the prefix, when the text starts with one. */
export function parsePrefix(text: string): { login: string; prefix: string; rest: string } | undefined {
  const m = PREFIX.exec(text);
  if (!m) return undefined;
  return { login: m[1]!.toLowerCase(), prefix: m[0], rest: text.slice(m[0].length) };
}

export class PrefixRoute implements InboundRoute {
  readonly name = 'prefix';
  private readonly clock: Clock;

  constructor(private readonly o: { accounts: AccountStore; clock?: Clock }) {
    this.clock = o.clock ?? realClock;
  }

  async route(entry: InboxEntry): Promise<RouteClaim | undefined> {
    if (entry.status === 'call' || entry.status === 'error') return undefined; // calls have no text to carry a prefix
    const p = parsePrefix(entry.text);
    if (!p) return undefined;
    const account = await this.o.accounts.getAccount(p.login);
    if (!account) return undefined;
    return accountClaim(entry, account, this.name, new Date(this.clock.now()).toISOString(), {
      patch: { text: p.rest, originalText: entry.text } as Partial<InboxEntry>,
      target: { prefix: p.prefix.trim() },
    });
  }
}
