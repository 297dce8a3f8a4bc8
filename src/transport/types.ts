/**
 * The transport contract: bytes in and out of a modem, framed into lines and `> ` prompts.
 * Knows nothing of AT semantics (architecture: src/transport).
 */
import type { EventEmitter } from 'node:events';

/** What a transport emits. `close` fires once per open; `disconnected` is true when the device went away. */
export type TransportEvents = {
  line: [string];
  prompt: [];
  close: [{ disconnected: boolean; error?: Error }];
  error: [Error];
};

/** Alias kept for the name used in docs/design.md. */
export type TransportEvent = TransportEvents;

/** A serial-like byte channel to a modem that reports framed lines and prompts. */
export interface Transport extends EventEmitter<TransportEvents> {
  open(): Promise<void>;
  /** Resolves when the bytes are handed to the OS; rejects with PortClosedError when not open (never queues). */
  write(data: string | Buffer): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

/** One framed unit from the modem: a text line (terminators stripped) or the `> ` SMS-entry prompt. */
export type FramedItem = { kind: 'line'; text: string } | { kind: 'prompt' };
