/** `serve`: run the server on a modem, or on the built-in simulated modem with --simulate. */
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { startServer } from '../daemon/server.js';
import { createLogger } from '../util/log.js';
import { action, cliConfig, intOption, simulatorPaths } from './common.js';

interface ServeOpts {
  device?: string;
  baud?: number;
  profile?: string;
  data?: string;
  config?: string;
  pin?: string;
  simulate?: boolean;
  logLevel?: string;
  httpPort?: number;
  store?: string;
  webPort?: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the SMS server on a modem (or --simulate)')
    .option('--device <path>', 'serial device, ideally /dev/serial/by-id/… (a symlink is re-resolved on reconnect)')
    .option('--baud <n>', 'baud rate', intOption('--baud', 300, 4_000_000))
    .option('--profile <name>', 'modem profile: auto, generic, sim800, huawei, quectel, wavecom, zte')
    .option('--data <dir>', 'data folder (default ./data or SMS_SERVER_DATA)')
    .option('--config <file>', 'config file (default <data>/config.json when present)')
    .option('--pin <pin>', 'SIM PIN (prefer the config file: command lines are visible to other users)')
    .option('--simulate', 'start the built-in simulated modem on a pseudo-terminal and serve on it')
    .option('--log-level <level>', 'trace, debug (AT trace), info, warn, error')
    .option('--store <url>', 'share a PostgreSQL database with other hosts: postgres://user@host:port/db (default: files in the data folder)')
    .option('--http-port <n>', 'enable the HTTP API on this port (token from config or SMS_SERVER_HTTP_TOKEN)', intOption('--http-port', 0, 65535))
    .option('--web-port <n>', 'enable the public web listener (chat page at /chat) on this port', intOption('--web-port', 0, 65535))
    .action(
      action(async (o: ServeOpts) => {
        const overrides: Partial<Config> = {
          device: o.device,
          baudRate: o.baud,
          profile: o.profile,
          pin: o.pin,
          logLevel: o.logLevel,
          store: o.store === undefined ? undefined : o.store === 'lowdb' ? { kind: 'lowdb', url: undefined } : { kind: 'postgres', url: o.store },
        };
        let cfg = cliConfig(o, overrides);
        if (o.httpPort !== undefined) overrides.http = { ...cfg.http, enabled: true, port: o.httpPort };
        if (o.webPort !== undefined) overrides.web = { ...cfg.web, enabled: true, port: o.webPort };
        if (overrides.http || overrides.web) cfg = cliConfig(o, overrides);
        const logger = createLogger(cfg.logLevel);
        let sim: { close(): Promise<void> } | undefined;
        if (o.simulate) {
          if (o.device) throw new Error('--simulate and --device are exclusive: the simulator provides the device');
          mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
          // Imported lazily: production paths never load the simulator.
          const { startSimulatorOnPty } = await import('../sim/index.js');
          const paths = simulatorPaths(cfg.dataDir);
          const profile = cfg.profile === 'auto' ? 'generic' : cfg.profile;
          const running = await startSimulatorOnPty({ link: paths.link, control: paths.control, profile });
          sim = running;
          cfg.device = paths.link;
          logger.info(
            { device: paths.link, pty: running.path, control: paths.control },
            `simulated ${profile} modem on a pseudo-terminal; inject an SMS with: sms-server simulate sms --data ${cfg.dataDir} --from +79001234567 --text "CLIENT info"`,
          );
        }
        const server = await startServer(cfg, logger);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.stop();
        await sim?.close();
        logger.flush();
      }),
    );
}
