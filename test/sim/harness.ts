/** Test harness: a SimulatedModem on a manual clock with its output captured as text. */
import { FakeClock } from '../helpers/fake-clock.js';
import { SimulatedModem, type SimulatedModemOptions } from '../../src/sim/modem.js';

export interface Harness {
  modem: SimulatedModem;
  clock: FakeClock;
  /** Write host bytes (`\r` is not added). */
  send(data: string | Buffer): void;
  /** Write `line\r`, advance the clock by `ms`, and return the output since the last take. */
  at(line: string, ms?: number): string;
  /** Output since the last take (latin1, so junk bytes survive one-to-one). */
  take(): string;
}

export function harness(o: SimulatedModemOptions = {}): Harness {
  const clock = new FakeClock(0);
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
