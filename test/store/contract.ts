/**
 * The Store contract, run against every implementation (memory.test.ts, lowdb-store.test.ts) with the
 * same assertions, so services tested on MemoryStore behave the same on disk.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Campaign, ChatSession, ClaimOptions, Client, InboxEntry, Job, NewForward, PartialSet, ServerStatus, Store } from '../../src/store/types.js';

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

export function inbound(n: number, over: Partial<Omit<InboxEntry, 'id'>> = {}): Omit<InboxEntry, 'id'> {
  return {
    from: '+7900000000' + (n % 10),
    text: `message ${n}`,
    receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    sentAt: '2026-01-01T03:00:00+03:00',
    status: 'new',
    parts: 1,
    dedupKey: `k${n}`,
    ...over,
  };
}

export function jobIn(over: Partial<Omit<Job, 'id' | 'createdAt' | 'updatedAt'>> = {}): Omit<Job, 'id' | 'createdAt' | 'updatedAt'> {
  return {
    to: '+79001112233',
    text: 'hello',
    priority: 'mass',
    state: 'queued',
    attempts: 0,
    nextAttemptAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function client(phone: string, over: Partial<Client> = {}): Client {
  return {
    phone,
    code: 'C' + phone.slice(-4),
    login: 'u' + phone.slice(-4),
    passwordEnc: 'v1:aaa:bbb:ccc',
    optIn: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

const NOW = new Date('2026-01-02T00:00:00.000Z');

/** A claim at NOW (or `now`) under a lease long enough for the test. */
function claim(owner: string, now: Date = NOW): ClaimOptions {
  return { owner, leaseMs: 60_000, now };
}

/** Inside a describe: a fresh, opened store per test (closed and cleaned up after it). */
export function freshStore(make: () => Promise<StoreFixture>): () => Store {
  let fx: StoreFixture;
  beforeEach(async () => {
    fx = await make();
    await fx.store.open();
  });
  afterEach(async () => {
    await fx.store.close();
    await fx.cleanup();
  });
  return () => fx.store;
}

