/**
 * An account with a dedicated number (`accounts add --number`) sends through the modem whose SIM
 * has that number (config `modems[].number`, or `modem.number` with one modem): its jobs are
 * pinned to that modem when queued, so a subscriber always sees the account's own number. An
 * account without one, or whose number no configured modem has, sends through any modem.
 */
import type { AccountStore } from '../store/types.js';

/** The modem an account's jobs are pinned to (undefined: any). */
export type PinForAccount = (account: string) => Promise<string | undefined>;

/** Builds the lookup from the configured modems' numbers (E.164 → modem id). */
export function accountPin(store: Pick<AccountStore, 'getAccount'>, modemForNumber: (number: string) => string | undefined): PinForAccount {
  return async (login) => {
    const number = (await store.getAccount(login))?.number;
    return number === undefined ? undefined : modemForNumber(number);
  };
}

/** The `modem` field of a job queued for `account`. */
export async function pinFields(account: string | undefined, pinFor: PinForAccount | undefined): Promise<{ modem?: string }> {
  const modem = account !== undefined && pinFor ? await pinFor(account) : undefined;
  return modem ? { modem } : {};
}
