/**
 * The modem pool on the fake clock: three in-process simulated modems (test/helpers/sim-link.ts:
 * real line framing, AT engine, driver and supervisor), the real queue workers, a MemoryStore.
 * Failover and the pinned fallback at their real default (10 minutes) in well under a second of
 * wall time; the same behaviour over PTYs is test/e2e/pool.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModemSpec } from '../../src/config/modems.js';
import { ModemPool } from '../../src/daemon/modem-pool.js';
import { InboundPipeline, Receiver } from '../../src/inbound/index.js';
import { unknownResendDelays } from '../../src/queue/retry-policy.js';
import { SimulatedModem } from '../../src/sim/index.js';
import type { Job } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';
import { SimLink } from '../helpers/sim-link.js';

const IDS = ['m1', 'm2', 'm3'] as const;
type Id = (typeof IDS)[number];
const MIN = 60_000;

let pool: ModemPool | undefined;
let clock: FakeClock;
afterEach(async () => {
  if (pool) {
    const stopped = pool.stop();
    for (let i = 0; i < 400 && !(await Promise.race([stopped.then(() => true), settle().then(() => false)])); i++) await clock.advanceAsync(100);
    await stopped;
  }
  pool = undefined;
});

interface Setup {
  store: MemoryStore;
  modems: Record<Id, SimulatedModem>;
  links: Record<Id, SimLink>;
  pool: ModemPool;
  until(cond: () => boolean | Promise<boolean>, what: string, maxFakeMs?: number): Promise<void>;
  /** Let fake time pass in 1 s steps (nothing to wait for in particular). */
  pass(ms: number): Promise<void>;
}

function setup(
  o: { fallback?: 'wait' | 'any'; waitMs?: number; massPerMinute?: Partial<Record<Id, number>>; sim?: Partial<Record<Id, ConstructorParameters<typeof SimulatedModem>[0]>> } = {},
): Setup {
  clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const modems = {} as Record<Id, SimulatedModem>;
  const links = {} as Record<Id, SimLink>;
  for (const id of IDS) {
    modems[id] = new SimulatedModem({ clock, noise: 0, echo: false, sendDelayMs: 2000, ...o.sim?.[id] });
    links[id] = new SimLink(modems[id], clock);
  }
  const specs: ModemSpec[] = IDS.map((id) => ({ id, device: `/dev/fake-${id}`, profile: 'generic', massPerMinute: o.massPerMinute?.[id] ?? 10_000, baudRate: 115200 }));
  pool = new ModemPool({
    specs,
    store,
    receiver: new Receiver(store, { multipartTimeoutMs: 3_600_000, clock }),
    pipeline: new InboundPipeline({ store }),
    supervisorOptions: (spec) => ({
      device: spec.device,
      baudRate: spec.baudRate,
      profile: spec.profile,
      idleProbeMs: 60_000,
      backoffMinMs: 100,
      backoffMaxMs: 400,
      openTransport: links[spec.id as Id].factory,
      deviceExists: links[spec.id as Id].exists,
    }),
    worker: { policy: { baseDelayMs: 1000, unknownResendDelayMs: unknownResendDelays(1) } },
    recipientDailyCap: 50,
    pinnedWaitMs: o.waitMs ?? 10 * MIN,
    pinnedFallback: o.fallback ?? 'any',
    sweepMs: 3_600_000,
    host: 'test',
    clock,
  });
  const until = async (cond: () => boolean | Promise<boolean>, what: string, maxFakeMs = 30 * MIN) => {
    const start = clock.now();
    while (!(await cond())) {
      if (clock.now() - start > maxFakeMs) throw new Error(`not reached within ${maxFakeMs} ms of fake time: ${what}`);
      for (let i = 0; i < 4; i++) await settle();
      await clock.advanceAsync(50);
    }
  };
  const pass = async (ms: number) => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      for (let i = 0; i < 4; i++) await settle();
      await clock.advanceAsync(Math.min(1000, end - clock.now()));
    }
  };
  return { store, modems, links, pool, until, pass };
}

