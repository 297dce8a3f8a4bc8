/**
 * An account with a dedicated number (`accounts add --number`) sends through the modem whose SIM
 * has that number (config `modems[].number`, or `modem.number` with one modem): its jobs are
 * pinned to that modem when queued, so a subscriber always sees the account's own number. An
 * account without one answers a subscriber who texted it through the modem that received that
 * SMS (reply affinity, reply-affinity.ts); anything else goes through any modem.
 */
import type { AccountStore } from '../store/types.js';

/** The modem an account's job to `to` is pinned to (undefined: any). `to` omitted: the dedicated number only (campaigns). */
export type PinForAccount = (account: string, to?: string) => Promise<string | undefined>;

/** Which modem `to` last texted `account` through, if that still counts (ReplyAffinity.modemFor). */
export type ReplyModem = (account: string, to: string) => string | undefined;

/** Builds the lookup from the configured modems' numbers (E.164 → modem id) and, in a pool, the reply affinity. */
export function accountPin(store: Pick<AccountStore, 'getAccount'>, modemForNumber: (number: string) => string | undefined, replyModem?: ReplyModem): PinForAccount {
  return async (login, to) => {
    const number = (await store.getAccount(login))?.number;
    const dedicated = number === undefined ? undefined : modemForNumber(number);
    return dedicated ?? (to !== undefined && replyModem ? replyModem(login, to) : undefined);
  };
}

/** The `modem` field of a job queued for `account` (to `to`, when it may be a reply). */
export async function pinFields(account: string | undefined, pinFor: PinForAccount | undefined, to?: string): Promise<{ modem?: string }> {
  const modem = account !== undefined && pinFor ? await pinFor(account, to) : undefined;
  return modem ? { modem } : {};
}
