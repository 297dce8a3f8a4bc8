/** src/at: the AT command executor, line classification and typed errors. */
export * from './command.js';
export * from './classify.js';
export * from './engine.js';
export * from './errors.js';
export * from './error-codes.js';
export * from './profile-options.js';
