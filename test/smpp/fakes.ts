/**
 * In-memory implementations of the SMPP ports for tests of the SMPP layer alone. They keep the
 * ports' contracts (the queue's lease and ack semantics) so the layer is tested against them.
 */
import type { AuthResult, DeliverItem, DeliverMessage, DeliverQueue, SmppAccount, SmppAccounts, SmppSubmission, SmppSubmitter } from '../../src/smpp/index.js';

export class MemoryAccounts implements SmppAccounts {
  constructor(private readonly passwords: Record<string, string>) {}
  async authenticate(systemId: string, password: string): Promise<AuthResult> {
    const p = this.passwords[systemId];
    if (p === undefined) return 'unknown';
    return p === password ? { login: systemId } : 'bad-password';
  }
}

export class RecordingSubmitter implements SmppSubmitter {
  readonly submitted: { account: string; message: SmppSubmission; id: string }[] = [];
  private n = 0;
  /** Replace to throw or delay. */
  before: (m: SmppSubmission) => Promise<void> = async () => undefined;
  active = 0;
  maxActive = 0;
  async submit(account: SmppAccount, message: SmppSubmission): Promise<string> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await this.before(message);
      const id = `job-${++this.n}`;
      this.submitted.push({ account: account.login, message, id });
      return id;
    } finally {
      this.active--;
    }
  }
}

interface Row extends DeliverItem {
  dueAt: number;
  done: boolean;
}

export class MemoryDeliverQueue implements DeliverQueue {
  readonly rows: Row[] = [];
  private n = 0;
  now: () => number = () => Date.now();

  async enqueue(account: string, message: DeliverMessage): Promise<DeliverItem> {
    const row: Row = { id: `dl-${++this.n}`, account, message, createdAt: new Date(this.now()).toISOString(), attempts: 0, dueAt: 0, done: false };
    this.rows.push(row);
    return strip(row);
  }
  async claim(account: string, o: { now: number; limit: number; leaseMs: number }): Promise<DeliverItem[]> {
    const out: DeliverItem[] = [];
    for (const r of this.rows) {
      if (out.length >= o.limit) break;
      if (r.account !== account || r.done || r.dueAt > o.now) continue;
      const item = strip(r);
      r.attempts++;
      r.dueAt = o.now + o.leaseMs;
      out.push(item);
    }
    return out;
  }
  async ack(id: string): Promise<void> {
    const r = this.rows.find((x) => x.id === id);
    if (r) r.done = true;
  }
  async release(id: string, o: { retryAt: number; error?: string }): Promise<void> {
    const r = this.rows.find((x) => x.id === id);
    if (r && !r.done) {
      r.dueAt = o.retryAt;
      if (o.error) r.lastError = o.error;
    }
  }
  async nextDueAt(account: string): Promise<number | undefined> {
    const due = this.rows.filter((r) => r.account === account && !r.done).map((r) => r.dueAt);
    return due.length ? Math.min(...due) : undefined;
  }
  pending(account?: string): Row[] {
    return this.rows.filter((r) => !r.done && (!account || r.account === account));
  }
}

function strip(r: Row): DeliverItem {
  return { id: r.id, account: r.account, message: r.message, createdAt: r.createdAt, attempts: r.attempts, ...(r.lastError ? { lastError: r.lastError } : {}) };
}
