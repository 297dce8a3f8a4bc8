/**
 * Runs a SimulatedModem behind a real pseudo-terminal, so unmodified programs (our serial
 * transport, gammu, smstools3) open it like `/dev/ttyUSB0`. Unplug/replug closes and reopens
 * the bridge on the same link path, like a USB stick pulled and re-inserted.
 */
import { SimulatedModem, type SimulatedModemOptions } from './modem.js';
import { PtyBridge } from './pty.js';
import { startControlServer } from './control.js';

export interface SimulatorOnPtyOptions extends Omit<SimulatedModemOptions, 'profile'> {
  /** Symlink to create for the device (like `/dev/serial/by-id/…`); kept across replug. */
  link?: string;
  /** Modem profile name; default `generic`. */
  profile?: string;
  /** Unix socket path for the JSON-lines control interface (CONTROL.md). */
  control?: string;
  /** Emit the profile's boot URCs right after the device appears. Default true. */
  bootOnOpen?: boolean;
  /** Python interpreter for the PTY relay. */
  python?: string;
}

export interface RunningSimulator {
  /** Device path to open: the link when given, else the current `/dev/pts/N` (changes on replug). */
  readonly path: string;
  readonly modem: SimulatedModem;
  /** The control socket path, when one was asked for. */
  readonly control?: string;
  /** Pull the stick: the device disappears, hosts holding it see a hang-up. */
  unplug(): Promise<void>;
  /** Re-insert it: a fresh boot on the same link path. */
  replug(): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulatorOnPty(o: SimulatorOnPtyOptions = {}): Promise<RunningSimulator> {
  const { link, control, bootOnOpen = true, python, ...modemOpts } = o;
  const modem = new SimulatedModem(modemOpts);
  let bridge: PtyBridge | undefined;
  let lastPath = '';

  const plug = async (): Promise<void> => {
    const b = await PtyBridge.open({ ...(link ? { link } : {}), ...(python ? { python } : {}) });
    b.on('data', (d: Buffer) => modem.input(d));
    bridge = b;
    lastPath = b.path;
  };
  const onOutput = (d: Buffer) => bridge?.write(d);
  modem.on('output', onOutput);

  const unplug = async (): Promise<void> => {
    const b = bridge;
    bridge = undefined;
    await b?.close();
  };
  const replug = async (): Promise<void> => {
    if (bridge) await unplug();
    await plug();
    modem.powerCycle();
  };
  // Faults raised on the modem itself (modem.faults.unplug()) act on this bridge.
  modem.on('unplug', () => void unplug());
  modem.on('replug', () => void replug());

  await plug();
  if (bootOnOpen) modem.boot();

  const ctl = control
    ? await startControlServer(control, { modem, path: () => lastPath, unplug, replug })
    : undefined;

  return {
    get path() {
      return lastPath;
    },
    modem,
    ...(control ? { control } : {}),
    unplug,
    replug,
    close: async () => {
      await ctl?.close();
      modem.off('output', onOutput);
      modem.dispose();
      await unplug();
    },
  };
}
