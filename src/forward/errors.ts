/** Typed errors of the forward layer. */
export type ForwardErrorCode = 'FORWARD_SECRET' | 'FORWARD_NOT_FOUND' | 'FORWARD_STATE' | 'FORWARD_SMTP_CONFIG';

export class ForwardError extends Error {
  constructor(
    readonly code: ForwardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ForwardError';
  }
}