const jobsOf = async (store: MemoryStore): Promise<Job[]> => store.listJobs();
const to = (i: number) => `+7902${String(i).padStart(7, '0')}`;
const notification = (i: number, over: Partial<Job> = {}) => ({ to: to(i), text: `note ${i}`, priority: 'notification' as const, state: 'queued' as const, attempts: 0, nextAttemptAt: new Date(clock.now()).toISOString(), ...over });

describe('ModemPool on the fake clock', () => {
  it('an unplugged modem claims nothing: the others take its share at once; its pinned reply follows the fallback after 10 minutes', async () => {
    const s = setup();
    await s.pool.start();
    await s.until(() => s.pool.members.every((m) => m.supervisor.state === 'ready'), 'all ready');
    s.links.m1.unplug();
    await s.until(() => s.pool.members[0]!.supervisor.state !== 'ready', 'm1 down');
    const downAt = clock.now();
    const [reply] = await s.store.enqueue([{ ...notification(0), priority: 'reply', modem: 'm1', text: 'your answer' }]);
    await s.store.enqueue(Array.from({ length: 12 }, (_, i) => notification(i + 1)));
    s.pool.kick();
    await s.until(async () => (await jobsOf(s.store)).filter((j) => j.state === 'sent').length === 12, 'twelve sent by m2 and m3');
    const jobs = await jobsOf(s.store);
    expect(jobs.filter((j) => j.state === 'sent').map((j) => j.via).sort()).toEqual([...Array(6).fill('m2'), ...Array(6).fill('m3')]);
    expect(s.modems.m1.sent).toHaveLength(0);
    // The pinned reply is still waiting for m1, well past the moment the others went idle.
    expect(await s.store.getJob(reply!.id)).toMatchObject({ state: 'queued', modem: 'm1' });
    await s.until(async () => (await s.store.getJob(reply!.id))!.state === 'sent', 'reply sent after the fallback');
    const sent = (await s.store.getJob(reply!.id))!;
    expect(sent).toMatchObject({ repin: { from: 'm1', reason: 'modem-down' }, via: expect.stringMatching(/^m[23]$/) });
    expect(sent.modem).toBeUndefined();
    expect(Date.parse(sent.repin!.at) - downAt).toBeGreaterThanOrEqual(10 * MIN);
    expect(Date.parse(sent.repin!.at) - downAt).toBeLessThan(10 * MIN + 20_000);
  });

  it('"wait": a pinned job never leaves through another modem; it goes when its modem is back', async () => {
    const s = setup({ fallback: 'wait' });
    await s.pool.start();
    await s.until(() => s.pool.members.every((m) => m.supervisor.state === 'ready'), 'all ready');
    s.links.m2.unplug();
    await s.until(() => s.pool.members[1]!.supervisor.state !== 'ready', 'm2 down');
    const [reply] = await s.store.enqueue([{ ...notification(0), priority: 'reply', modem: 'm2' }]);
    s.pool.kick();
    await s.pass(60 * MIN);
    expect(await s.store.getJob(reply!.id)).toMatchObject({ state: 'queued', modem: 'm2' });
    expect([...s.modems.m1.sent, ...s.modems.m3.sent]).toHaveLength(0);
    s.links.m2.replug();
    await s.until(async () => (await s.store.getJob(reply!.id))!.state === 'sent', 'sent through m2');
    expect(await s.store.getJob(reply!.id)).toMatchObject({ via: 'm2', modem: 'm2' });
    expect(s.modems.m2.sent.map((x) => x.to)).toEqual([to(0)]);
  });

  it("each modem keeps its own massPerMinute: a slow SIM sends its share of a campaign at its rate, and a reply to it at once", async () => {
    const s = setup({ massPerMinute: { m1: 2 } });
    await s.pool.start();
    await s.until(() => s.pool.members.every((m) => m.supervisor.state === 'ready'), 'all ready');
    await s.store.enqueue(Array.from({ length: 60 }, (_, i) => notification(i, { priority: 'mass' })));
    s.pool.kick();
    await s.until(() => s.modems.m1.sent.length >= 1, 'm1 sent its first mass text');
    // Its next mass slot is 30 s away: a reply pinned to it does not wait for the slot.
    const [reply] = await s.store.enqueue([{ ...notification(100), priority: 'reply', modem: 'm1', text: 'your answer' }]);
    const queuedAt = clock.now();
    s.pool.kick();
    await s.until(async () => (await s.store.getJob(reply!.id))!.state === 'sent', 'reply through m1');
    expect(clock.now() - queuedAt).toBeLessThan(10_000);
    await s.until(async () => (await jobsOf(s.store)).every((j) => j.state === 'sent'), 'campaign sent');

    const m1Mass = s.modems.m1.sent.filter((x) => x.to !== to(100));
    const span = Date.parse(s.modems.m2.sent.at(-1)!.at) - Date.parse(s.modems.m2.sent[0]!.at);
    // ≈ 60 s of campaign (2 s per submit, 60 texts over two fast modems): m1 at 2 a minute sends 2 or 3.
    expect(span).toBeGreaterThan(50_000);
    expect(m1Mass.length).toBeGreaterThanOrEqual(2);
    expect(m1Mass.length).toBeLessThanOrEqual(Math.floor(span / 30_000) + 2);
    for (let i = 1; i < m1Mass.length; i++) expect(Date.parse(m1Mass[i]!.at) - Date.parse(m1Mass[i - 1]!.at)).toBeGreaterThanOrEqual(30_000);
    expect(s.modems.m2.sent.length + s.modems.m3.sent.length + m1Mass.length).toBe(60);
  });

  it('a SIM that wants a PIN (none configured) stalls nothing: the other two send everything', async () => {
    const s = setup({ sim: { m3: { pin: '1234' } } });
    await s.pool.start();
    await s.until(() => s.pool.members[2]!.supervisor.lastFault?.step === 'pin', 'm3 PIN fault');
    await s.store.enqueue(Array.from({ length: 8 }, (_, i) => notification(i)));
    s.pool.kick();
    await s.until(async () => (await jobsOf(s.store)).every((j) => j.state === 'sent'), 'all sent');
    expect(s.modems.m1.sent.length + s.modems.m2.sent.length).toBe(8);
    expect(s.modems.m3.sent).toHaveLength(0);
    expect(s.pool.members[2]!.supervisor.state).not.toBe('ready');
  });

  it('a multipart text cut off by an unplug stays on the modem that sent its first part; the fallback restarts it whole elsewhere', async () => {
    const s = setup({ sim: { m2: { sendDelayMs: 20_000 }, m3: { sendDelayMs: 20_000 } } });
    await s.pool.start();
    await s.until(() => s.pool.members.every((m) => m.supervisor.state === 'ready'), 'all ready');
    const long = 'This text takes three SMS parts. '.repeat(12);
    // m2 and m3 are busy for 20 s with one part each, so m1 takes the long text.
    await s.store.enqueue([notification(1, { modem: 'm2' }), notification(2, { modem: 'm3' })]);
    s.pool.kick();
    await s.until(async () => (await jobsOf(s.store)).filter((j) => j.state === 'sending').length === 2, 'm2 and m3 busy');
    const [multi] = await s.store.enqueue([notification(3, { text: long })]);
    s.pool.kick();
    await s.until(() => s.modems.m1.sent.length === 1, 'first part through m1');
    s.links.m1.unplug();
    await s.until(async () => (await s.store.getJob(multi!.id))!.state === 'queued', 'back in the queue');
    const parked = (await s.store.getJob(multi!.id))!;
    expect(parked).toMatchObject({ modem: 'm1', repin: { to: 'm1', reason: 'started' }, via: 'm1' });
    const ref = parked.concatRef;
    expect(ref).toBeDefined();
    // Not taken by m2/m3 once they are free; after the wait it is released and sent whole, new reference.
    await s.until(async () => (await s.store.getJob(multi!.id))!.state === 'sent', 'sent after the fallback', 40 * MIN);
    const done = (await s.store.getJob(multi!.id))!;
    expect(done).toMatchObject({ repin: { from: 'm1', reason: 'modem-down' }, duplicates: 1, via: expect.stringMatching(/^m[23]$/) });
    expect(done.concatRef).not.toBe(ref);
    const other = s.modems[done.via as Id].sent.filter((x) => x.to === to(3));
    expect(other.map((x) => x.concat?.seq)).toEqual([1, 2, 3]);
  });
});
