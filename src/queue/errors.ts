/** Typed errors of the queue services. Each carries a stable `code`. */
import type { CsvLineError } from '../util/csv.js';

/** A send request that cannot be queued as a whole (no text, no recipients, too long…). */
export class InvalidRequestError extends Error {
  readonly code = 'INVALID_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** The worker was stopped while its send waited for the modem: nothing was written to it. */
export class SendAbortedError extends Error {
  readonly code = 'SEND_ABORTED';
  constructor() {
    super('stopped while waiting for the modem; nothing was written');
    this.name = 'SendAbortedError';
  }
}

/** A recipients file rejected as a whole: strict mode with bad lines, or nobody left to send to. */
export class CampaignFileError extends Error {
  readonly code = 'CAMPAIGN_FILE';
  constructor(
    message: string,
    /** Bad lines, with their 1-based line numbers. */
    readonly invalid: CsvLineError[],
  ) {
    super(message);
    this.name = 'CampaignFileError';
  }
}

/**
 * The worker's modem is not ready (down, recovering, unplugged): raised by a pool's sender instead
 * of waiting, so the job goes back to the queue (category `link`: nothing was written).
 */
export class ModemUnavailableError extends Error {
  readonly code = 'MODEM_UNAVAILABLE';
  readonly stage = 'prompt';
  constructor(
    readonly modem: string,
    state: string,
  ) {
    super(`modem ${modem} is not ready (${state})`);
    this.name = 'ModemUnavailableError';
  }
}

/** No campaign with this id (`mass cancel`, the console). */
export class CampaignNotFoundError extends Error {
  readonly code = 'CAMPAIGN_NOT_FOUND';
  constructor(id: string) {
    super(`no campaign "${id}" (see \`sms-server mass status\`)`);
    this.name = 'CampaignNotFoundError';
  }
}
