/** Typed errors of account management; each names the bad input. */
export type AccountErrorCode =
  | 'ACCOUNT_LOGIN'
  | 'ACCOUNT_EXISTS'
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_WEBHOOK'
  | 'ACCOUNT_EMAIL'
  | 'ACCOUNT_NUMBER'
  | 'ACCOUNT_NUMBER_TAKEN'
  | 'ACCOUNT_NAME'
  | 'ACCOUNT_SECRET'
  | 'ACCOUNT_SMPP_PASSWORD';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}
