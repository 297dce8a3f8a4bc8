/** Errors of the port itself: it cannot be opened, or it is closed (or went away) under a write or a command. */

/** The device could not be opened: missing (`ENOENT` after an unplug), locked by another process, no permission. */
export class PortOpenError extends Error {
  readonly code = 'PORT_OPEN';
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(`cannot open ${path}: ${cause.message}`, { cause });
    this.name = 'PortOpenError';
  }
}

/**
 * The port is closed or went away (unplugged) while a write, or a command (the AT engine raises it
 * with the command's name), was queued or running.
 */
export class PortClosedError extends Error {
  readonly code = 'PORT_CLOSED';
  readonly command?: string;
  /**
   * For prompt commands (AT+CMGS): 'prompt' = closed before the PDU was written (safe to retry),
   * 'final' = after (the network may have the message). Undefined for other commands.
   */
  readonly stage?: 'prompt' | 'final';
  constructor(detail: string, command?: string, stage?: 'prompt' | 'final') {
    super(command ? `${command} aborted: ${detail}` : detail);
    this.name = 'PortClosedError';
    this.command = command;
    if (stage) this.stage = stage;
  }
}
