/**
 * Keeps one modem connection alive: connect → initialise → run → recover, forever, until stop().
 * The recovery ladder (each step logged with its reason, the last fault kept for `status`):
 *   command timeout → `AT` probe → re-initialise → close and reopen the port (waiting with
 *   back-off for the device path to return: USB re-enumeration, /dev/serial/by-id links) →
 *   the profile's reset command → back off and repeat.
 * The server never exits on a modem fault.
 *
 * The port is made by an injected transport factory and the device is looked for with an injected
 * probe, on the injected clock: a unit test drives the whole ladder on fake time with an in-process
 * simulated modem (test/daemon/supervisor-ladder.test.ts).
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { AtEngine, engineOptionsFromProfile } from '../at/index.js';
import { AtTimeoutError } from '../at/errors.js';
import { ModemDriver, type ModemInfo } from '../modem/driver.js';
import { loadProfile, type ModemProfile } from '../modem/profile.js';
import { DEFAULT_MODEM_ID } from '../store/types.js';
import { PortOpenError, SerialTransport, type Transport } from '../transport/index.js';
import { every, type Clock, realClock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';

export type ModemState = 'connecting' | 'initialising' | 'ready' | 'recovering' | 'waiting-for-device' | 'stopped';

export interface Fault {
  at: string;
  step: string;
  reason: string;
}

/** Makes the (closed) transport for one session or one reset. */
export type TransportFactory = (device: string, baudRate: number) => Transport;

export interface SupervisorOptions {
  /** Modem id (`default` with one modem): names this modem in logs, jobs and inbox entries. */
  id?: string;
  device: string;
  baudRate: number;
  /** Profile name or 'auto'. */
  profile: string;
  pin?: string;
  /** Probe with `AT` after this much silence from the modem. */
  idleProbeMs: number;
  /** Overrides the profile's send timeout (config `modem.sendTimeoutSeconds`). */
  sendTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Back-off bounds between reconnect attempts. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** While the device path is missing, look for it this often (default 250 ms): a replug is noticed at once. */
  devicePollMs?: number;
  /** Default: a SerialTransport on the path. */
  openTransport?: TransportFactory;
  /** Whether the device is present (default: the path exists; polled: udev gives no event we can wait on here). */
  deviceExists?: (device: string) => boolean;
}

export interface SupervisorEvents {
  ready: [ModemDriver];
  down: [Fault];
  state: [ModemState];
  /** Every fault as it is recorded (each ladder step), so `status` can be refreshed at once. */
  fault: [Fault];
}

export class ModemSupervisor extends EventEmitter<SupervisorEvents> {
  readonly id: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly openTransport: TransportFactory;
  private readonly deviceExists: (device: string) => boolean;
  state: ModemState = 'connecting';
  lastFault: Fault | undefined;
  /** The most recent faults, oldest first (at most 20): the ladder's steps as they happened. */
  readonly recentFaults: Fault[] = [];
  info: ModemInfo | undefined;
  driver: ModemDriver | undefined;
  private stopped = false;
  private transport: Transport | undefined;
  private resetTransport: Transport | undefined;
  private failuresInARow = 0;
  private wake: (() => void) | undefined;
  private readyWaiters: ((d: ModemDriver) => void)[] = [];
  private faultSignal: ((f: { step: string; reason: string }) => void) | undefined;
  private lastRx = 0;
  private stopWatchdogTimer: (() => void) | undefined;
  private laddering = false;
  /**
   * The SIM refused the configured PIN: it is never sent again by this process. Each reconnect
   * would otherwise spend one of the SIM's three tries and lock it with the PUK.
   */
  private pinRefused = false;
  private loopDone: Promise<void> | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.id = opts.id ?? DEFAULT_MODEM_ID;
    this.log = moduleLogger(opts.logger, 'supervisor').child({ modem: this.id });
    this.clock = opts.clock ?? realClock;
    this.openTransport = opts.openTransport ?? ((path, baudRate) => new SerialTransport({ path, baudRate, logger: opts.logger }));
    this.deviceExists = opts.deviceExists ?? existsSync;
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
    this.recentFaults.push(f);
    if (this.recentFaults.length > 20) this.recentFaults.shift();
    this.log.warn(f, 'modem fault');
    this.emit('fault', f);
    return f;
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Whether a driver can take a command now (state 'ready'). */
  get isReady(): boolean {
    return this.state === 'ready' && this.driver !== undefined;
  }

