/**
 * `serve`: run the server on a modem, or on the built-in simulated modem with --simulate.
 * Start-up order: the whole config is checked, then the data lock is taken (a second server on
 * the same folder stops here, before it touches the first one's simulator link or control socket),
 * then the simulator, then the server. Any failure undoes what was started and exits non-zero.
 */
import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { preflight } from '../daemon/preflight.js';
import { startServer } from '../daemon/server.js';
import { acquireDataLock, DataLockedError, readDataLock, type DataLock, type LockInfo } from '../store/index.js';
import { createLogger, defaultLogFormat, logDestination, type LogFormat } from '../util/log.js';
import { action, cliConfig, intOption, UsageError } from './common.js';
import { startSimulatedModems } from './simulated-modems.js';

interface ServeOpts {
  device?: string;
  baud?: number;
  profile?: string;
  data?: string;
  config?: string;
  pin?: string;
  simulate?: boolean;
  modems?: number;
  logLevel?: string;
  logFormat?: LogFormat;
  httpPort?: number;
  webPort?: number;
  selfService?: boolean;
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
    .option('--modems <n>', 'with --simulate: a pool of N simulated modems m1…mN, each with its own number', intOption('--modems', 1, 64))
    .option('--log-level <level>', 'trace, debug (AT trace), info, warn, error')
    .option('--log-format <format>', 'pretty (for a person; the default on a terminal) or json (the default otherwise: journald)', (v: string) => {
      if (v !== 'pretty' && v !== 'json') throw new UsageError(`--log-format must be pretty or json, got "${v}"`);
      return v as LogFormat;
    })
    .option('--http-port <n>', 'enable the HTTP API on this port (token from config or SMS_SERVER_HTTP_TOKEN)', intOption('--http-port', 0, 65535))
    .option('--web-port <n>', 'enable the public web listener (chat page at /chat) on this port', intOption('--web-port', 0, 65535))
    .option('--self-service', 'enable self-service access codes (SMS keywords, POST /self-service/verify, the /self-service page with --web-port)')
    .action(
      action(async (o: ServeOpts) => {
        const overrides: Partial<Config> = {
          device: o.device,
          baudRate: o.baud,
          profile: o.profile,
          pin: o.pin,
          logLevel: o.logLevel,
          // Merged over the file's "http" section (merge is per section).
          ...(o.httpPort !== undefined ? { http: { enabled: true, port: o.httpPort } as Config['http'] } : {}),
        };
        if (o.webPort !== undefined) overrides.web = { enabled: true, port: o.webPort } as Config['web'];
        if (o.selfService) overrides.selfService = { enabled: true } as Config['selfService'];
        const cfg = cliConfig(o, overrides, 'create');
        if (o.simulate && o.device) throw new UsageError('--simulate and --device are exclusive: the simulator provides the device');
        if (o.modems !== undefined && !o.simulate) throw new UsageError('--modems needs --simulate (real modems are listed under "modems" in the config)');
        preflight(cfg, { simulate: o.simulate });
        const logger = createLogger(cfg.logLevel, await logDestination(o.logFormat ?? defaultLogFormat()));
        const lock = await takeLock(cfg.dataDir);
        let sim: { close(): Promise<void> } | undefined;
        try {
          // Imported lazily there: production paths never load the simulator.
          if (o.simulate) sim = await startSimulatedModems(cfg, o.modems, logger);
          const server = await startServer(cfg, logger, { lock });
          await new Promise<void>((resolve) => {
            const stop = () => resolve();
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
          });
          // Last resort: every stop step is bounded, but systemd must never have to SIGKILL us.
          const watchdog = setTimeout(() => {
            logger.error({ afterMs: STOP_LIMIT_MS }, 'stopping took too long; exiting now');
            logger.flush();
            process.exit(1);
          }, STOP_LIMIT_MS);
          watchdog.unref();
          await server.stop();
        } finally {
          await sim?.close();
          await lock.release();
          logger.flush();
        }
      }),
    );
}

/** Well inside systemd's default TimeoutStopSec (90 s): the worker gives a PDU in flight 5 s. */
const STOP_LIMIT_MS = 20_000;

/** The data folder's single-writer lock, or a clear refusal naming the server that holds it. */
async function takeLock(dataDir: string): Promise<DataLock> {
  const refuse = (holder: LockInfo) =>
    new Error(
      `${holder.role === 'cli' ? 'a command-line operation' : 'another sms-server'} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}) is using the data folder ${dataDir}; stop it first — one server per data folder`,
    );
  const now = await readDataLock(dataDir);
  if (now.held && now.info && now.info.role !== 'cli') throw refuse(now.info);
  try {
    // A CLI doing one direct operation holds it for moments: wait a little for that, not for a server.
    return await acquireDataLock(dataDir, { waitMs: 3000 });
  } catch (e) {
    if (e instanceof DataLockedError) throw refuse(e.holder);
    throw e;
  }
}
