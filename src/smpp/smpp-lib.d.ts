/**
 * Type declarations for the parts of the `smpp` npm package (0.5.1, no types of its own) that
 * `src/smpp/library.ts` uses. Only what we rely on is declared; `test/smpp/library.contract.test.ts`
 * pins each of these behaviours so an upgrade that changes one fails there first.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** A decoded PDU: header fields, then the command's parameters and TLVs as properties. */
    interface PDU {
      command: string;
      command_id: number;
      command_length: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      /** The matching response (generic_nack with ESME_RINVCMDID for an unknown command). */
      response(options?: Record<string, unknown>): PDU;
      toBuffer(): Buffer;
      [param: string]: unknown;
    }

    interface PDUConstructor {
      new (command: string, options?: Record<string, unknown>): PDU;
      new (buffer: Buffer): PDU;
      prototype: PDU;
      /** Largest command_length accepted (16384); larger throws when framed. */
      maxLength: number;
      /** Reads the 4-octet command_length from a paused-mode stream; false when fewer are buffered. */
      commandLength(stream: NodeJS.ReadableStream): number | false;
      /** Reads the rest of one PDU from the stream and decodes it; false when not all buffered yet. */
      fromStream(stream: NodeJS.ReadableStream, commandLength: number): PDU | false;
    }

    interface Session extends EventEmitter {
      socket: Socket;
      paused: boolean;
      /** Writes a PDU; for a request, assigns the next sequence_number and remembers the callback. */
      send(pdu: PDU, responseCallback?: (resp: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
      pause(): void;
      resume(): void;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      on(event: 'pdu', listener: (pdu: PDU) => void): this;
      on(event: 'close', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'connect', listener: () => void): this;
      on(event: string, listener: (pdu: PDU) => void): this;
      [command: string]: unknown;
    }

    interface Server extends NetServer {
      sessions: Session[];
      on(event: 'session', listener: (session: Session) => void): this;
      on(event: string, listener: (...args: any[]) => void): this;
    }

    interface ParamDef {
      type: unknown;
      filter?: { encode(this: PDU, value: unknown): unknown; decode(this: PDU, value: unknown, skipUdh?: boolean): unknown };
      default?: unknown;
    }
    interface CommandDef {
      id: number;
      params?: Record<string, ParamDef>;
    }
  }

  const smpp: {
    PDU: smpp.PDUConstructor;
    Session: new (options: { socket?: Socket; host?: string; port?: number }) => smpp.Session;
    createServer(options: Record<string, unknown>, listener?: (session: smpp.Session) => void): smpp.Server;
    connect(options: { host: string; port: number }, listener?: () => void): smpp.Session;
    commands: Record<string, smpp.CommandDef>;
    tlvs: Record<string, smpp.ParamDef & { id: number }>;
    errors: Record<string, number>;
  };
  export = smpp;
}
