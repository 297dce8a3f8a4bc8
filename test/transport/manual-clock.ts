/** Test helper: a Clock whose timers fire only when the test advances time. */
import type { Clock, Timer } from '../../src/util/clock.js';

export class ManualClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id as unknown as Timer;
  }
  clearTimeout(t: Timer): void {
    this.timers = this.timers.filter((x) => x.id !== (t as unknown as number));
  }
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}