  /**
   * Resolves with the driver once the modem is initialised (immediately when it is). Rejects with
   * `signal.reason` when `signal` aborts first: a stopping queue must not wait for a modem that
   * may never come back (a missing device would hold SIGTERM forever).
   */
  whenReady(signal?: AbortSignal): Promise<ModemDriver> {
    if (this.isReady) return Promise.resolve(this.driver!);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = (d: ModemDriver) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(d);
      };
      const onAbort = () => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.readyWaiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setState('stopped');
    this.faultSignal?.({ step: 'stop', reason: 'shutting down' });
    this.wake?.();
    // A reset in progress waits up to 15 s for its answer: closing its port ends it now.
    await this.resetTransport?.close().catch(() => undefined);
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
      try {
        await this.iteration();
      } catch (e) {
        // A bug in a rung must not end the supervision (an unhandled rejection would exit the server).
        this.log.error({ err: e }, 'supervisor loop error');
        this.fault('supervisor', `unexpected error: ${(e as Error).message ?? String(e)}`);
        await this.sleep(this.backoff());
      }
    }
  }

  /** One session and what follows its end: back-off, waiting for the device, the reset rung. */
  private async iteration(): Promise<void> {
    const f = await this.session();
    if (this.stopped) return;
    this.emit('down', f);
    this.failuresInARow++;
    const wait = this.backoff();
    if (!this.deviceExists(this.opts.device)) {
      // Unplugged or re-enumerating: nothing to reset; reopen as soon as the path is back.
      await this.waitForDevice(wait);
      return;
    }
    // Rung: the profile's reset, once a reopen alone has failed twice in a row. Not for a SIM
    // that wants a PIN: that is configuration, and resets would only churn the modem.
    if (this.failuresInARow >= 3 && this.failuresInARow % 3 === 0 && f.step !== 'pin') await this.tryReset();
    if (this.stopped) return;
    this.log.info({ waitMs: wait, failuresInARow: this.failuresInARow }, 'reconnecting after back-off');
    await this.sleep(wait);
  }

  /**
   * Waits until the device path exists again (polled: udev gives no event we can wait on here), at
   * most `maxMs`, plus a short settle: the /dev/serial/by-id link appears before the tty answers.
   */
  private async waitForDevice(maxMs: number): Promise<void> {
    const every = this.opts.devicePollMs ?? 250;
    const until = this.clock.now() + maxMs;
    this.log.info({ device: this.opts.device, maxWaitMs: maxMs }, 'waiting for the device to come back');
    while (!this.stopped && this.clock.now() < until) {
      if (this.deviceExists(this.opts.device)) {
        this.log.info({ device: this.opts.device }, 'device is back');
        await this.sleep(Math.min(every * 2, 500));
        return;
      }
      await this.sleep(every);
    }
  }

  /** One connection's life; resolves with the fault that ended it. */
  private async session(): Promise<Fault> {
    const { device } = this.opts;
    if (!this.deviceExists(device)) {
      this.setState('waiting-for-device');
      return this.fault('open', `device ${device} does not exist (unplugged, or re-enumerated under another name)`);
    }
    this.setState('connecting');
    let port: { transport: Transport; engine: AtEngine; profile: ModemProfile };
    try {
      port = await this.connect();
    } catch (e) {
      return this.fault('open', (e as Error).message);
    }
    const { transport, engine, profile } = port;
    this.transport = transport;
    const driver = new ModemDriver(engine, profile, {
      id: this.id,
      pin: this.pinRefused ? undefined : this.opts.pin,
      autoDetect: this.opts.profile === 'auto',
      sendTimeoutMs: this.opts.sendTimeoutMs,
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
      // A locked SIM is a configuration fault: named as such, so the ladder does not reset for it.
      if ((e as { code?: string }).code !== 'PIN_REQUIRED') return this.fault('init', (e as Error).message);
      if (this.opts.pin && /refused/.test((e as Error).message)) this.pinRefused = true;
      const why = this.pinRefused
        ? `the SIM refused the configured PIN, which is not sent again until the server restarts (a third wrong PIN locks the SIM with its PUK); fix "pin" in the config. ${(e as Error).message}`
        : (e as Error).message;
      return this.fault('pin', why);
    }
    this.failuresInARow = 0;
    this.markReady(driver);
    this.emit('ready', driver);
    this.startWatchdog(driver);
    const end = await ended;
    this.stopWatchdog();
    if (this.stopped) {
      // A clean stop is not a fault: keep lastFault for what really went wrong.
      await this.teardown(driver, transport);
      return { at: new Date(this.clock.now()).toISOString(), ...end };
    }
    // Not 'ready' from here on: status must not show a dead port as ready while we reconnect.
    if (!this.stopped) this.setState('recovering');
    await this.teardown(driver, transport);
    return this.fault(end.step, end.reason);
  }

  /**
   * Open the port and put an AT engine on it: the one place a session and the reset rung get
   * their port from. Throws PortOpenError (naming the device) when it cannot be opened.
   */
  private async connect(): Promise<{ transport: Transport; engine: AtEngine; profile: ModemProfile }> {
    const { device, baudRate } = this.opts;
    const transport = this.openTransport(device, baudRate);
    try {
      await transport.open();
    } catch (e) {
      throw e instanceof PortOpenError ? e : new PortOpenError(device, e as Error);
    }
    const profile = loadProfile(this.opts.profile === 'auto' ? 'generic' : this.opts.profile);
    const engine = new AtEngine(transport, { ...engineOptionsFromProfile(profile), logger: this.opts.logger, clock: this.clock });
    return { transport, engine, profile };
  }

  /** State 'ready' and wake everyone waiting for a driver (the queue worker's sends). */
  private markReady(driver: ModemDriver): void {
    this.setState('ready');
    for (const w of this.readyWaiters.splice(0)) w(driver);
  }

  private async teardown(driver: ModemDriver, transport: Transport): Promise<void> {
    this.driver = undefined;
    driver.dispose();
    await transport.close().catch(() => undefined);
    this.transport = undefined;
  }

  private startWatchdog(driver: ModemDriver): void {
    const every_ = Math.max(1000, Math.floor(this.opts.idleProbeMs / 2));
    let probing = false;
    this.stopWatchdogTimer = every(this.clock, every_, () => {
      // One probe at a time, and none while the ladder runs: on a wedged modem each probe waits out
      // its timeout, and probes queued every tick would pile up in front of the ladder's commands.
      if (probing || this.laddering || this.state !== 'ready') return;
      if (this.clock.now() - this.lastRx >= this.opts.idleProbeMs) {
        this.lastRx = this.clock.now();
        probing = true;
        void driver
          .probe()
          .catch((e) => void this.climbLadder(driver, `idle watchdog probe failed: ${(e as Error).message}`))
          .finally(() => (probing = false));
      }
    });
  }

  private stopWatchdog(): void {
    this.stopWatchdogTimer?.();
    this.stopWatchdogTimer = undefined;
  }

  /**
   * A command timed out: probe; if the modem is silent, re-initialise; if that fails too, end the
   * session so the loop reopens the port.
   */
  private async climbLadder(driver: ModemDriver, reason: string): Promise<void> {
    // Timeouts during init() are init's own failure (the session ends); only a ready modem climbs.
    if (this.laddering || this.driver !== driver || this.stopped || this.state !== 'ready') return;
    this.laddering = true;
    try {
      this.fault('timeout', reason);
      this.setState('recovering');
      try {
        await driver.probe();
        this.log.info('probe answered; modem alive');
        this.markReady(driver);
        return;
      } catch (e) {
        this.fault('probe', `AT probe failed: ${(e as Error).message}`);
      }
      try {
        this.info = await driver.init();
        this.log.info('re-initialised');
        this.markReady(driver);
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
    if (!this.deviceExists(this.opts.device)) return;
    let port: { transport: Transport; engine: AtEngine; profile: ModemProfile } | undefined;
    try {
      port = await this.connect();
      this.resetTransport = port.transport;
      if (this.stopped) return;
      const { engine, profile } = port;
      this.log.warn({ cmd: profile.reset }, 'resetting the modem');
      await engine.escape();
      await engine.run({ text: profile.reset, timeoutMs: 15_000 });
      this.log.warn({ cmd: profile.reset }, 'modem accepted the reset; reconnecting after it reboots');
    } catch (e) {
      this.fault('reset', `${port?.profile.reset ?? 'reset'} failed: ${(e as Error).message}`);
    } finally {
      this.resetTransport = undefined;
      port?.engine.dispose();
      await port?.transport.close().catch(() => undefined);
    }
  }
}
