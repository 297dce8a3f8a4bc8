/** Public API of accounts: validation, credentials, management and the public view. */
export * from './errors.js';
export * from './validate.js';
export * from './credentials.js';
export * from './service.js';
