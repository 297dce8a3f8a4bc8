/**
 * ModemIntake between a modem driver and the pipeline: the SIM copy is deleted only after the
 * entry is stored AND routed; a call is stored, then routed (routes may claim calls); every entry
 * names its modem. The driver is a scripted stand-in (the modem is not under test here; the real
 * one is driven end to end in test/e2e/customer-receive.test.ts).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InboundPipeline, ModemIntake, Receiver, type InboundRoute, type IntakeDriver } from '../../src/inbound/index.js';
import { encodeDeliver } from '../../src/sms/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** One log of what the driver and the routes did, in order. */
const events: string[] = [];

class ScriptedDriver extends EventEmitter {
  log = events;
  sim = new Map<number, string>();
  async read(memory: string, index: number) {
    this.log.push(`read ${index}`);
    const pdu = this.sim.get(index);
    return pdu === undefined ? undefined : { memory, index, status: 0, pdu };
  }
  async delete(_m: string, index: number) {
    this.log.push(`delete ${index}`);
    this.sim.delete(index);
  }
  async listStored() {
    return [...this.sim].map(([index, pdu]) => ({ memory: 'SM', index, status: 0, pdu }));
  }
  async ackDirect() {}
  async hangup() {
    this.log.push('hangup');
  }
}

function setup(routes: InboundRoute[]) {
  events.length = 0;
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const pipeline = new InboundPipeline({ store, routes });
  const intake = new ModemIntake({ store, receiver: new Receiver(store, { multipartTimeoutMs: 3_600_000, clock }), pipeline, modem: 'm1', simNumber: '+79990000001', clock });
  const driver = new ScriptedDriver();
  intake.attach(driver as unknown as IntakeDriver);
  return { store, intake, driver };
}

describe('ModemIntake', () => {
  it('stores, routes, then deletes the SIM copy; the entry names its modem and SIM number', async () => {
    const spy: InboundRoute = { name: 'spy', route: async (e) => (events.push(`route ${e.text}`), { routedBy: 'spy' }) };
    const { store, intake, driver } = setup([spy]);
    await intake.idle();
    driver.sim.set(3, encodeDeliver('+79001234567', 'hello', { timestamp: new Date('2026-11-21T10:00:00Z') })[0]!);
    driver.emit('sms-stored', { memory: 'SM', index: 3 });
    await intake.idle();
    expect(driver.log).toEqual(['read 3', 'route hello', 'delete 3']);
    const [e] = await store.listInbound();
    expect(e).toMatchObject({ text: 'hello', modem: 'm1', to: '+79990000001', routedBy: 'spy', status: 'processed' });
  });

  it('a route failure keeps the entry unrouted but still empties the SIM (the entry is stored; resume routes it)', async () => {
    const broken: InboundRoute = { name: 'broken', route: async () => Promise.reject(new Error('db away')) };
    const { store, intake, driver } = setup([broken]);
    driver.sim.set(1, encodeDeliver('+79001234567', 'x')[0]!);
    driver.emit('sms-stored', { memory: 'SM', index: 1 });
    await intake.idle();
    expect(driver.sim.size).toBe(0);
    const [e] = await store.listInbound();
    expect(e).toMatchObject({ status: 'new' });
    expect(e!.routedBy).toBeUndefined();
  });

  it('a call is hung up, stored as [CALL] and routed; a route may claim it', async () => {
    const lastSender: InboundRoute = { name: 'last-sender', route: async (e) => (e.status === 'call' ? { routedBy: 'last-sender', account: 'acme' } : undefined) };
    const { store, intake, driver } = setup([lastSender]);
    driver.emit('call', { from: '+79001234567' });
    await intake.idle();
    expect(driver.log).toContain('hangup');
    const [e] = await store.listInbound();
    expect(e).toMatchObject({ text: '[CALL]', status: 'call', routedBy: 'last-sender', account: 'acme', modem: 'm1' });
  });
});
