/**
 * SmppAccounts over stored accounts: system_id is the login, the password is checked against the
 * account's scrypt hash. An unknown login costs the same hash as a known one, so bind timing does
 * not tell which logins exist.
 */
import { hashPassword, verifyPassword } from '../../util/password-hash.js';
import type { AuthResult, SmppAccounts } from '../ports.js';

export interface AccountWithSmppPassword {
  login: string;
  /** `hashPassword()` of the SMPP password; unset: SMPP is off for this account. */
  smppPasswordHash?: string;
}

export class StoredSmppAccounts implements SmppAccounts {
  private dummy: Promise<string> | undefined;

  constructor(private readonly lookup: (login: string) => Promise<AccountWithSmppPassword | undefined>) {}

  async authenticate(systemId: string, password: string): Promise<AuthResult> {
    const account = await this.lookup(systemId);
    if (!account?.smppPasswordHash) {
      await verifyPassword(password, await (this.dummy ??= hashPassword('not-a-password')));
      return 'unknown';
    }
    return (await verifyPassword(password, account.smppPasswordHash)) ? { login: account.login } : 'bad-password';
  }
}
