/**
 * The supervisor's recovery ladder on fake time: a simulated modem in-process (test/helpers/
 * sim-link.ts, real line framing, real AT engine and driver), the supervisor given a transport
 * factory, a device probe and the fake clock. The same ladder the fault suite drives over a PTY
 * in real seconds (test/faults/ladder.test.ts) runs here in well under a second of wall time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ModemSupervisor, type Fault } from '../../src/daemon/supervisor.js';
import { SimulatedModem } from '../../src/sim/index.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';
import { SimLink } from '../helpers/sim-link.js';

let sup: ModemSupervisor | undefined;
let clock: FakeClock;
afterEach(async () => {
  if (sup) {
    const stopped = sup.stop();
    // stop() waits for the loop, which may sleep on the fake clock.
    for (let i = 0; i < 200 && !(await Promise.race([stopped.then(() => true), settle().then(() => false)])); i++) await clock.advanceAsync(100);
    await stopped;
  }
  sup = undefined;
});

function setup() {
  clock = new FakeClock();
  const modem = new SimulatedModem({ clock, noise: 0, echo: false });
  const link = new SimLink(modem, clock);
  const commands: string[] = [];
  modem.on('command', (l: string) => commands.push(l));
  sup = new ModemSupervisor({
    device: '/dev/fake-modem',
    baudRate: 115200,
    profile: 'generic',
    idleProbeMs: 1000,
    backoffMinMs: 100,
    backoffMaxMs: 400,
    clock,
    openTransport: link.factory,
    deviceExists: link.exists,
  });
  const downs: Fault[] = [];
  sup.on('down', (f) => downs.push(f));
  /** Move fake time in small steps, letting I/O and promises run between, until `cond` holds. */
  const until = async (cond: () => boolean, what: string, maxFakeMs = 300_000) => {
    const start = clock.now();
    while (!cond()) {
      if (clock.now() - start > maxFakeMs) throw new Error(`not reached within ${maxFakeMs} ms of fake time: ${what}`);
      for (let i = 0; i < 4; i++) await settle();
      await clock.advanceAsync(50);
    }
  };
  return { modem, link, commands, downs, sup, until };
}

describe('ModemSupervisor recovery ladder on the fake clock', () => {
  it('watchdog → probe → reinit → reopen → reset rung → ready again, on fake time', async () => {
    const { modem, link, commands, downs, sup, until } = setup();
    // Lifted exactly when the ladder reaches its reset rung (third failure in a row): a modem that
    // no reopen cures but a reset does.
    sup.on('down', () => downs.length === 3 && modem.faults.clear());
    sup.start();
    await until(() => sup.state === 'ready', 'first ready');
    const opensBefore = commands.length;
    modem.faults.hang(); // silent from now on; only the idle watchdog can notice
    await until(() => downs.length >= 3 && sup.state === 'ready', 'recovered after the reset rung');

    const steps = sup.recentFaults.map((f) => f.step);
    const order = ['timeout', 'probe', 'reinit', 'reopen', 'init'].map((s) => steps.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(sup.recentFaults[steps.indexOf('timeout')]!.reason).toMatch(/idle watchdog probe failed|AT/);
    expect(downs.map((d) => d.step)).toEqual(['reopen', 'init', 'init']);
    expect(commands.slice(opensBefore)).toContain('AT+CFUN=1,1');
    expect(sup.lastFault?.step).toBe('init');
    // First session, two failed re-inits, the reset rung's own open, the session that recovers.
    expect(link.opens).toBe(5);
  });

  it('an unplugged device: waiting-for-device while the probe says it is gone, reopened once it returns', async () => {
    const { link, sup, until, downs } = setup();
    sup.start();
    await until(() => sup.state === 'ready', 'first ready');
    const opens = link.opens;
    const before = downs.length;
    link.unplug();
    await until(() => sup.state === 'waiting-for-device', 'waiting for the device');
    expect(downs[before]).toMatchObject({ step: 'port', reason: expect.stringMatching(/disconnected/) });
    await clockAdvance(10_000, until); // stays put while the device is missing
    expect(sup.state).toBe('waiting-for-device');
    expect(link.opens).toBe(opens);
    link.replug();
    await until(() => sup.state === 'ready', 'ready after replug');
    expect(link.opens).toBe(opens + 1);
  });

  it('a session opens the port through the factory exactly once', async () => {
    const { link, sup, until } = setup();
    sup.start();
    await until(() => sup.state === 'ready', 'ready');
    expect(link.opens).toBe(1);
  });
});

async function clockAdvance(ms: number, until: (c: () => boolean, w: string) => Promise<void>): Promise<void> {
  const end = clock.now() + ms;
  await until(() => clock.now() >= end, `${ms} ms passed`);
}
