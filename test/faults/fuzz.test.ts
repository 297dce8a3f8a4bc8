/**
 * Fuzz: hostile modem output (mutated real PDUs, broken URCs, invalid UTF-8, overlong lines,
 * CR/LF soup, prompt fragments) streamed through the real transport → AT engine → modem driver →
 * receive path while commands keep being issued against a simulated modem answering for real.
 * Properties: no uncaught exception; every command settles (resolves, or rejects with a typed
 * AtError) within a bound; decodePdu only ever throws PduDecodeError; the receive path never
 * throws; after the storm a plain AT probe answers again.
 */
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtEngine, AtError, engineOptionsFromProfile } from '../../src/at/index.js';
import { Receiver } from '../../src/inbound/receiver.js';
import { ModemDriver } from '../../src/modem/driver.js';
import { loadProfile, type ModemProfile } from '../../src/modem/profile.js';
import { SimulatedModem, startSimulatorOnPty } from '../../src/sim/index.js';
import { decodePdu, encodeSubmit, PduDecodeError } from '../../src/sms/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { DuplexTransport, PortClosedError, SerialTransport, type Transport } from '../../src/transport/index.js';
import { fuzzChunk, seedPdus, type Rand } from './fuzz-lines.js';
import { rng } from './helpers.js';

const BULK = Number(process.env.FUZZ_LINES ?? 10_000);
const PTY_BATCH = 1_000;

/** Short timeouts: a broken exchange must cost a second, not the profile's 60 s network wait. */
function fastProfile(): ModemProfile {
  const p = loadProfile('huawei');
  return { ...p, timeouts: { ...p.timeouts, default: 800, prompt: 800, send: 1000, ready: 0 } };
}

interface Figures {
  chunks: number;
  byKind: Record<string, number>;
  commands: number;
  resolved: number;
  rejectedTyped: number;
  untyped: string[];
  hangs: string[];
  decodeTries: number;
  decodeOk: number;
  decodeRejected: number;
  decodeUntyped: string[];
  ingested: number;
  ingestErrors: string[];
  uncaught: string[];
}

const newFigures = (): Figures => ({
  chunks: 0,
  byKind: {},
  commands: 0,
  resolved: 0,
  rejectedTyped: 0,
  untyped: [],
  hangs: [],
  decodeTries: 0,
  decodeOk: 0,
  decodeRejected: 0,
  decodeUntyped: [],
  ingested: 0,
  ingestErrors: [],
  uncaught: [],
});

let uncaught: string[] = [];
const onUncaught = (e: unknown) => uncaught.push(String((e as Error)?.stack ?? e));
beforeEach(() => {
  uncaught = [];
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

function tryDecode(f: Figures, pdu: string): void {
  for (const smscPrefix of [true, false]) {
    f.decodeTries++;
    try {
      decodePdu(pdu, { smscPrefix });
      f.decodeOk++;
    } catch (e) {
      if (e instanceof PduDecodeError) f.decodeRejected++;
      else f.decodeUntyped.push(`${(e as Error).name}: ${(e as Error).message} ← ${pdu.slice(0, 80)}`);
    }
  }
}

/**
 * Streams `count` fuzz chunks through `inject` while a command loop drives `driver`; every
 * command must settle within its bound.
 */
async function storm(o: { rand: Rand; count: number; driver: ModemDriver; inject: (b: Buffer) => void; f: Figures; yieldEvery: number }): Promise<void> {
  const { rand, driver, f } = o;
  const pdus = seedPdus();
  const receiver = new Receiver(new MemoryStore(), { multipartTimeoutMs: 60_000 });
  driver.on('sms-direct', ({ pdu }) => {
    tryDecode(f, pdu);
    f.ingested++;
    receiver.ingest(pdu).catch((e: Error) => f.ingestErrors.push(`${e.name}: ${e.message}`));
  });
  driver.on('status-report', (n) => n.kind === 'routed' && tryDecode(f, n.pdu));
  const parts = encodeSubmit('+79001234567', 'fuzz send');
  let done = false;
  // Its own stream: the fuzz inputs stay the same from run to run whatever the command timing.
  const cmdRand = rng(Math.floor(rand() * 2 ** 32));

  const commands = (async () => {
    while (!done) {
      const op = Math.floor(cmdRand() * 7);
      const [name, bound, run]: [string, number, () => Promise<unknown>] =
        op === 0 ? ['probe', 3_000, () => driver.probe(500)]
        : op === 1 ? ['status', 8_000, () => driver.status()]
        : op === 2 ? ['listStored', 35_000, () => driver.listStored()]
        : op === 3 ? ['send', 6_000, () => driver.send(parts[0]!)]
        : op === 4 ? ['read', 3_000, () => driver.read('SM', 1 + Math.floor(cmdRand() * 3))]
        : op === 5 ? ['delete', 3_000, () => driver.delete('SM', 1 + Math.floor(cmdRand() * 3))]
        : ['hangup', 4_000, () => driver.hangup()];
      f.commands++;
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), bound)));
      const outcome = await Promise.race([
        run().then(
          () => 'resolved' as const,
          (e: unknown) => (e instanceof AtError || e instanceof PortClosedError ? ('typed' as const) : `untyped ${(e as Error)?.name}: ${(e as Error)?.message}`),
        ),
        hang,
      ]);
      clearTimeout(timer);
      if (outcome === 'resolved') f.resolved++;
      else if (outcome === 'typed') f.rejectedTyped++;
      else if (outcome === 'hang') f.hangs.push(`${name} did not settle within ${bound} ms`);
      else f.untyped.push(`${name}: ${outcome}`);
    }
  })();

  for (let i = 0; i < o.count; i++) {
    const c = fuzzChunk(rand, pdus);
    f.chunks++;
    f.byKind[c.kind] = (f.byKind[c.kind] ?? 0) + 1;
    if (c.pdu !== undefined) tryDecode(f, c.pdu);
    o.inject(c.bytes);
    if (i % o.yieldEvery === 0) await new Promise((r) => setTimeout(r, 1));
  }
  done = true;
  await commands;
  // After the storm: the link is usable again. Tries for up to 30 s: over the PTY relay the
  // modem's answers queue behind megabytes of overlong junk still in flight.
  let alive = false;
  const until = Date.now() + 30_000;
  while (!alive && Date.now() < until) alive = await driver.probe(1000).then(() => true, () => false);
  expect(alive, 'AT probe answers after the storm').toBe(true);
}

