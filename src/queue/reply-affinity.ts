/**
 * Reply affinity of a pool: an account's text to a subscriber who texted that account goes out
 * through the modem that received the subscriber's SMS, so the answer comes from the number they
 * texted (a reply from another SIM discloses another number and breaks the thread on the phone —
 * RapidPro keeps a per-contact channel affinity for the same reason). Fed with every routed inbox
 * entry, seeded at start from the inbox of the last `routing.lastSenderDays`; kept in memory: one
 * small record per subscriber who texted an account in that window.
 */
import type { InboxEntry, Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { normalizeSender, type PhoneOptions, type PhoneRule } from '../util/phone.js';

interface LastInbound {
  account: string;
  modem: string;
  atMs: number;
}

export interface ReplyAffinityOptions {
  /** How long after the subscriber's SMS an account's text still counts as a reply. */
  windowMs: number;
  /** True for a modem of the running pool (an entry from a modem since removed pins nothing). */
  isModem: (id: string) => boolean;
  phoneRule?: PhoneOptions | PhoneRule;
  clock?: Clock;
}

export class ReplyAffinity {
  private readonly last = new Map<string, LastInbound>();
  private readonly clock: Clock;
  /** Notes since the last sweep of records older than the window (a long uptime must not keep them all). */
  private notes = 0;

  constructor(private readonly o: ReplyAffinityOptions) {
    this.clock = o.clock ?? realClock;
  }

  /** Records a routed entry: the latest SMS of a subscriber claimed by an account wins. */
  note(e: Pick<InboxEntry, 'from' | 'account' | 'modem' | 'receivedAt'>): void {
    if (typeof e.account !== 'string' || e.modem === undefined) return;
    const atMs = Date.parse(e.receivedAt);
    const phone = normalizeSender(e.from, this.o.phoneRule ?? {});
    const had = this.last.get(phone);
    if (!had || had.atMs <= atMs) this.last.set(phone, { account: e.account, modem: e.modem, atMs });
    if (++this.notes >= 1000) this.forgetOld();
  }

  private forgetOld(): void {
    this.notes = 0;
    const oldest = this.clock.now() - this.o.windowMs;
    for (const [phone, hit] of this.last) if (hit.atMs < oldest) this.last.delete(phone);
  }

  /** Subscribers remembered (tests, diagnostics). */
  get size(): number {
    return this.last.size;
  }

  /** One pass over the inbox of the window (newest first), before the first entry is routed. */
  async seed(store: Pick<Store, 'listInbound'>): Promise<void> {
    const since = new Date(this.clock.now() - this.o.windowMs).toISOString();
    for (const e of await store.listInbound({ since })) this.note(e);
  }

  /** The modem `account`'s text to `to` (E.164) goes through: the one `to` last texted this account on. */
  modemFor(account: string, to: string): string | undefined {
    const hit = this.last.get(to);
    if (!hit || hit.account !== account || this.clock.now() - hit.atMs > this.o.windowMs) return undefined;
    return this.o.isModem(hit.modem) ? hit.modem : undefined;
  }
}
