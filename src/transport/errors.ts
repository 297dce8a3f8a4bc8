/** Errors of the transport: opening a port, writing to a closed one. */

/**
 * A write to a port that is not open (closed, or the device went away). The AT engine turns it
 * into its own PortClosedError (src/at/errors.ts) naming the command and the send stage; the
 * transport stays below the AT layer and imports nothing from it.
 */
export class PortClosedError extends Error {
  readonly code = 'PORT_CLOSED';
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'PortClosedError';
  }
}

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
