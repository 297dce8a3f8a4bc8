/**
 * A clock that runs with real time and can also jump ahead: `advance(ms)` moves now() forward and
 * fires every timer that falls due. For days-long schedules (webhook retries, "last sender within
 * 14 days") in tests that otherwise run on the real serial path and real sockets.
 */
import type { Clock, Timer } from '../../src/util/clock.js';

interface Pending {
  due: number;
  fn: () => void;
}

export class OffsetClock implements Clock {
  private offset = 0;
  private readonly timers = new Map<Timer, Pending>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const p: Pending = { due: this.now() + ms, fn };
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.set(t, p);
    return t;
  }

  clearTimeout(t: Timer): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Jump ahead; timers now due fire at once (in due order). */
  advance(ms: number): void {
    this.offset += ms;
    const now = this.now();
    const due = [...this.timers.entries()].filter(([, p]) => p.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [t, p] of due) {
      clearTimeout(t);
      this.timers.delete(t);
      p.fn();
    }
  }

  /** Runs `fn` with Date.now() reading this clock (a receiver whose clock agrees with the server's). */
  withDateNow<T>(fn: () => T): T {
    const real = Date.now;
    Date.now = () => real() + this.offset;
    try {
      return fn();
    } finally {
      Date.now = real;
    }
  }
}
