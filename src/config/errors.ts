/** A bad configuration key or value: the process stops with exit code 2 (see cli/common.ts). */
export class ConfigError extends Error {
  readonly code = 'CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