export function storeContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    const store = freshStore(make);
    let s: Store;
    beforeEach(() => {
      s = store();
    });

    describe('inbox', () => {
      it('assigns distinct ids and returns the stored entry', async () => {
        const a = await s.addInbound(inbound(1));
        const b = await s.addInbound(inbound(2));
        expect(a.duplicate).toBe(false);
        expect(a.entry.id).not.toBe(b.entry.id);
        expect(a.entry).toMatchObject(inbound(1));
        expect(await s.getInbound(a.entry.id)).toEqual(a.entry);
        expect(await s.getInbound('in-999999')).toBeUndefined();
        expect(await s.getInbound('nonsense')).toBeUndefined();
      });

      it('dedups on dedupKey: duplicate:true and the same entry, nothing added', async () => {
        const a = await s.addInbound(inbound(1));
        const again = await s.addInbound(inbound(1, { text: 'different text, same key' }));
        expect(again.duplicate).toBe(true);
        expect(again.entry).toEqual(a.entry);
        expect(await s.listInbound()).toHaveLength(1);
      });

      it('dedup sees the updated entry', async () => {
        const a = await s.addInbound(inbound(1));
        await s.updateInbound(a.entry.id, { status: 'processed', command: 'info', replies: ['job-1'] });
        const again = await s.addInbound(inbound(1));
        expect(again).toEqual({ duplicate: true, entry: { ...a.entry, status: 'processed', command: 'info', replies: ['job-1'] } });
      });

      it('updateInbound patches, keeps the id, rejects unknown ids', async () => {
        const a = await s.addInbound(inbound(1));
        const u = await s.updateInbound(a.entry.id, { status: 'error', error: 'bad PDU', raw: ['00FF'] });
        expect(u).toEqual({ ...a.entry, status: 'error', error: 'bad PDU', raw: ['00FF'] });
        expect(await s.getInbound(a.entry.id)).toEqual(u);
        await expect(s.updateInbound('in-424242', { status: 'new' })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
      });

      it('listInbound: newest first, filters from/since/status, limit', async () => {
        for (let i = 0; i < 10; i++) {
          await s.addInbound(inbound(i, { status: i % 2 ? 'processed' : 'new', from: i < 5 ? '+111' : '+222' }));
        }
        const all = await s.listInbound();
        expect(all.map((e) => e.text)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => `message ${i}`));
        expect((await s.listInbound({ limit: 3 })).map((e) => e.text)).toEqual(['message 9', 'message 8', 'message 7']);
        expect((await s.listInbound({ from: '+111' })).map((e) => e.text)).toEqual([4, 3, 2, 1, 0].map((i) => `message ${i}`));
        expect((await s.listInbound({ status: 'processed', limit: 2 })).map((e) => e.text)).toEqual(['message 9', 'message 7']);
        const since = new Date(Date.UTC(2026, 0, 1, 0, 0, 7)).toISOString();
        expect((await s.listInbound({ since })).map((e) => e.text)).toEqual(['message 9', 'message 8', 'message 7']);
        expect(await s.listInbound({ since: '2026-01-02' })).toEqual([]);
        expect(await s.listInbound({ from: '+222', status: 'new', since, limit: 10 })).toHaveLength(1);
        expect(await s.listInbound({ limit: 0 })).toEqual([]);
      });

      it('returns copies: mutating a result does not change the store', async () => {
        const a = await s.addInbound(inbound(1));
        a.entry.text = 'mutated';
        expect((await s.getInbound(a.entry.id))!.text).toBe('message 1');
      });
    });

    describe('partials', () => {
      const set = (key: string, seqs: number[]): PartialSet => ({
        key,
        sender: '+79001234567',
        ref: 7,
        refBits: 8,
        total: 3,
        parts: seqs.map((seq) => ({ seq, pdu: `PDU${seq}`, receivedAt: '2026-01-01T00:00:00.000Z' })),
        firstAt: '2026-01-01T00:00:00.000Z',
      });
      it('put/get/list/delete', async () => {
        expect(await s.getPartial('a')).toBeUndefined();
        await s.putPartial(set('a', [1]));
        await s.putPartial(set('b', [2]));
        await s.putPartial(set('a', [1, 3]));
        expect(await s.getPartial('a')).toEqual(set('a', [1, 3]));
        expect((await s.listPartials()).map((p) => p.key).sort()).toEqual(['a', 'b']);
        await s.deletePartial('a');
        await s.deletePartial('never-existed');
        expect(await s.getPartial('a')).toBeUndefined();
        expect((await s.listPartials()).map((p) => p.key)).toEqual(['b']);
      });
    });

    describe('clients', () => {
      it('upsert inserts then replaces; remove reports whether it existed; list sorted by phone', async () => {
        await s.upsertClient(client('+79002222222'));
        await s.upsertClient(client('+79001111111'));
        await s.upsertClient(client('+79002222222', { optIn: false, code: 'X' }));
        expect(await s.getClient('+79002222222')).toEqual(client('+79002222222', { optIn: false, code: 'X' }));
        expect((await s.listClients()).map((c) => c.phone)).toEqual(['+79001111111', '+79002222222']);
        expect(await s.removeClient('+79001111111')).toBe(true);
        expect(await s.removeClient('+79001111111')).toBe(false);
        expect(await s.getClient('+79001111111')).toBeUndefined();
        expect(await s.listClients()).toHaveLength(1);
      });
    });

    describe('self-service', () => {
      it('put replaces the record of a number; get returns a copy; unknown numbers are undefined', async () => {
        const rec = { phone: '+79001111111', activatedAt: '2026-11-27T10:00:00.000Z', failures: 0, ordersToday: 0, updatedAt: '2026-11-27T10:00:00.000Z' };
        expect(await s.getSelfService(rec.phone)).toBeUndefined();
        await s.putSelfService(rec);
        await s.putSelfService({ ...rec, phone: '+79002222222' });
        await s.putSelfService({ ...rec, failures: 2, codeHash: 'h1:abc', lockedUntil: '2026-11-28T10:00:00.000Z' });
        const got = await s.getSelfService(rec.phone);
        expect(got).toEqual({ ...rec, failures: 2, codeHash: 'h1:abc', lockedUntil: '2026-11-28T10:00:00.000Z' });
        got!.failures = 99;
        expect((await s.getSelfService(rec.phone))!.failures).toBe(2);
        expect((await s.getSelfService('+79002222222'))!.failures).toBe(0);
      });
    });

    describe('jobs', () => {
      it('enqueue assigns ids in order and stamps createdAt/updatedAt', async () => {
        const jobs = await s.enqueue([jobIn({ to: '+1' }), jobIn({ to: '+2' })]);
        expect(jobs.map((j) => j.to)).toEqual(['+1', '+2']);
        expect(new Set(jobs.map((j) => j.id)).size).toBe(2);
        for (const j of jobs) {
          expect(Date.parse(j.createdAt)).not.toBeNaN();
          expect(j.updatedAt).toBe(j.createdAt);
          expect(await s.getJob(j.id)).toEqual(j);
        }
        expect(await s.getJob('job-999999')).toBeUndefined();
        expect(await s.enqueue([])).toEqual([]);
      });

      it('jobs in and out are copies down to every nested object (enqueue, updateJob, getJob)', async () => {
        const input = jobIn({ to: '+1', parts: [{ seq: 1 }], lease: { owner: 'w', until: NOW.toISOString() }, repin: { from: 'm1', to: 'm2', reason: 'modem-down', at: NOW.toISOString() }, smppReceipt: { when: 'final', originator: '+2' } });
        const [j] = await s.enqueue([input]);
        const stored = structuredClone(j!);
        input.parts![0]!.mr = 1;
        input.repin!.to = 'x';
        input.smppReceipt!.originator = 'x';
        input.lease!.owner = 'x';
        const out = (await s.getJob(j!.id))!;
        expect(out).toEqual(stored);
        const patch = { repin: { from: 'm2', to: 'm3', reason: 'started' as const, at: NOW.toISOString() }, smppReceipt: { when: 'failure' as const, originator: '+3' }, delivery: { state: 'pending' as const, parts: [{ seq: 1, mr: 7, state: 'pending' as const }] }, writing: { seq: 1, at: NOW.toISOString() } };
        const updated = await s.updateJob(j!.id, patch);
        const expected = structuredClone(updated);
        patch.repin.to = 'y';
        patch.smppReceipt.originator = 'y';
        patch.delivery.parts[0]!.state = 'failed' as never;
        patch.writing.seq = 9;
        updated.repin!.to = 'z';
        updated.smppReceipt!.originator = 'z';
        updated.delivery!.parts[0]!.state = 'delivered';
        updated.writing!.seq = 8;
        expect(await s.getJob(j!.id)).toEqual(expected);
      });

      it('claimNext: reply > notification > mass, FIFO within a priority', async () => {
        await s.enqueue([jobIn({ priority: 'mass', to: 'm1' }), jobIn({ priority: 'mass', to: 'm2' })]);
        await s.enqueue([jobIn({ priority: 'notification', to: 'n1' })]);
        await s.enqueue([jobIn({ priority: 'reply', to: 'r1' }), jobIn({ priority: 'reply', to: 'r2' })]);
        const order: string[] = [];
        for (let j = await s.claimNext(claim('w')); j; j = await s.claimNext(claim('w'))) order.push(j.to);
        expect(order).toEqual(['r1', 'r2', 'n1', 'm1', 'm2']);
      });

      it('claimNext starts an attempt in one step: sending, attempts + 1, lease, crash marker on the first unsent part', async () => {
        const [a, b] = await s.enqueue([jobIn({ to: 'a' }), jobIn({ to: 'b', attempts: 2, parts: [{ seq: 1, mr: 9 }, { seq: 2 }] })]);
        const ca = await s.claimNext({ owner: 'host1:m1', leaseMs: 60_000, now: NOW });
        expect(ca).toMatchObject({ id: a!.id, state: 'sending', attempts: 1, lease: { owner: 'host1:m1', until: '2026-01-02T00:01:00.000Z' }, writing: { seq: 1 } });
        expect(await s.getJob(a!.id)).toEqual(ca);
        const cb = await s.claimNext({ owner: 'host1:m1', leaseMs: 1000, now: NOW });
        expect(cb).toMatchObject({ id: b!.id, attempts: 3, writing: { seq: 2 }, lease: { until: '2026-01-02T00:00:01.000Z' } });
        expect(await s.claimNext(claim('w'))).toBeUndefined();
        expect((await s.queueCounts()).byState).toMatchObject({ queued: 0, sending: 2 });
        await expect(s.claimNext({ owner: '', leaseMs: 1000 })).rejects.toThrow(/owner/);
        await expect(s.claimNext({ owner: 'w', leaseMs: 0 })).rejects.toThrow(/leaseMs/);
      });

      it('claimNext respects nextAttemptAt and skips non-queued jobs; nextWakeup is the earliest queued', async () => {
        expect(await s.nextWakeup()).toBeUndefined();
        const [late, due] = await s.enqueue([
          jobIn({ priority: 'reply', to: 'late', nextAttemptAt: '2026-01-03T00:00:00.000Z' }),
          jobIn({ priority: 'mass', to: 'due', nextAttemptAt: '2026-01-01T12:00:00.000Z' }),
        ]);
        expect(await s.nextWakeup()).toEqual(new Date('2026-01-01T12:00:00.000Z'));
        expect(await s.claimNext(claim('w', new Date('2026-01-01T11:59:59.000Z')))).toBeUndefined();
        expect((await s.claimNext(claim('w')))!.id).toBe(due!.id);
        expect(await s.claimNext(claim('w'))).toBeUndefined();
        expect(await s.nextWakeup()).toEqual(new Date('2026-01-03T00:00:00.000Z'));
        // back-off: the retried job goes back to queued with a later time, and keeps its FIFO place
        await s.updateJob(due!.id, { state: 'queued', nextAttemptAt: '2026-01-02T00:00:00.000Z' });
        expect(await s.claimNext(claim('w', new Date('2026-01-01T23:59:59.000Z')))).toBeUndefined();
        expect((await s.claimNext(claim('w')))!.id).toBe(due!.id);
        expect((await s.claimNext(claim('w', new Date('2026-01-03T00:00:00.000Z'))))!.id).toBe(late!.id);
      });

      it('a re-queued job keeps its FIFO place among same-priority jobs', async () => {
        const [a, b, c] = await s.enqueue([jobIn({ to: 'a' }), jobIn({ to: 'b' }), jobIn({ to: 'c' })]);
        expect((await s.claimNext(claim('w')))!.id).toBe(a!.id);
        expect((await s.claimNext(claim('w')))!.id).toBe(b!.id);
        await s.updateJob(b!.id, { state: 'queued' });
        await s.updateJob(a!.id, { state: 'queued' });
        expect((await s.claimNext(claim('w')))!.id).toBe(a!.id);
        expect((await s.claimNext(claim('w')))!.id).toBe(b!.id);
        expect((await s.claimNext(claim('w')))!.id).toBe(c!.id);
      });

      it('claimNext with priorities takes only those (mass texts waiting for their rate limit)', async () => {
        const [m, n] = await s.enqueue([jobIn({ priority: 'mass' }), jobIn({ priority: 'notification' })]);
        expect((await s.claimNext({ ...claim('w'), priorities: ['reply', 'notification'] }))!.id).toBe(n!.id);
        expect(await s.claimNext({ ...claim('w'), priorities: ['reply', 'notification'] })).toBeUndefined();
        expect((await s.claimNext(claim('w')))!.id).toBe(m!.id);
      });

      it('claimNext with a modem takes jobs pinned to it and unpinned ones; without, every job', async () => {
        const [p1, p2, any1, p1b] = await s.enqueue([
          jobIn({ to: 'p1', modem: 'm1' }),
          jobIn({ to: 'p2', modem: 'm2' }),
          jobIn({ to: 'any' }),
          jobIn({ to: 'p1b', modem: 'm1' }),
        ]);
        const byM1: string[] = [];
        for (let j = await s.claimNext({ ...claim('w1'), modem: 'm1' }); j; j = await s.claimNext({ ...claim('w1'), modem: 'm1' })) byM1.push(j.id);
        expect(byM1).toEqual([p1!.id, any1!.id, p1b!.id]);
        const [p3] = await s.enqueue([jobIn({ to: 'p3', modem: 'm3' })]);
        expect((await s.claimNext(claim('all')))!.id).toBe(p2!.id);
        expect((await s.claimNext(claim('all')))!.id).toBe(p3!.id);
        expect((await s.listJobs({ modem: 'm1' })).map((j) => j.id)).toEqual([p1b!.id, p1!.id]);
      });

      it('claimNext records the claiming modem as via; pinnedFirst takes own pinned jobs before older unpinned ones', async () => {
        const [any1, p1, any2, p2] = await s.enqueue([
          jobIn({ to: 'any1' }),
          jobIn({ to: 'p1', modem: 'm1' }),
          jobIn({ to: 'any2' }),
          jobIn({ to: 'p2', modem: 'm1' }),
        ]);
        await s.enqueue([jobIn({ to: 'r', priority: 'reply' })]);
        expect(await s.queuedByModem()).toEqual({ pinned: { m1: 2 }, unpinned: 3 });
        const order: string[] = [];
        for (let j = await s.claimNext({ ...claim('w1'), modem: 'm1', pinnedFirst: true }); j; j = await s.claimNext({ ...claim('w1'), modem: 'm1', pinnedFirst: true })) {
          expect(j.via).toBe('m1');
          order.push(j.to);
        }
        // Priority still comes first: the unpinned reply before the pinned notifications.
        expect(order).toEqual(['r', 'p1', 'p2', 'any1', 'any2']);
        expect([any1, p1, any2, p2].every(Boolean)).toBe(true);
        expect(await s.queuedByModem()).toEqual({ pinned: {}, unpinned: 0 });
        const [x] = await s.enqueue([jobIn({ to: 'x' })]);
        expect((await s.claimNext(claim('all')))!.via).toBeUndefined();
        expect((await s.getJob(x!.id))!.via).toBeUndefined();
      });

      it('two workers claiming at once never get the same job (2 claimers x 200 jobs)', async () => {
        const jobs = await s.enqueue(Array.from({ length: 200 }, (_, i) => jobIn({ to: `+7900${String(i).padStart(7, '0')}`, priority: i % 3 ? 'mass' : 'reply' })));
        const run = async (owner: string) => {
          const got: string[] = [];
          for (;;) {
            // Two claims in flight per worker, interleaved with the other worker's.
            const [x, y] = await Promise.all([s.claimNext(claim(owner)), s.claimNext(claim(owner))]);
            for (const j of [x, y]) if (j) got.push(j.id);
            if (!x && !y) return got;
          }
        };
        const [a, b] = await Promise.all([run('host-a:m1'), run('host-b:m1')]);
        expect(a.length).toBeGreaterThan(0);
        expect(b.length).toBeGreaterThan(0);
        expect(a.length + b.length).toBe(200);
        expect(new Set([...a, ...b]).size).toBe(200);
        expect(new Set([...a, ...b])).toEqual(new Set(jobs.map((j) => j.id)));
        for (const id of a) expect((await s.getJob(id))!.lease!.owner).toBe('host-a:m1');
      });

      it('renewLease extends the holder\'s lease; another owner, or a job no longer sending, gets LEASE_LOST', async () => {
        const [j] = await s.enqueue([jobIn()]);
        await expect(s.renewLease(j!.id, 'w', 1000)).rejects.toMatchObject({ code: 'STORE_LEASE_LOST' });
        await s.claimNext({ owner: 'w', leaseMs: 1000, now: NOW });
        const later = new Date(NOW.getTime() + 500);
        expect((await s.renewLease(j!.id, 'w', 60_000, later)).lease).toEqual({ owner: 'w', until: '2026-01-02T00:01:00.500Z' });
        await expect(s.renewLease(j!.id, 'other', 1000, later)).rejects.toMatchObject({ code: 'STORE_LEASE_LOST' });
        await expect(s.renewLease('job-424242', 'w', 1000)).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
        const sent = await s.updateJob(j!.id, { state: 'sent' });
        expect(sent.lease).toBeUndefined();
        expect((await s.getJob(j!.id))!.lease).toBeUndefined();
        await expect(s.renewLease(j!.id, 'w', 1000)).rejects.toMatchObject({ code: 'STORE_LEASE_LOST' });
      });

      it('claimStranded: own leases at once, a live foreign lease never, an expired one taken over', async () => {
        const [j] = await s.enqueue([jobIn()]);
        await s.claimNext({ owner: 'host-a', leaseMs: 60_000, now: NOW });
        const t = (sec: number) => new Date(NOW.getTime() + sec * 1000);
        // host-b while host-a's lease is live: nothing, and host-a's job is untouched.
        expect(await s.claimStranded({ owner: 'host-b', leaseMs: 60_000, now: t(30) })).toEqual([]);
        expect((await s.getJob(j!.id))!.lease).toEqual({ owner: 'host-a', until: '2026-01-02T00:01:00.000Z' });
        // host-a restarted: its own job comes back at once, under a fresh lease.
        const own = await s.claimStranded({ owner: 'host-a', leaseMs: 60_000, now: t(30) });
        expect(own.map((x) => [x.id, x.state, x.lease])).toEqual([[j!.id, 'sending', { owner: 'host-a', until: '2026-01-02T00:01:30.000Z' }]]);
        // host-a dies; once its lease expires host-b takes the job over, and host-a has lost it.
        expect(await s.claimStranded({ owner: 'host-b', leaseMs: 60_000, now: t(89) })).toEqual([]);
        const taken = await s.claimStranded({ owner: 'host-b', leaseMs: 60_000, now: t(90) });
        expect(taken.map((x) => [x.id, x.lease?.owner])).toEqual([[j!.id, 'host-b']]);
        await expect(s.renewLease(j!.id, 'host-a', 60_000, t(91))).rejects.toMatchObject({ code: 'STORE_LEASE_LOST' });
        expect(await s.claimStranded({ owner: 'host-c', leaseMs: 60_000, now: t(91) })).toEqual([]);
      });

      it('claimStranded takes a sending job without a lease, honours modem pins, leaves other states alone', async () => {
        const [legacy, pinned, queued] = await s.enqueue([jobIn({ to: 'legacy' }), jobIn({ to: 'pinned', modem: 'm2' }), jobIn({ to: 'queued' })]);
        await s.updateJob(legacy!.id, { state: 'sending' });
        await s.updateJob(pinned!.id, { state: 'sending' });
        expect((await s.claimStranded({ owner: 'w1', leaseMs: 1000, modem: 'm1', now: NOW })).map((x) => x.id)).toEqual([legacy!.id]);
        expect((await s.claimStranded({ owner: 'w2', leaseMs: 1000, modem: 'm2', now: NOW })).map((x) => x.id)).toEqual([pinned!.id]);
        expect((await s.getJob(queued!.id))!.state).toBe('queued');
      });

      it('concatRef: fixed per job and stored with it, the next one for the next job', async () => {
        const [a, b] = await s.enqueue([jobIn(), jobIn()]);
        const ra = await s.concatRef(a!.id);
        expect(await s.concatRef(a!.id)).toBe(ra);
        const rb = await s.concatRef(b!.id);
        expect(rb).toBe((ra + 1) % 256);
        expect((await s.getJob(a!.id))!.concatRef).toBe(ra);
        await expect(s.concatRef('job-424242')).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
      });
      it('updateJob patches, stamps updatedAt, rejects unknown ids', async () => {
        const [j] = await s.enqueue([jobIn()]);
        const u = await s.updateJob(j!.id, {
          state: 'failed',
          attempts: 3,
          lastError: '+CMS ERROR: 500',
          reason: 'network',
          parts: [{ seq: 1, mr: 12 }],
          updatedAt: '2030-01-01T00:00:00.000Z',
        });
        expect(u).toMatchObject({ id: j!.id, state: 'failed', attempts: 3, reason: 'network', parts: [{ seq: 1, mr: 12 }] });
        expect(u.updatedAt).toBe('2030-01-01T00:00:00.000Z');
        expect(u.createdAt).toBe(j!.createdAt);
        expect(await s.getJob(j!.id)).toEqual(u);
        const u2 = await s.updateJob(j!.id, { attempts: 4 });
        expect(u2.updatedAt).not.toBe('2030-01-01T00:00:00.000Z');
        await expect(s.updateJob('job-424242', { state: 'sent' })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
      });

      it('listJobs: newest first, filters state/priority/campaignId, limit', async () => {
        const jobs = await s.enqueue([
          jobIn({ to: '1', priority: 'mass', campaignId: 'c1' }),
          jobIn({ to: '2', priority: 'reply' }),
          jobIn({ to: '3', priority: 'mass', campaignId: 'c1' }),
          jobIn({ to: '4', priority: 'notification' }),
        ]);
        await s.updateJob(jobs[0]!.id, { state: 'sent' });
        expect((await s.listJobs()).map((j) => j.to)).toEqual(['4', '3', '2', '1']);
        expect((await s.listJobs({ limit: 2 })).map((j) => j.to)).toEqual(['4', '3']);
        expect((await s.listJobs({ state: 'queued' })).map((j) => j.to)).toEqual(['4', '3', '2']);
        expect((await s.listJobs({ state: 'sent' })).map((j) => j.to)).toEqual(['1']);
        expect((await s.listJobs({ priority: 'mass' })).map((j) => j.to)).toEqual(['3', '1']);
        expect((await s.listJobs({ campaignId: 'c1', state: 'queued' })).map((j) => j.to)).toEqual(['3']);
      });

      it('listJobs by recipient, account and time (createdAt or sentAt)', async () => {
        const A = '+79001112233';
        const [a1, , a2] = await s.enqueue([jobIn({ to: A, account: 'crm' }), jobIn({ to: '+79004445566' }), jobIn({ to: A })]);
        await s.updateJob(a1!.id, { state: 'sent', sentAt: '2026-01-05T10:00:00.000Z' });
        expect((await s.listJobs({ to: A })).map((j) => j.id)).toEqual([a2!.id, a1!.id]);
        expect((await s.listJobs({ to: A, account: 'crm' })).map((j) => j.id)).toEqual([a1!.id]);
        expect((await s.listJobs({ to: '+70000000000' }))).toEqual([]);
        const created = a1!.createdAt;
        expect(await s.listJobs({ to: A, since: created })).toHaveLength(2);
        expect(await s.listJobs({ to: A, until: created })).toEqual([]);
        expect(await s.listJobs({ since: new Date(Date.parse(created) + 1).toISOString() })).toEqual([]);
        expect((await s.listJobs({ timeField: 'sentAt', since: '2026-01-05T00:00:00.000Z' })).map((j) => j.id)).toEqual([a1!.id]);
        expect(await s.listJobs({ timeField: 'sentAt', since: '2026-01-05T10:00:00.001Z' })).toEqual([]);
        expect((await s.listJobs({ timeField: 'sentAt', until: '2026-01-05T10:00:00.001Z' })).map((j) => j.id)).toEqual([a1!.id]);
        expect(await s.listJobs({ timeField: 'sentAt', until: '2026-01-05T10:00:00.000Z' })).toEqual([]);
        await expect(s.listJobs({ since: 'yesterday' })).rejects.toThrow(/since is not an ISO date/);
      });

      it('lastSentTo: the newest sent job with an account to that number, within the window', async () => {
        const A = '+79001112233';
        const B = '+79004445566';
        const [old, newer, system, queued, other] = await s.enqueue([
          jobIn({ to: A, account: 'crm' }),
          jobIn({ to: A, account: 'billing' }),
          jobIn({ to: A }),
          jobIn({ to: A, account: 'support' }),
          jobIn({ to: B, account: 'crm' }),
        ]);
        expect(await s.lastSentTo(A, '2026-01-01T00:00:00.000Z')).toBeUndefined();
        await s.updateJob(old!.id, { state: 'sent', sentAt: '2026-01-05T10:00:00.000Z' });
        expect(await s.lastSentTo(A, '2026-01-01T00:00:00.000Z')).toEqual({ jobId: old!.id, account: 'crm', sentAt: '2026-01-05T10:00:00.000Z' });
        await s.updateJob(newer!.id, { state: 'sent', sentAt: '2026-01-06T10:00:00.000Z' });
        await s.updateJob(system!.id, { state: 'sent', sentAt: '2026-01-07T10:00:00.000Z' }); // no account: not a sender
        await s.updateJob(queued!.id, { state: 'failed' });
        await s.updateJob(other!.id, { state: 'sent', sentAt: '2026-01-08T10:00:00.000Z' });
        expect(await s.lastSentTo(A, '2026-01-01T00:00:00.000Z')).toEqual({ jobId: newer!.id, account: 'billing', sentAt: '2026-01-06T10:00:00.000Z' });
        expect(await s.lastSentTo(A, '2026-01-06T10:00:00.001Z')).toBeUndefined();
        expect((await s.lastSentTo(B, '2026-01-08T00:00:00.000Z'))!.account).toBe('crm');
        expect(await s.lastSentTo('+70000000000', '2026-01-01T00:00:00.000Z')).toBeUndefined();
      });

      it('queueCounts: byState over all jobs, byPriority over pending (queued or sending) jobs', async () => {
        const jobs = await s.enqueue([
          jobIn({ priority: 'reply' }),
          jobIn({ priority: 'mass' }),
          jobIn({ priority: 'mass' }),
          jobIn({ priority: 'notification' }),
        ]);
        await s.updateJob(jobs[0]!.id, { state: 'sent' });
        await s.updateJob(jobs[1]!.id, { state: 'sending' });
        await s.updateJob(jobs[3]!.id, { state: 'failed' });
        expect(await s.queueCounts()).toEqual({
          byPriority: { reply: 0, notification: 0, mass: 2 },
          byState: { queued: 1, sending: 1, sent: 1, failed: 1, unknown: 0 },
        });
      });
    });

    describe('campaigns', () => {
      const camp = (id: string, createdAt: string): Campaign => ({
        id,
        name: 'Campaign ' + id,
        text: 'Sale!',
        createdAt,
        total: 3,
        skippedOptOut: 1,
        skippedInvalid: 0,
        duplicatesRemoved: 2,
      });
      it('put/get/list and progress by state', async () => {
        await s.putCampaign(camp('c2', '2026-01-02T00:00:00.000Z'));
        await s.putCampaign(camp('c1', '2026-01-01T00:00:00.000Z'));
        await s.putCampaign({ ...camp('c2', '2026-01-02T00:00:00.000Z'), total: 5 });
        expect((await s.getCampaign('c2'))!.total).toBe(5);
        expect(await s.getCampaign('nope')).toBeUndefined();
        expect((await s.listCampaigns()).map((c) => c.id)).toEqual(['c1', 'c2']);
        const jobs = await s.enqueue([jobIn({ campaignId: 'c1' }), jobIn({ campaignId: 'c1' }), jobIn({ campaignId: 'c1' }), jobIn({ campaignId: 'c2' })]);
        await s.updateJob(jobs[0]!.id, { state: 'sent' });
        await s.updateJob(jobs[1]!.id, { state: 'failed' });
        expect(await s.campaignProgress('c1')).toEqual({ queued: 1, sending: 0, sent: 1, failed: 1, unknown: 0 });
        expect(await s.campaignProgress('c2')).toEqual({ queued: 1, sending: 0, sent: 0, failed: 0, unknown: 0 });
        expect(await s.campaignProgress('none')).toEqual({ queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 });
      });
    });

    describe('opt-outs and small documents', () => {
      it('opt-out list of non-client numbers: set reports a change, list is sorted', async () => {
        expect(await s.listOptOuts()).toEqual([]);
        expect(await s.setOptOut('+79002222222', true)).toBe(true);
        expect(await s.setOptOut('+79001111111', true)).toBe(true);
        expect(await s.setOptOut('+79001111111', true)).toBe(false);
        expect(await s.hasOptOut('+79001111111')).toBe(true);
        expect(await s.hasOptOut('+79003333333')).toBe(false);
        expect(await s.listOptOuts()).toEqual(['+79001111111', '+79002222222']);
        expect(await s.setOptOut('+79001111111', false)).toBe(true);
        expect(await s.setOptOut('+79001111111', false)).toBe(false);
        expect(await s.hasOptOut('+79001111111')).toBe(false);
        expect(await s.hasOptOut('+79002222222')).toBe(true);
        expect(await s.listOptOuts()).toEqual(['+79002222222']);
      });

      it('server status snapshot and the receiver\'s seen parts: replaced whole, returned as copies', async () => {
        expect(await s.getStatus()).toBeUndefined();
        const st: ServerStatus = { pid: 1, startedAt: NOW.toISOString(), updatedAt: NOW.toISOString(), device: '/dev/x', modem: { state: 'ready', signal: { rssi: 17 } } };
        await s.putStatus(st);
        await s.putStatus({ ...st, modem: { state: 'recovering' } });
        const got = (await s.getStatus())!;
        expect(got).toEqual({ ...st, modem: { state: 'recovering' } });
        got.modem.state = 'mutated';
        expect((await s.getStatus())!.modem.state).toBe('recovering');
        expect(await s.getSeenParts()).toEqual({});
        await s.putSeenParts({ a: 1, b: 2 });
        await s.putSeenParts({ b: 2, c: 3 });
        expect(await s.getSeenParts()).toEqual({ b: 2, c: 3 });
      });
    });

    describe('delivery reports', () => {
      const T = Date.parse('2026-01-02T00:00:00.000Z');
      const at = (ms: number) => new Date(T + ms).toISOString();
      /** A job whose parts left with TP-SRR (mr per part) at T + offset. */
      const sentJob = (to: string, mrs: number[], offsetMs = 0, over: Partial<Job> = {}) =>
        jobIn({
          to,
          state: 'sent',
          parts: mrs.map((mr, i) => ({ seq: i + 1, mr, sentAt: at(offsetMs), report: true })),
          ...over,
        });

      it('finds parts by modem and TP-MR within the window, with their delivery state and report hashes', async () => {
        const [a, b, c, d] = await s.enqueue([
          sentJob('+79001111111', [7, 8]),
          sentJob('+79002222222', [7], 60_000),
          sentJob('+79003333333', [7], 0, { modem: 'm2' }),
          jobIn({ state: 'sent', parts: [{ seq: 1, mr: 7, sentAt: at(0) }] }), // no TP-SRR: never a candidate
        ]);
        void d;
        const got = await s.deliveryParts({ modem: 'default', mr: 7, since: at(-1000) });
        expect(got.map((r) => [r.jobId, r.seq, r.to, r.state]).sort()).toEqual([
          [a!.id, 1, '+79001111111', 'pending'],
          [b!.id, 1, '+79002222222', 'pending'],
        ]);
        expect(await s.deliveryParts({ modem: 'm2', mr: 7, since: at(-1000) })).toMatchObject([{ jobId: c!.id, modem: 'm2' }]);
        expect(await s.deliveryParts({ modem: 'default', mr: 7, since: at(30_000) })).toMatchObject([{ jobId: b!.id }]);
        expect(await s.deliveryParts({ modem: 'default', mr: 9, since: at(-1000) })).toEqual([]);
        // A report result on part 1 of job a: state and hashes come back; part 2 stays pending.
        await s.updateJob(a!.id, { delivery: { state: 'pending', parts: [{ seq: 1, mr: 7, state: 'delivered', status: 0, at: at(5000), reports: ['h1'] }] } });
        const after = await s.deliveryParts({ modem: 'default', mr: 7, since: at(-1000) });
        expect(after.find((r) => r.jobId === a!.id)).toMatchObject({ state: 'delivered', reports: ['h1'] });
        expect((await s.deliveryParts({ modem: 'default', mr: 8, since: at(-1000) }))[0]).toMatchObject({ jobId: a!.id, seq: 2, state: 'pending', reports: [] });
      });

      it('narrows to one recipient when asked (TP-MR is shared by one send in 256)', async () => {
        const [a, b] = await s.enqueue([sentJob('+79001111111', [5]), sentJob('+79002222222', [5], 1000, { sentAt: at(1000) })]);
        expect((await s.deliveryParts({ modem: 'default', mr: 5, since: at(-1000) })).map((r) => r.jobId).sort()).toEqual([a!.id, b!.id].sort());
        expect(await s.deliveryParts({ modem: 'default', mr: 5, since: at(-1000), to: '+79002222222' })).toMatchObject([{ jobId: b!.id, to: '+79002222222' }]);
        expect(await s.deliveryParts({ modem: 'default', mr: 5, since: at(-1000), to: '+79003333333' })).toEqual([]);
        // A job whose last part left before the window has nothing in it, narrowed or not.
        expect(await s.deliveryParts({ modem: 'default', mr: 5, since: at(2000), to: '+79002222222' })).toEqual([]);
      });

      it('sees parts sent after the first lookup (kept current on every job write)', async () => {
        expect(await s.deliveryParts({ modem: 'default', mr: 3, since: at(-1000) })).toEqual([]);
        const [j] = await s.enqueue([jobIn({ to: '+79004444444' })]);
        await s.updateJob(j!.id, { state: 'sent', parts: [{ seq: 1, mr: 3, sentAt: at(0), report: true }] });
        expect(await s.deliveryParts({ modem: 'default', mr: 3, since: at(-1000) })).toMatchObject([{ jobId: j!.id, state: 'pending' }]);
      });

      it('keeps unmatched reports once per hash, newest first, counting all', async () => {
        const r = (hash: string) => ({ hash, modem: 'default', mr: 1, recipient: '+79001111111', status: 0, at: at(0), receivedAt: at(1), reason: 'no-part', pdu: '00' });
        expect(await s.listUnmatchedReports()).toEqual({ total: 0, reports: [] });
        expect(await s.addUnmatchedReport(r('x'))).toBe(true);
        expect(await s.addUnmatchedReport(r('y'))).toBe(true);
        expect(await s.addUnmatchedReport(r('x'))).toBe(false);
        const l = await s.listUnmatchedReports();
        expect(l.total).toBe(2);
        expect(l.reports.map((x) => x.hash)).toEqual(['y', 'x']);
        expect((await s.listUnmatchedReports(1)).reports.map((x) => x.hash)).toEqual(['y']);
      });
    });

    describe('chat sessions', () => {
      it('put replaces the snapshot; get, list (live, since, oldest first) and delete', async () => {
        const a = chatSession('cs-0a', '2026-01-01T10:00:00.000Z');
        const b = chatSession('cs-0b', '2026-01-01T09:00:00.000Z', { endedAt: '2026-01-01T09:05:00.000Z' });
        await s.putChatSession(a);
        await s.putChatSession(b);
        a.conversations[0]!.messages.push({ id: 'cv-1.2', direction: 'in', from: '+79001234567', to: 'Ana', text: 'sí', at: '2026-01-01T10:01:00.000Z', state: 'received', inboxId: 'in-3' });
        a.nextEventId = 3;
        await s.putChatSession(a);
        a.nextEventId = 99; // the store keeps a copy, not the caller's object
        expect((await s.getChatSession('cs-0a'))!.conversations[0]!.messages).toHaveLength(2);
        expect((await s.getChatSession('cs-0a'))!.nextEventId).toBe(3);
        expect((await s.listChatSessions()).map((x) => x.id)).toEqual(['cs-0b', 'cs-0a']);
        expect((await s.listChatSessions({ live: true })).map((x) => x.id)).toEqual(['cs-0a']);
        expect((await s.listChatSessions({ since: '2026-01-01T09:30:00.000Z' })).map((x) => x.id)).toEqual(['cs-0a']);
        await s.deleteChatSession('cs-0b');
        await s.deleteChatSession('cs-0b'); // deleting twice is fine
        expect(await s.getChatSession('cs-0b')).toBeUndefined();
        expect((await s.listChatSessions()).map((x) => x.id)).toEqual(['cs-0a']);
      });

      it('useOnce: a key is accepted once until it expires', async () => {
        const future = new Date(Date.now() + 60_000).toISOString();
        expect(await s.useOnce('captcha:abc', future)).toBe(true);
        expect(await s.useOnce('captcha:abc', future)).toBe(false);
        expect(await s.useOnce('captcha:def', future)).toBe(true);
        const past = new Date(Date.now() - 1000).toISOString();
        expect(await s.useOnce('captcha:old', past)).toBe(true);
        expect(await s.useOnce('captcha:old', future)).toBe(true); // expired keys are forgotten
      });
    });

    describe('forwards pulled by a session (claimForwards, the SMPP deliver queue)', () => {
      const T = Date.parse('2026-03-01T10:00:00.000Z');
      const at = (ms: number) => new Date(T + ms).toISOString();
      const pulled = (account: string, text: string, due = 0, over: Partial<NewForward> = {}): NewForward => ({
        messageId: `msg_${account}_${text}`,
        account,
        channel: 'smpp',
        target: account,
        type: 'sms.received',
        ref: 'in-1',
        payload: { kind: 'sms', from: '+79001234567', text, receivedAt: at(0) },
        status: 'pending',
        tries: 0,
        attempts: [],
        nextAttemptAt: at(due),
        ...over,
      });
      const texts = (fs: { payload: Record<string, unknown> }[]) => fs.map((f) => f.payload.text);
      const claim = (account: string, now: number, limit = 10, leaseMs = 1000) => s.claimForwards({ account, channel: 'smpp', now: new Date(T + now), limit, leaseMs });

      it('takes one account\'s due forwards on one channel, oldest due first, up to the limit, and leases them in the same write', async () => {
        await s.addForwards([
          pulled('acme', 'later', 50),
          pulled('acme', 'first', 0),
          pulled('beta', 'other account', 0),
          pulled('acme', 'webhook', 0, { channel: 'webhook', target: 'https://a.example/h' }),
          pulled('acme', 'not yet', 5_000),
          pulled('acme', 'second', 10),
        ]);
        const r = await claim('acme', 100, 2, 1000);
        expect(texts(r.forwards)).toEqual(['first', 'second']);
        expect(r.forwards.map((f) => [f.tries, f.nextAttemptAt, f.status])).toEqual([
          [1, at(1100), 'pending'],
          [1, at(1100), 'pending'],
        ]);
        expect(r.nextDueAt).toBe(at(50)); // 'later' is due and was left by the limit
        expect((await s.getForward(r.forwards[0]!.id))!.nextAttemptAt).toBe(at(1100));
        expect(texts((await claim('acme', 100)).forwards)).toEqual(['later']);
        expect((await claim('acme', 1099)).forwards).toEqual([]); // leased until 1100
        const again = await claim('acme', 1100);
        // All three leases ran out at 1100: equal due times go by id.
        expect(texts(again.forwards)).toEqual(['later', 'first', 'second']);
        expect(again.forwards.map((f) => f.tries)).toEqual([2, 2, 2]);
        expect(texts((await claim('beta', 0)).forwards)).toEqual(['other account']);
      });

      it('a done forward is never claimed again; a re-timed one is due when it says; limit 0 only answers nextDueAt', async () => {
        const [a, b] = await s.addForwards([pulled('acme', 'a'), pulled('acme', 'b')]);
        await claim('acme', 0, 10, 60_000);
        await s.updateForward(a!.id, { status: 'delivered', deliveredAt: at(5), nextAttemptAt: undefined });
        await s.updateForward(b!.id, { nextAttemptAt: at(7_000), attempts: [{ at: at(5), ms: 0, error: 'refused' }] });
        const peek = await claim('acme', 0, 0);
        expect(peek).toEqual({ forwards: [], nextDueAt: at(7_000) });
        expect((await claim('acme', 6_999)).forwards).toEqual([]);
        const [got] = (await claim('acme', 7_000)).forwards;
        expect(got).toMatchObject({ id: b!.id, tries: 2, attempts: [{ error: 'refused' }] });
        await s.updateForward(b!.id, { status: 'delivered', nextAttemptAt: undefined });
        expect(await claim('acme', 1e9)).toEqual({ forwards: [] });
        expect((await s.pendingForwards()).length).toBe(0);
      });
    });
  });
}

export function chatSession(id: string, createdAt: string, over: Partial<ChatSession> = {}): ChatSession {
  return {
    id,
    tokenHash: 'ab'.repeat(32),
    createdAt,
    lastActivityAt: createdAt,
    expiresAt: new Date(Date.parse(createdAt) + 300_000).toISOString(),
    conversations: [
      {
        id: 'cv-1',
        mobile: '+79001234567',
        name: 'Ana',
        startedAt: createdAt,
        messages: [{ id: 'cv-1.1', direction: 'out', from: 'Ana', to: '+79001234567', text: 'hola', at: createdAt, state: 'queued', jobId: 'job-1' }],
      },
    ],
    events: [{ id: 1, type: 'message', data: { conversationId: 'cv-1' } }],
    nextEventId: 2,
    ...over,
  };
}
