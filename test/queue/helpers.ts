/** Test doubles for the queue: a scripted SMS sender (the sender is not under test); the fake clock is test/helpers/fake-clock.ts. */
import type { SubmitPart } from '../../src/sms/index.js';
import type { SmsSender } from '../../src/queue/worker.js';
import type { Job, Store } from '../../src/store/types.js';

export { FakeClock } from '../helpers/fake-clock.js';

export interface SentRecord {
  part: SubmitPart;
  mr: number;
}

/**
 * Records parts in order and answers TP-MR 1, 2, 3…; `failNext(err)` makes the next call(s) reject,
 * `hangNext()` makes the next call never settle (a process killed mid-write).
 */
export class FakeSender implements SmsSender {
  sent: SentRecord[] = [];
  calls = 0;
  private mr = 0;
  private script: (Error | 'hang' | { gate: Promise<void> })[] = [];
  onSend?: (part: SubmitPart) => void | Promise<void>;

  failNext(...errs: Error[]): this {
    this.script.push(...errs);
    return this;
  }
  hangNext(): this {
    this.script.push('hang');
    return this;
  }
  /** The next call waits for `gate` before succeeding. */
  gateNext(gate: Promise<void>): this {
    this.script.push({ gate });
    return this;
  }

  private gate: { promise: Promise<void>; open: () => void } | undefined;

  /** The modem goes away: whenReady() and sendPart() wait (as the daemon's sender does) until up() or the abort. */
  down(): this {
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.gate ??= { promise, open };
    return this;
  }
  up(): void {
    this.gate?.open();
    this.gate = undefined;
  }
  isReady(): boolean {
    return this.gate === undefined;
  }
  whenReady(signal?: AbortSignal): Promise<void> {
    const gate = this.gate;
    if (!gate) return Promise.resolve();
    return new Promise((resolve, reject) => {
      void gate.promise.then(resolve);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  async sendPart(part: SubmitPart, opts: { signal?: AbortSignal } = {}): Promise<{ mr: number }> {
    await this.whenReady(opts.signal);
    this.calls++;
    const step = this.script.shift();
    if (step === 'hang') return new Promise(() => {});
    if (step instanceof Error) throw step;
    if (step) await step.gate;
    await this.onSend?.(part);
    const mr = ++this.mr % 256;
    this.sent.push({ part, mr });
    return { mr };
  }
}

export function queued(to: string, text: string, priority: Job['priority'], extra: Partial<Job> = {}) {
  return { to, text, priority, state: 'queued' as const, attempts: 0, nextAttemptAt: new Date(0).toISOString(), ...extra };
}

export async function addClient(store: Store, phone: string, optIn: boolean): Promise<void> {
  const now = new Date().toISOString();
  await store.upsertClient({ phone, code: 'C1', login: 'u', passwordEnc: 'v1:x', optIn, createdAt: now, updatedAt: now });
}

/** Resolves after pending microtasks and immediate callbacks have run. */
export const tick = () => new Promise<void>((r) => setImmediate(r));
