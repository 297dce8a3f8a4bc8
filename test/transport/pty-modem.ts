/**
 * Test helper: play the modem on the master side of a real PTY. Reads what the program under
 * test wrote (`waitFor`) and answers with exact byte sequences, optionally split across reads.
 */
import { PtyBridge, type PtyBridgeOptions } from '../../src/sim/pty.js';

export class PtyModem {
  /** Everything the host wrote, as latin1. */
  rx = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly bridge: PtyBridge) {
    bridge.on('data', (d: Buffer) => {
      this.rx += d.toString('latin1');
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(o: PtyBridgeOptions = {}): Promise<PtyModem> {
    return new PtyModem(await PtyBridge.open(o));
  }

  get path(): string {
    return this.bridge.path;
  }

  /** Resolve once the host has written `text` after the previous match; returns what came before it. */
  waitFor(text: string, timeoutMs = 3000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.rx.indexOf(text, this.cursor);
        if (i < 0) return false;
        const before = this.rx.slice(this.cursor, i);
        this.cursor = i + text.length;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        resolve(before);
        return true;
      };
      const waiter = () => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`host never wrote ${JSON.stringify(text)}; got ${JSON.stringify(this.rx.slice(this.cursor))}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(waiter);
    });
  }

  /** Bytes the host wrote since the last waitFor match. */
  unread(): string {
    return this.rx.slice(this.cursor);
  }

  /** Send chunks to the host, pausing between them so each lands in a separate read. */
  async send(chunks: string | string[], gapMs = 40): Promise<void> {
    const list = typeof chunks === 'string' ? [chunks] : chunks;
    for (let i = 0; i < list.length; i++) {
      if (i > 0) await sleep(gapMs);
      this.bridge.write(Buffer.from(list[i]!, 'latin1'));
    }
  }

  close(): Promise<void> {
    return this.bridge.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
