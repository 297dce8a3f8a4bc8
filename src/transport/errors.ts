/** Errors raised while opening a port. (Writing to a closed port raises PortClosedError from ../at/errors.js.) */

/** The device could not be opened: missing (`ENOENT` after an unplug), locked by another process, no permission. */
export class PortOpenError extends Error {
  readonly code = 'PORT_OPEN';
  /** Worth retrying later: the device may come back (USB re-enumeration) or the lock may be released. */
  readonly retryable = true;
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(`cannot open ${path}: ${cause.message}`, { cause });
    this.name = 'PortOpenError';
  }
}
