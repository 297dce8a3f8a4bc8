/**
 * The whole recovery ladder on one wedged modem, driven through the real ModemSupervisor over a
 * real pseudo-terminal: idle watchdog → AT probe → re-initialise → close and reopen → the
 * profile's reset (AT+CFUN=1,1) → back to ready. Short back-offs keep it under half a minute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemSupervisor, type Fault } from '../../src/daemon/supervisor.js';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { waitFor } from '../helpers/harness.js';
import { createLogger } from '../../src/util/log.js';

let sim: RunningSimulator | undefined;
let sup: ModemSupervisor | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sup?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  sup = sim = dir = undefined;
});

describe('recovery ladder on a modem that wedges and stays wedged', () => {
  it('watchdog → probe → reinit → reopen → reset; recovers once the reset is answered; never gives up', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sms-ladder-'));
    const link = join(dir, 'modem');
    sim = await startSimulatorOnPty({ link });
    const commands: string[] = [];
    sim.modem.on('command', (l: string) => commands.push(l));
    sup = new ModemSupervisor({ device: link, baudRate: 115200, profile: 'generic', idleProbeMs: 1000, backoffMinMs: 100, backoffMaxMs: 400, logger: createLogger(process.env.E2E_LOG_LEVEL ?? 'silent') });
    const downs: Fault[] = [];
    // The hang is lifted exactly when the ladder reaches its reset rung (third failure in a row):
    // a modem that no reopen cures but a reset does.
    sup.on('down', (f) => {
      downs.push(f);
      if (downs.length === 3) sim!.modem.faults.clear();
    });
    sup.start();
    await waitFor(() => sup!.state === 'ready', 'ready', 10_000);

    // Silent from now on; nothing is asked of the modem: only the idle watchdog can notice.
    sim.modem.faults.hang();
    await waitFor(() => downs.length >= 3 && sup!.state === 'ready', 'recovered after the reset rung', 60_000);

    const steps = sup.recentFaults.map((f) => f.step);
    const order = ['timeout', 'probe', 'reinit', 'reopen', 'init'].map((s) => steps.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(sup.recentFaults[steps.indexOf('timeout')]!.reason).toMatch(/"AT"|AT timed out|AT/);
    expect(downs.map((d) => d.step)).toEqual(['reopen', 'init', 'init']);
    // The reset rung really ran: the modem received the profile's reset command.
    expect(commands).toContain('AT+CFUN=1,1');
    expect(sup.lastFault?.step).toBe('init');
  });
});
