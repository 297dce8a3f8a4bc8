/**
 * `sms-server simulate`: a simulated modem on a PTY plus its control socket, running until
 * SIGINT/SIGTERM. The lead wires this onto the CLI; it prints the paths a user needs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatorOnPty, type SimulatorOnPtyOptions } from './on-pty.js';

export interface SimulateCommandOptions extends SimulatorOnPtyOptions {
  /** Where to print the device and control paths; default stdout. */
  print?: (line: string) => void;
  /** Resolve instead of waiting for a signal (tests). */
  signal?: AbortSignal;
}

/** Start the simulator, print `device: …` / `control: …`, stay up until SIGTERM/SIGINT (or `signal`). */
export async function runSimulateCommand(opts: SimulateCommandOptions = {}): Promise<void> {
  const { print = (l: string) => process.stdout.write(l + '\n'), signal, ...rest } = opts;
  const control = rest.control ?? join(tmpdir(), `sms-sim-${process.pid}.sock`);
  const sim = await startSimulatorOnPty({ ...rest, control });
  print(`device: ${sim.path}`);
  print(`control: ${control}`);
  print(`profile: ${sim.modem.profile.name}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal) {
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    }
  });
  await sim.close();
}
