/**
 * The one fake clock for tests: time moves only when the test says so; due timers fire in time
 * order, each with `now()` set to its own due time, and timers they set are honoured within the
 * same advance. Implements the whole Clock (timeouts and intervals).
 */
import type { Clock, IntervalTimer, Timer } from '../../src/util/clock.js';

interface Pending {
  at: number;
  fn: () => void;
  /** Repeat period for intervals. */
  every?: number;
}

export class FakeClock implements Required<Clock> {
  private readonly timers = new Map<number, Pending>();
  private seq = 0;

  /** Default start: a fixed, realistic instant (2026-11-21T10:00:00Z), so ISO dates in assertions are stable. */
  constructor(public t = Date.parse('2026-11-21T10:00:00Z')) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id as unknown as Timer;
  }

  clearTimeout(t: Timer): void {
    this.timers.delete(t as unknown as number);
  }

  setInterval(fn: () => void, ms: number): IntervalTimer {
    const id = ++this.seq;
    const every = Math.max(1, ms);
    this.timers.set(id, { at: this.t + every, fn, every });
    return id as unknown as IntervalTimer;
  }

  clearInterval(t: IntervalTimer): void {
    this.timers.delete(t as unknown as number);
  }

  /** Timers not yet fired (intervals count once). */
  get pending(): number {
    return this.timers.size;
  }

  /** Advance by `ms`, firing every timer due on the way in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.fire(next);
    }
    this.t = end;
  }

  /**
   * Like advance(), but lets promises and I/O callbacks run after every timer (a setImmediate
   * turn), so async code that a timer wakes can set its next timer before time moves on.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.nextDue(end);
      if (!next) break;
      this.fire(next);
    }
    this.t = end;
    await settle();
  }

  private nextDue(end: number): [number, Pending] | undefined {
    let next: [number, Pending] | undefined;
    for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
    return next;
  }

  private fire([id, p]: [number, Pending]): void {
    this.t = Math.max(this.t, p.at);
    if (p.every) p.at += p.every;
    else this.timers.delete(id);
    p.fn();
  }
}

/** One macrotask turn: pending promise chains and already-queued I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
