/** Test doubles for the queue: a fake clock and a scripted SMS sender (the sender is not under test). */
import type { SubmitPart } from '../../src/sms/index.js';
import type { SmsSender } from '../../src/queue/worker.js';
import type { Clock, Timer } from '../../src/util/clock.js';
import type { Job, Store } from '../../src/store/types.js';

/** A manual clock: time moves only with advance(); due timers fire in order. */
export class FakeClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  constructor(public t = Date.parse('2026-11-21T10:00:00Z')) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id as unknown as Timer;
  }
  clearTimeout(t: Timer): void {
    this.timers.delete(t as unknown as number);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at <= this.t) {
        this.timers.delete(id);
        timer.fn();
      }
    }
  }
}

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