function report(label: string, f: Figures): void {
  console.log(`FUZZ ${label} ${JSON.stringify({ ...f, untyped: f.untyped.length, hangs: f.hangs.length, decodeUntyped: f.decodeUntyped.length, ingestErrors: f.ingestErrors.length, uncaught: f.uncaught.length })}`);
}

function assertClean(f: Figures): void {
  f.uncaught = uncaught;
  expect(f.uncaught).toEqual([]);
  expect(f.hangs).toEqual([]);
  expect(f.untyped).toEqual([]);
  expect(f.decodeUntyped).toEqual([]);
  expect(f.ingestErrors).toEqual([]);
}

async function driverOn(transport: Transport): Promise<ModemDriver> {
  const profile = fastProfile();
  await transport.open();
  const engine = new AtEngine(transport, { ...engineOptionsFromProfile(profile), defaultTimeoutMs: 800 });
  const driver = new ModemDriver(engine, profile, { sendTimeoutMs: 1000 });
  await driver.init();
  return driver;
}

describe('fuzzing the receive side', () => {
  it(`${BULK} hostile chunks in-process (DuplexTransport ↔ simulated Huawei modem)`, async () => {
    const f = newFigures();
    const rand = rng(0xf022);
    const sim = new SimulatedModem({ profile: 'huawei', noise: 0.05, seed: 7 });
    const toModem = new PassThrough();
    const toHost = new PassThrough();
    toModem.on('data', (d: Buffer) => sim.input(d));
    sim.on('output', (d: Buffer) => toHost.write(d));
    const transport = new DuplexTransport(Duplex.from({ readable: toHost, writable: toModem }), { idleFlushMs: 50 });
    const driver = await driverOn(transport);
    const t0 = Date.now();
    await storm({ rand, count: BULK, driver, inject: (b) => toHost.write(b), f, yieldEvery: 10 });
    report('duplex', f);
    console.log(`FUZZ duplex wall ${Date.now() - t0} ms`);
    await transport.close();
    sim.dispose();
    assertClean(f);
    expect(f.chunks).toBeGreaterThanOrEqual(10_000);
    expect(f.commands).toBeGreaterThan(50);
  });

  it(`${PTY_BATCH} hostile chunks over a real pseudo-terminal (SerialTransport)`, async () => {
    const f = newFigures();
    const rand = rng(0xbee5);
    const sim = await startSimulatorOnPty({ profile: 'huawei', noise: 0.05, seed: 9 });
    const transport = new SerialTransport({ path: sim.path, idleFlushMs: 50 });
    const driver = await driverOn(transport);
    // Bytes the modem "emits" go to the tty exactly like its real replies.
    await storm({ rand, count: PTY_BATCH, driver, inject: (b) => void sim.modem.emit('output', b), f, yieldEvery: 2 });
    report('pty', f);
    await transport.close();
    await sim.close();
    assertClean(f);
  });

  it('decodePdu alone: 20,000 mutated PDUs only ever throw PduDecodeError', () => {
    const f = newFigures();
    const rand = rng(0xdec0de);
    const pdus = seedPdus();
    for (let i = 0; i < 10_000; i++) {
      const c = fuzzChunk(rand, pdus);
      if (c.pdu !== undefined) tryDecode(f, c.pdu);
      else tryDecode(f, c.bytes.toString('latin1').replace(/[\r\n]/g, ''));
    }
    console.log(`FUZZ decode ${JSON.stringify({ tries: f.decodeTries, ok: f.decodeOk, rejected: f.decodeRejected, untyped: f.decodeUntyped.length })}`);
    expect(f.decodeUntyped).toEqual([]);
  });
});
