import { AtError } from '../at/errors.js';

/** The SIM wants a PIN and none is configured (or the configured one was refused). */
export class PinRequiredError extends AtError {
  constructor(readonly state: string, detail = '') {
    super(
      `SIM reports "${state}"${detail ? `: ${detail}` : ''}. Set "pin" in the config file (or --pin) to the SIM's PIN` +
        (state.includes('PUK') ? '; a PUK-locked SIM must be unlocked in a phone first' : ''),
      { code: 'PIN_REQUIRED', command: 'AT+CPIN?' },
    );
    this.name = 'PinRequiredError';
  }
}

/** The modem answered something we cannot use where an answer was required. */
export class ModemProtocolError extends AtError {
  constructor(message: string, command?: string) {
    super(message, { code: 'MODEM_PROTOCOL', command });
    this.name = 'ModemProtocolError';
  }
}
