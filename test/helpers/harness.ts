/**
 * End-to-end harness: the simulated modem on a real pseudo-terminal and the real server
 * (startServer: serialport → transport → AT engine → driver → store → queue) in this process,
 * on a fresh data folder. Nothing under test is mocked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { PoolMember } from '../../src/daemon/modem-pool.js';
import { startServer, type RunningServer } from '../../src/daemon/server.js';
import { startSimulatorOnPty, type RunningSimulator, type SimulatorOnPtyOptions } from '../../src/sim/index.js';
import { LowdbStore } from '../../src/store/index.js';
import { createLogger } from '../../src/util/log.js';
import type { Logger } from '../../src/util/log.js';
import type { Clock } from '../../src/util/clock.js';

type Nested = 'http' | 'queue' | 'inbound' | 'modem' | 'selfService' | 'routing' | 'forward' | 'web' | 'chat' | 'pool' | 'store';
/** Config overrides: top-level keys, and any subset of the keys of each nested section. */
export type HarnessConfig = Partial<Omit<Config, Nested>> & { [K in Nested]?: Partial<Config[K]> };

export interface HarnessOptions {
  profile?: string;
  sim?: Omit<SimulatorOnPtyOptions, 'link' | 'profile'>;
  /** Config on top of the defaults (deep keys merged one level). */
  config?: HarnessConfig;
  dataDir?: string;
  /** Start the server at once (default true). */
  startServer?: boolean;
  /** The server's logger (default: createLogger(E2E_LOG_LEVEL ?? 'silent')); e.g. to capture output. */
  logger?: Logger;
  /** The server's clock for routing and forwarding (e.g. an OffsetClock to jump days ahead). */
  clock?: Clock;
}

export interface Harness {
  dataDir: string;
  device: string;
  sim: RunningSimulator;
  server: RunningServer | undefined;
  cfg: Config;
  startServer(): Promise<RunningServer>;
  stopServer(): Promise<void>;
  /** Stop and start the server again on the same data folder (a clean restart). */
  restartServer(): Promise<RunningServer>;
  /** A read-only view of the data folder (what the CLI sees). */
  readStore(): Promise<LowdbStore>;
  close(): Promise<void>;
}

/** A read-only view of a data folder (what the CLI sees). */
async function openReadOnly(dataDir: string): Promise<LowdbStore> {
  const s = new LowdbStore(dataDir, { readOnly: true });
  await s.open();
  return s;
}

/** Poll `fn` until it returns a truthy value (or throw after `timeoutMs`, naming `what`). */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Defaults ← the test's overrides (nested sections merged one level); mass texts unthrottled unless said. */
function harnessConfig(dataDir: string, c: HarnessConfig, fixed: Partial<Config>): Config {
  const base = loadConfig({ dataDir });
  return {
    ...base,
    ...c,
    ...fixed,
    dataDir,
    http: { ...base.http, ...c.http },
    queue: { ...base.queue, massPerMinute: 10_000, ...c.queue },
    inbound: { ...base.inbound, ...c.inbound },
    modem: { ...base.modem, ...c.modem },
    pool: { ...base.pool, ...c.pool },
    store: { ...base.store, ...c.store },
    routing: { ...base.routing, ...c.routing },
    forward: { ...base.forward, ...c.forward },
    web: { ...base.web, ...c.web },
    chat: { ...base.chat, ...c.chat, limits: { ...base.chat.limits, ...c.chat?.limits } },
    selfService: { ...base.selfService, ...c.selfService },
    templates: { ...base.templates, ...c.templates },
  };
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'sms-e2e-'));
  const device = join(dataDir, 'modem');
  const profile = o.profile ?? 'generic';
  const sim = await startSimulatorOnPty({ link: device, profile, ...o.sim });
  const c = o.config ?? {};
  const cfg = harnessConfig(dataDir, c, { device, profile: c.profile ?? profile });
  const logger = o.logger ?? createLogger(process.env.E2E_LOG_LEVEL ?? 'silent');
  const h: Harness = {
    dataDir,
    device,
    sim,
    server: undefined,
    cfg,
    async startServer() {
      h.server = await startServer(cfg, logger, { clock: o.clock });
      return h.server;
    },
    async stopServer() {
      await h.server?.stop();
      h.server = undefined;
    },
    async restartServer() {
      await h.stopServer();
      return h.startServer();
    },
    readStore: () => openReadOnly(dataDir),
    async close() {
      await h.stopServer();
      await sim.close();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (o.startServer !== false) {
    await h.startServer();
    await waitFor(() => h.server?.supervisor.state === 'ready', 'modem ready');
  }
  return h;
}

/** One simulated modem of a pool harness. */
export interface PoolHarnessModem {
  id: string;
  profile?: string;
  number?: string;
  massPerMinute?: number;
  dailyCap?: number;
  sim?: Omit<SimulatorOnPtyOptions, 'link' | 'profile'>;
}

export interface PoolHarnessOptions {
  modems: PoolHarnessModem[];
  config?: HarnessConfig;
  startServer?: boolean;
  logger?: Logger;
}

export interface PoolHarness {
  dataDir: string;
  /** Simulator by modem id. */
  sims: Map<string, RunningSimulator>;
  server: RunningServer | undefined;
  cfg: Config;
  startServer(): Promise<RunningServer>;
  stopServer(): Promise<void>;
  /** The pool member (supervisor, intake, worker) of a modem id. */
  member(id: string): PoolMember;
  sim(id: string): RunningSimulator;
  readStore(): Promise<LowdbStore>;
  close(): Promise<void>;
}

/**
 * Several simulated modems, each on its own pseudo-terminal (device `<data>/modem-<id>`), and the
 * real server driving them as a pool (config `modems`).
 */
export async function startPoolHarness(o: PoolHarnessOptions): Promise<PoolHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sms-pool-'));
  const sims = new Map<string, RunningSimulator>();
  for (const m of o.modems) sims.set(m.id, await startSimulatorOnPty({ link: join(dataDir, `modem-${m.id}`), profile: m.profile ?? 'generic', ...m.sim }));
  const modems = o.modems.map((m) => ({
    id: m.id,
    device: join(dataDir, `modem-${m.id}`),
    profile: m.profile ?? 'generic',
    ...(m.number ? { number: m.number } : {}),
    massPerMinute: m.massPerMinute ?? 10_000,
    ...(m.dailyCap !== undefined ? { dailyCap: m.dailyCap } : {}),
  }));
  const cfg = harnessConfig(dataDir, o.config ?? {}, { device: undefined, modems });
  const logger = o.logger ?? createLogger(process.env.E2E_LOG_LEVEL ?? 'silent');
  const h: PoolHarness = {
    dataDir,
    sims,
    server: undefined,
    cfg,
    async startServer() {
      h.server = await startServer(cfg, logger);
      return h.server;
    },
    async stopServer() {
      await h.server?.stop();
      h.server = undefined;
    },
    member(id) {
      const m = h.server?.pool.members.find((x) => x.spec.id === id);
      if (!m) throw new Error(`no running pool member ${id}`);
      return m;
    },
    sim(id) {
      const s = sims.get(id);
      if (!s) throw new Error(`no simulator ${id}`);
      return s;
    },
    readStore: () => openReadOnly(dataDir),
    async close() {
      await h.stopServer();
      for (const s of sims.values()) await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (o.startServer !== false) {
    await h.startServer();
    await waitFor(() => h.server!.pool.members.every((m) => m.supervisor.state === 'ready'), 'every modem ready', 30_000);
  }
  return h;
}
