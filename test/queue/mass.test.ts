import { describe, it, expect } from 'vitest';
import { createCampaign, campaignStatus } from '../../src/queue/mass.js';
import { CampaignFileError } from '../../src/queue/errors.js';
import { QueueWorker } from '../../src/queue/worker.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { addClient, FakeClock, FakeSender } from './helpers.js';

const phone = (i: number) => `+7900${String(i).padStart(7, '0')}`;

describe('createCampaign', () => {
  it('reports bad lines with their numbers, removes duplicates and skips opted-out clients', async () => {
    const store = new MemoryStore();
    await addClient(store, '+79000000003', false);
    const file = ['name,phone', 'Ann,+79000000001', 'Bob,not a number', 'Cid,89000000001', 'Dan,+79000000003', 'Eve,+79000000004', 'Fay'].join('\n');
    const r = await createCampaign(store, { text: 'Sale!', name: 'autumn', fileText: file });
    expect(r.enqueued).toBe(2);
    expect(r.skippedOptOut).toBe(1);
    expect(r.duplicates).toBe(1);
    expect(r.invalid.map((e) => e.line)).toEqual([3, 7]);
    const jobs = await store.listJobs({ campaignId: r.campaignId });
    expect(jobs.map((j) => [j.to, j.priority, j.state]).sort()).toEqual([
      ['+79000000001', 'mass', 'queued'],
      ['+79000000004', 'mass', 'queued'],
    ]);
    expect(await store.getCampaign(r.campaignId)).toMatchObject({ name: 'autumn', text: 'Sale!', total: 2, skippedOptOut: 1, skippedInvalid: 2, duplicatesRemoved: 1 });
  });

  it('strict mode rejects the whole file and queues nothing', async () => {
    const store = new MemoryStore();
    const file = '+79000000001\n+79000000002\n12\n';
    const err = await createCampaign(store, { text: 'x', fileText: file, strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CampaignFileError);
    expect((err as CampaignFileError).invalid.map((e) => e.line)).toEqual([3]);
    expect((err as Error).message).toContain('line 3');
    expect(await store.listJobs()).toEqual([]);
    expect(await store.listCampaigns()).toEqual([]);
  });

  it('refuses a file with nobody to send to', async () => {
    const store = new MemoryStore();
    await expect(createCampaign(store, { text: 'x', fileText: 'phone\n' })).rejects.toThrow(/no recipients/);
  });

  it('enqueues in batches: one store.enqueue call per batch', async () => {
    const store = new MemoryStore();
    const sizes: number[] = [];
    const counting: Store = Object.assign(Object.create(store) as Store, {
      enqueue: (jobs: Parameters<Store['enqueue']>[0]) => {
        sizes.push(jobs.length);
        return store.enqueue(jobs);
      },
    });
    const file = Array.from({ length: 100 }, (_, i) => phone(i)).join('\n');
    const r = await createCampaign(counting, { text: 'x', fileText: file }, {}, { batchSize: 30 });
    expect(r.enqueued).toBe(100);
    expect(sizes).toEqual([30, 30, 30, 10]);
  });

  it('tracks a 100-recipient campaign to the end through the worker, with rate and ETA', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const sender = new FakeSender();
    sender.onSend = () => clock.advance(6_000); // the network takes 6 s per submit: 10 per minute
    const worker = new QueueWorker({ store, sender, clock, rate: { massPerMinute: 0 } });
    const file = 'phone\n' + Array.from({ length: 100 }, (_, i) => phone(i)).join('\n');
    const { campaignId, enqueued } = await createCampaign(store, { text: 'Hello', fileText: file }, {}, { clock });
    expect(enqueued).toBe(100);

    for (let i = 0; i < 40; i++) await worker.step();
    let s = (await campaignStatus(store, campaignId, { clock }))!;
    expect(s.counts).toMatchObject({ sent: 40, queued: 60 });
    expect([s.total, s.done, s.pending]).toEqual([100, 40, 60]);
    expect(s.ratePerMinute).toBeCloseTo(10, 5);
    expect(s.eta).toBe(new Date(clock.now() + 6 * 60_000).toISOString());

    await worker.drain();
    s = (await campaignStatus(store, campaignId, { clock }))!;
    expect(s.counts.sent).toBe(100);
    expect(s.pending).toBe(0);
    expect(await campaignStatus(store, 'nope')).toBeUndefined();
  });

  it('creates 100k jobs in batches', async () => {
    const store = new MemoryStore();
    const file = Array.from({ length: 100_000 }, (_, i) => phone(i)).join('\n');
    const r = await createCampaign(store, { text: 'x', fileText: file });
    expect(r.enqueued).toBe(100_000);
    expect((await store.campaignProgress(r.campaignId)).queued).toBe(100_000);
  });
});

describe('createCampaign applied again for the same request (crash between apply and record)', () => {
  const file = Array.from({ length: 25 }, (_, i) => `+7900100${String(i).padStart(4, '0')}`).join('\n');

  it('completes a campaign cut short mid-way and queues nobody twice', async () => {
    const store = new MemoryStore();
    let calls = 0;
    // The process "dies" during the third batch: two batches of 10 are stored, the rest is not.
    const dying = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'enqueue') {
          return async (jobs: Parameters<MemoryStore['enqueue']>[0]) => {
            if (++calls === 3) throw new Error('killed');
            return target.enqueue(jobs);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    await expect(createCampaign(dying, { text: 'hi', fileText: file }, {}, { batchSize: 10, campaignId: 'cmp-req-1' })).rejects.toThrow('killed');
    expect((await store.listJobs({ campaignId: 'cmp-req-1' })).length).toBe(20);

    const again = await createCampaign(store, { text: 'hi', fileText: file }, {}, { batchSize: 10, campaignId: 'cmp-req-1' });
    expect(again.campaignId).toBe('cmp-req-1');
    expect(again.enqueued).toBe(25);
    const jobs = await store.listJobs({ campaignId: 'cmp-req-1' });
    expect(jobs.length).toBe(25);
    expect(new Set(jobs.map((j) => j.to)).size).toBe(25);
    expect((await store.listCampaigns()).length).toBe(1);
  });

  it('adds nothing when the request had completed', async () => {
    const store = new MemoryStore();
    await createCampaign(store, { text: 'hi', fileText: file }, {}, { campaignId: 'cmp-req-2' });
    const again = await createCampaign(store, { text: 'hi', fileText: file }, {}, { campaignId: 'cmp-req-2' });
    expect(again.enqueued).toBe(25);
    expect((await store.listJobs({ campaignId: 'cmp-req-2' })).length).toBe(25);
  });
});
