/**
 * Keeps one modem connection alive: connect → initialise → run → recover, forever, until stop().
 * The recovery ladder (each step logged with its reason, the last fault kept for `status`):
 *   command timeout → `AT` probe → re-initialise → close and reopen the port (waiting with
 *   back-off for the device path to return: USB re-enumeration, /dev/serial/by-id links) →
 *   the profile's reset command → back off and repeat.
 * The server never exits on a modem fault.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { AtEngine } from '../at/index.js';
import { AtTimeoutError } from '../at/errors.js';
import { ModemDriver, type ModemInfo } from '../modem/driver.js';
import { loadProfile, type ModemProfile } from '../modem/profile.js';
import { SerialTransport, type Transport } from '../transport/index.js';
import { type Clock, realClock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';

export type ModemState = 'connecting' | 'initialising' | 'ready' | 'recovering' | 'waiting-for-device' | 'stopped';

export interface Fault {
  at: string;
  step: string;
  reason: string;
}

export interface SupervisorOptions {
  device: string;
  baudRate: number;
  /** Profile name or 'auto'. */
  profile: string;
  pin?: string;
  /** Probe with `AT` after this much silence from the modem. */
  idleProbeMs: number;
  logger?: Logger;
  clock?: Clock;
  /** Back-off bounds between reconnect attempts. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export interface SupervisorEvents {
  ready: [ModemDriver];
  down: [Fault];
  state: [ModemState];
}

export class ModemSupervisor extends EventEmitter<SupervisorEvents> {
  private readonly log: Logger;
  private readonly clock: Clock;
  state: ModemState = 'connecting';
  lastFault: Fault | undefined;
  info: ModemInfo | undefined;
  driver: ModemDriver | undefined;
  private stopped = false;
  private transport: Transport | undefined;
  private failuresInARow = 0;
  private wake: (() => void) | undefined;
  private readyWaiters: ((d: ModemDriver) => void)[] = [];
  private faultSignal: ((f: { step: string; reason: string }) => void) | undefined;
  private lastRx = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private laddering = false;
  private loopDone: Promise<void> | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.log = moduleLogger(opts.logger, 'supervisor');
    this.clock = opts.clock ?? realClock;
  }

  private setState(s: ModemState): void {
    if (this.state === s) return;
    this.state = s;
    this.log.info({ state: s }, 'modem state');
    this.emit('state', s);
  }

  private fault(step: string, reason: string): Fault {
    const f = { at: new Date(this.clock.now()).toISOString(), step, reason };
    this.lastFault = f;
    this.log.warn(f, 'modem fault');
    return f;
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Resolves with the driver once the modem is initialised (immediately when it is). */
  whenReady(): Promise<ModemDriver> {
    if (this.state === 'ready' && this.driver) return Promise.resolve(this.driver);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setState('stopped');
    this.faultSignal?.({ step: 'stop', reason: 'shutting down' });
    this.wake?.();
    await this.loopDone;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(() => resolve(), ms);
      this.wake = () => {
        this.clock.clearTimeout(t);
        resolve();
      };
    });
  }

  private backoff(): number {
    const min = this.opts.backoffMinMs ?? 1000;
    const max = this.opts.backoffMaxMs ?? 60_000;
    return Math.min(max, min * 2 ** Math.min(this.failuresInARow, 10));
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const f = await this.session();
      if (this.stopped) break;
      this.emit('down', f);
      this.failuresInARow++;
      // Rung: the profile's reset, once a reopen alone has failed twice in a row.
      if (this.failuresInARow >= 3 && this.failuresInARow % 3 === 0) await this.tryReset();
      const wait = this.backoff();
      this.log.info({ waitMs: wait, failuresInARow: this.failuresInARow }, 'reconnecting after back-off');
      await this.sleep(wait);
    }
  }

  /** One connection's life; resolves with the fault that ended it. */
  private async session(): Promise<Fault> {
    const { device } = this.opts;
    if (!existsSync(device)) {
      this.setState('waiting-for-device');
      return this.fault('open', `device ${device} does not exist (unplugged, or re-enumerated under another name)`);
    }
    this.setState('connecting');
    const transport = new SerialTransport({ path: device, baudRate: this.opts.baudRate, logger: this.opts.logger });
    this.transport = transport;
    try {
      await transport.open();
    } catch (e) {
      return this.fault('open', `cannot open ${device}: ${(e as Error).message}`);
    }
    const profile: ModemProfile = loadProfile(this.opts.profile === 'auto' ? 'generic' : this.opts.profile);
    const engine = new AtEngine(transport, {
      finals: profile.finals,
      urcPrefixes: profile.urc.prefixes.concat(profile.urc.ready),
      noisePrefixes: profile.urc.noise,
      defaultTimeoutMs: profile.timeouts.default,
      logger: this.opts.logger,
      clock: this.clock,
    });
    const driver = new ModemDriver(engine, profile, {
      pin: this.opts.pin,
      autoDetect: this.opts.profile === 'auto',
      logger: this.opts.logger,
      clock: this.clock,
    });
    this.driver = driver;
    this.lastRx = this.clock.now();
    const ended = new Promise<{ step: string; reason: string }>((resolve) => (this.faultSignal = resolve));
    transport.on('line', () => (this.lastRx = this.clock.now()));
    transport.on('close', (c) => this.faultSignal?.({ step: 'port', reason: c.disconnected ? 'device disconnected (unplugged or USB reset)' : `port closed${c.error ? `: ${c.error.message}` : ''}` }));
    engine.on('timeout', (e: AtTimeoutError) => void this.climbLadder(driver, `${e.message}`));
    try {
      this.setState('initialising');
      this.info = await Promise.race([driver.init(), ended.then((f) => Promise.reject(new Error(f.reason)))]);
    } catch (e) {
      await this.teardown(driver, transport);
      return this.fault('init', (e as Error).message);
    }
    this.failuresInARow = 0;
    this.setState('ready');
    this.emit('ready', driver);
    for (const w of this.readyWaiters.splice(0)) w(driver);
    this.startWatchdog(driver);
    const end = await ended;
    this.stopWatchdog();
    await this.teardown(driver, transport);
    return this.fault(end.step, end.reason);
  }

  private async teardown(driver: ModemDriver, transport: Transport): Promise<void> {
    this.driver = undefined;
    driver.dispose();
    await transport.close().catch(() => undefined);
    this.transport = undefined;
  }

  private startWatchdog(driver: ModemDriver): void {
    const every = Math.max(1000, Math.floor(this.opts.idleProbeMs / 2));
    this.watchdog = setInterval(() => {
      if (this.clock.now() - this.lastRx >= this.opts.idleProbeMs) {
        this.lastRx = this.clock.now();
        void driver.probe().catch((e) => void this.climbLadder(driver, `idle watchdog probe failed: ${(e as Error).message}`));
      }
    }, every);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /**
   * A command timed out: probe; if the modem is silent, re-initialise; if that fails too, end the
   * session so the loop reopens the port.
   */
  private async climbLadder(driver: ModemDriver, reason: string): Promise<void> {
    if (this.laddering || this.driver !== driver || this.stopped) return;
    this.laddering = true;
    try {
      this.fault('timeout', reason);
      this.setState('recovering');
      try {
        await driver.probe();
        this.log.info('probe answered; modem alive');
        this.setState('ready');
        return;
      } catch (e) {
        this.fault('probe', `AT probe failed: ${(e as Error).message}`);
      }
      try {
        this.info = await driver.init();
        this.log.info('re-initialised');
        this.setState('ready');
        for (const w of this.readyWaiters.splice(0)) w(driver);
        return;
      } catch (e) {
        this.fault('reinit', `re-initialisation failed: ${(e as Error).message}`);
      }
      this.faultSignal?.({ step: 'reopen', reason: 'modem silent after probe and re-init; reopening the port' });
    } finally {
      this.laddering = false;
    }
  }

  /** Open the port just long enough to send the profile's reset command. */
  private async tryReset(): Promise<void> {
    const { device } = this.opts;
    if (!existsSync(device)) return;
    const profile = loadProfile(this.opts.profile === 'auto' ? 'generic' : this.opts.profile);
    const transport = new SerialTransport({ path: device, baudRate: this.opts.baudRate, logger: this.opts.logger });
    try {
      await transport.open();
      const engine = new AtEngine(transport, { finals: profile.finals, logger: this.opts.logger });
      this.log.warn({ cmd: profile.reset }, 'resetting the modem');
      await engine.escape();
      await engine.run({ text: profile.reset, timeoutMs: 15_000 });
    } catch (e) {
      this.fault('reset', `${profile.reset} failed: ${(e as Error).message}`);
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
}
