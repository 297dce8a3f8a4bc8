/** src/transport: bytes ↔ framed lines/prompts over a serial port or an in-process Duplex. */
export * from './types.js';
export * from './line-framer.js';
export * from './framed-transport.js';
export * from './serial-transport.js';
export * from './duplex-transport.js';
export * from './errors.js';
