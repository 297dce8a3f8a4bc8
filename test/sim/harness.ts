/** Test harness: a SimulatedModem on a manual clock with its output captured as text. */
import type { Clock, Timer } from '../../src/util/clock.js';
import { SimulatedModem, type SimulatedModemOptions } from '../../src/sim/modem.js';

/** A clock whose time moves only when the test says so. */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id as unknown as Timer;
  }

  clearTimeout(t: Timer): void {
    this.pending.delete(t as unknown as number);
  }

  /** Advance time, firing due timers in order (timers they set are honoured too). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

export interface Harness {
  modem: SimulatedModem;
  clock: ManualClock;
  /** Write host bytes (`\r` is not added). */
  send(data: string | Buffer): void;
  /** Write `line\r`, advance the clock by `ms`, and return the output since the last take. */
  at(line: string, ms?: number): string;
  /** Output since the last take (latin1, so junk bytes survive one-to-one). */
  take(): string;
}

export function harness(o: SimulatedModemOptions = {}): Harness {
  const clock = new ManualClock();
  const modem = new SimulatedModem({ noise: 0, echo: false, ...o, clock });
  let out = '';
  modem.on('output', (b: Buffer) => (out += b.toString('latin1')));
  const take = () => {
    const r = out;
    out = '';
    return r;
  };
  return {
    modem,
    clock,
    send: (d) => modem.input(d),
    at: (line, ms = 0) => {
      modem.input(line + '\r');
      clock.advance(ms);
      return take();
    },
    take,
  };
}
