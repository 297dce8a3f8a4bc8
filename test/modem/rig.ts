/** The driver on the real serial path: SerialTransport on the PTY of a simulated modem, the AT engine, a ModemDriver. */
import { AtEngine, engineOptionsFromProfile } from '../../src/at/index.js';
import { ModemDriver } from '../../src/modem/driver.js';
import { loadProfile } from '../../src/modem/profile.js';
import { startSimulatorOnPty, type RunningSimulator, type SimulatedModemOptions } from '../../src/sim/index.js';
import { SerialTransport } from '../../src/transport/index.js';

export interface Rig {
  sim: RunningSimulator;
  transport: SerialTransport;
  driver: ModemDriver;
  /** Every command line the simulated modem parsed, in order. */
  commands: string[];
}

export interface RigOptions {
  autoDetect?: boolean;
  pin?: string;
  /** Modem id given to the driver. */
  id?: string;
  sim?: Omit<SimulatedModemOptions, 'profile'>;
}

export async function openRig(simProfile: string, driverProfile: string, o: RigOptions = {}): Promise<Rig> {
  const sim = await startSimulatorOnPty({ profile: simProfile, ...o.sim, bootDelayMs: 0 });
  const commands: string[] = [];
  sim.modem.on('command', (l: string) => commands.push(l));
  const transport = new SerialTransport({ path: sim.path });
  await transport.open();
  const profile = loadProfile(driverProfile);
  const engine = new AtEngine(transport, engineOptionsFromProfile(profile));
  const driver = new ModemDriver(engine, profile, { autoDetect: o.autoDetect, pin: o.pin, ...(o.id ? { id: o.id } : {}) });
  return { sim, transport, driver, commands };
}

export async function closeRig(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  rig.driver.dispose();
  await rig.transport.close().catch(() => undefined);
  await rig.sim.close();
}
