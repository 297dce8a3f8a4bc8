/** A started SmppServer on a free loopback port with in-memory ports, and a promise-style `smpp` client. */
import smpp from 'smpp';
import { SmppServer, type SmppConfig, type SmppServerOptions } from '../../src/smpp/index.js';
import { DEFAULTS } from '../../src/config/config.js';
import type { LibPdu, LibSession } from '../../src/smpp/library.js';
import { MemoryAccounts, MemoryDeliverQueue, RecordingSubmitter } from './fakes.js';

export interface TestSmsc {
  server: SmppServer;
  port: number;
  submitter: RecordingSubmitter;
  queue: MemoryDeliverQueue;
  stop(): Promise<void>;
}

export async function startSmsc(o: { config?: Partial<SmppConfig>; tuning?: SmppServerOptions['tuning']; passwords?: Record<string, string> } = {}): Promise<TestSmsc> {
  const submitter = new RecordingSubmitter();
  const queue = new MemoryDeliverQueue();
  const server = new SmppServer({
    config: { ...DEFAULTS.smpp, enabled: true, port: 0, enquireLinkSeconds: 30, responseTimeoutSeconds: 2, ...o.config },
    accounts: new MemoryAccounts(o.passwords ?? { acme: 'secret1', beta: 'pw' }),
    submitter,
    deliverQueue: queue,
    tuning: { retryBaseMs: 200, ...o.tuning },
  });
  const { port } = await server.start();
  return { server, port, submitter, queue, stop: () => server.stop() };
}

/** The `smpp` package's client, with calls as promises. */
export class Client {
  readonly delivered: LibPdu[] = [];
  /** How to answer a deliver_sm: a command_status, or 'ignore' to send nothing. */
  answer: (p: LibPdu) => number | 'ignore' = () => 0;
  closed = false;

  private constructor(readonly session: LibSession) {
    session.on('deliver_sm', (p: LibPdu) => {
      this.delivered.push(p);
      const a = this.answer(p);
      if (a !== 'ignore') session.send(p.response(a ? { command_status: a } : {}));
    });
    session.on('enquire_link', (p: LibPdu) => session.send(p.response()));
    session.on('unbind', (p: LibPdu) => session.send(p.response()));
    session.on('close', () => (this.closed = true));
    session.on('error', () => undefined);
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = smpp.connect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  call(command: string, fields: Record<string, unknown> = {}): Promise<LibPdu> {
    return new Promise((resolve) => {
      const pdu = new smpp.PDU(command, fields);
      this.session.send(pdu, resolve);
    });
  }

  async bind(command: 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver', systemId: string, password: string): Promise<LibPdu> {
    return this.call(command, { system_id: systemId, password });
  }

  close(): void {
    this.session.destroy();
  }

  async waitClosed(ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('client connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export async function until<T>(f: () => T | Promise<T>, what: string, ms = 8000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** UTF-16BE octets, written independently of the code under test. */
export function utf16be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}
export function fromUtf16be(b: Buffer): string {
  return Buffer.from(b).swap16().toString('utf16le');
}
