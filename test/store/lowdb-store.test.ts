import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb/lowdb-store.js';
import type { Clock } from '../../src/util/clock.js';
import { accountsContract, forwardIn } from './accounts-contract.js';
import { chatSession, client, inbound, jobIn, storeContract } from './contract.js';
import { listFiles, modeOf, removeDir, tempDir } from './helpers.js';

storeContract('LowdbStore', async () => {
  const dir = await tempDir();
  return { store: new LowdbStore(dir), cleanup: () => removeDir(dir) };
});

storeContract('LowdbStore (no journal: a CLI\'s direct write)', async () => {
  const dir = await tempDir();
  return { store: new LowdbStore(dir, { journal: false, segmentSize: 3, cacheSegments: 1 }), cleanup: () => removeDir(dir) };
});

storeContract('LowdbStore (segment size 3)', async () => {
  const dir = await tempDir();
  return { store: new LowdbStore(dir, { segmentSize: 3, cacheSegments: 1, dedupSegments: 2 }), cleanup: () => removeDir(dir) };
});

accountsContract('LowdbStore', async () => {
  const dir = await tempDir();
  return { store: new LowdbStore(dir), cleanup: () => removeDir(dir) };
});

accountsContract('LowdbStore (segment size 2)', async () => {
  const dir = await tempDir();
  return { store: new LowdbStore(dir, { segmentSize: 2, cacheSegments: 1 }), cleanup: () => removeDir(dir) };
});

const NOW = new Date('2026-01-02T00:00:00.000Z');

describe('LowdbStore on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('keeps chat sessions and used single-use keys across close and reopen, one 0600 file per session', async () => {
    const a = new LowdbStore(dir);
    await a.open();
    await a.putChatSession(chatSession('cs-01', '2026-01-01T10:00:00.000Z'));
    await a.putChatSession(chatSession('cs-02', '2026-01-01T10:01:00.000Z'));
    await a.deleteChatSession('cs-02');
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await a.useOnce('captcha:x', future)).toBe(true);
    await expect(a.putChatSession(chatSession('../evil', '2026-01-01T10:00:00.000Z'))).rejects.toThrow(/not a chat session id/);
    await a.close();
    expect(await modeOf(path.join(dir, 'chat', 'sessions', 'cs-01.json'))).toBe(0o600);
    const ro = new LowdbStore(dir, { readOnly: true });
    await ro.open();
    expect((await ro.listChatSessions()).map((x) => x.id)).toEqual(['cs-01']);
    await expect(ro.useOnce('captcha:y', future)).rejects.toThrow(/read-only/);
    await ro.close();
    const b = new LowdbStore(dir);
    await b.open();
    expect(await b.getChatSession('cs-01')).toEqual(chatSession('cs-01', '2026-01-01T10:00:00.000Z'));
    expect(await b.useOnce('captcha:x', future)).toBe(false); // a replay after a restart is still refused
    await b.close();
  });

  it('keeps everything across close and reopen', async () => {
    const a = new LowdbStore(dir, { segmentSize: 4 });
    await a.open();
    const entries = [];
    for (let i = 0; i < 10; i++) entries.push((await a.addInbound(inbound(i))).entry);
    await a.updateInbound(entries[2]!.id, { status: 'processed' });
    await a.upsertClient(client('+79001111111'));
    await a.putPartial({ key: 'k', sender: '+7', ref: 1, refBits: 8, total: 2, parts: [], firstAt: NOW.toISOString() });
    await a.putCampaign({ id: 'c/1', name: 'n', text: 't', createdAt: NOW.toISOString(), total: 1, skippedOptOut: 0, skippedInvalid: 0, duplicatesRemoved: 0 });
    await a.setOptOut('+79009999999', true);
    await a.putSeenParts({ part: 7 });
    const jobs = await a.enqueue(Array.from({ length: 9 }, (_, i) => jobIn({ to: String(i), campaignId: 'c/1', priority: i === 8 ? 'reply' : 'mass' })));
    await a.updateJob(jobs[0]!.id, { state: 'sent' });
    await a.updateJob(jobs[1]!.id, { state: 'queued', nextAttemptAt: '2026-01-05T00:00:00.000Z', attempts: 1 });
    await a.close();

    const b = new LowdbStore(dir, { segmentSize: 999 }); // existing folder keeps its segment size
    await b.open();
    expect((await b.listInbound()).map((e) => e.text)).toEqual([...entries].reverse().map((e) => e.text));
    expect((await b.getInbound(entries[2]!.id))!.status).toBe('processed');
    expect((await b.addInbound(inbound(3))).duplicate).toBe(true);
    const next = await b.addInbound(inbound(10));
    expect(next.entry.id).not.toBe(entries[9]!.id);
    expect(await b.getClient('+79001111111')).toEqual(client('+79001111111'));
    expect((await b.listPartials()).map((p) => p.key)).toEqual(['k']);
    expect((await b.getCampaign('c/1'))!.name).toBe('n');
    expect(await b.listOptOuts()).toEqual(['+79009999999']);
    expect(await b.getSeenParts()).toEqual({ part: 7 });
    expect(await b.campaignProgress('c/1')).toEqual({ queued: 8, sending: 0, sent: 1, failed: 0, unknown: 0 });
    expect((await b.queueCounts()).byPriority).toEqual({ reply: 1, notification: 0, mass: 7 });
    const order: string[] = [];
    const claim = { owner: 'w', leaseMs: 1000, now: NOW };
    for (let j = await b.claimNext(claim); j; j = await b.claimNext(claim)) {
      order.push(j.to);
      await b.updateJob(j.id, { state: 'sent' });
    }
    expect(order).toEqual(['8', '2', '3', '4', '5', '6', '7']);
    expect(await b.nextWakeup()).toEqual(new Date('2026-01-05T00:00:00.000Z'));
    await b.close();
  });

  it('rolls segments over at segmentSize, under inbox/YYYY-MM/ and jobs/YYYY-MM/', async () => {
    const s = new LowdbStore(dir, { segmentSize: 3, clock: { now: () => Date.parse('2026-03-15T00:00:00Z'), setTimeout, clearTimeout } });
    await s.open();
    for (let i = 0; i < 7; i++) await s.addInbound(inbound(i));
    await s.enqueue(Array.from({ length: 5 }, () => jobIn()));
    await s.close();
    const files = await listFiles(dir);
    expect(files.filter((f) => f.startsWith('inbox/'))).toEqual([
      'inbox/2026-03/seg-000000.json',
      'inbox/2026-03/seg-000001.json',
      'inbox/2026-03/seg-000002.json',
      'inbox/head.json',
    ]);
    expect(files.filter((f) => f.startsWith('jobs/'))).toEqual(['jobs/2026-03/seg-000000.json', 'jobs/2026-03/seg-000001.json', 'jobs/head.json']);
    const seg = JSON.parse(await readFile(path.join(dir, 'inbox/2026-03/seg-000002.json'), 'utf8'));
    expect(seg.records.map((e: { text: string }) => e.text)).toEqual(['message 6']);
  });

  it('closes finished job segments into queue/index.json and reopens one when a finished job changes', async () => {
    const s = new LowdbStore(dir, { segmentSize: 2 });
    await s.open();
    const jobs = await s.enqueue([jobIn({ campaignId: 'c' }), jobIn({ campaignId: 'c' }), jobIn({ campaignId: 'c' })]);
    await s.updateJob(jobs[0]!.id, { state: 'sent' });
    await s.updateJob(jobs[1]!.id, { state: 'failed' });
    const idx = async () => JSON.parse(await readFile(path.join(dir, 'queue/index.json'), 'utf8'));
    expect((await idx()).closed).toEqual([[0, 0]]);
    expect((await idx()).closedCampaigns.c).toMatchObject({ sent: 1, failed: 1 });
    // an unknown outcome re-queued: segment 0 opens again
    await s.updateJob(jobs[1]!.id, { state: 'queued' });
    expect((await idx()).closed).toEqual([]);
    await s.close();
    const r = new LowdbStore(dir);
    await r.open();
    expect((await r.claimNext({ owner: 'w', leaseMs: 1000, now: NOW }))!.id).toBe(jobs[1]!.id);
    await r.updateJob(jobs[1]!.id, { state: 'queued' });
    expect(await r.campaignProgress('c')).toEqual({ queued: 2, sending: 0, sent: 1, failed: 0, unknown: 0 });
    expect((await r.queueCounts()).byState).toEqual({ queued: 2, sending: 0, sent: 1, failed: 0, unknown: 0 });
    await r.close();
  });

  it('creates files 0600 and directories 0700', async () => {
    const s = new LowdbStore(dir, { segmentSize: 2 });
    await s.open();
    await s.addInbound(inbound(1));
    await s.enqueue([jobIn()]);
    await s.upsertClient(client('+79001111111'));
    await s.setOptOut('+79001111111', true);
    await s.putCampaign({ id: 'c', name: 'n', text: 't', createdAt: NOW.toISOString(), total: 1, skippedOptOut: 0, skippedInvalid: 0, duplicatesRemoved: 0 });
    const files = await listFiles(dir);
    expect(files).toContain('server.lock');
    expect(files).toContain('jobs/journal-000001.jsonl');
    for (const f of files) expect([f, await modeOf(path.join(dir, f))]).toEqual([f, 0o600]);
    await s.close(); // the checkpoint writes the segment files
    for (const f of await listFiles(dir)) expect([f, await modeOf(path.join(dir, f))]).toEqual([f, 0o600]);
    for (const d of ['inbox', 'jobs', 'campaigns', 'inbox/' + new Date().toISOString().slice(0, 7)]) {
      expect([d, await modeOf(path.join(dir, d))]).toEqual([d, 0o700]);
    }
  });

  it('a torn temp file left by a crash is ignored and removed at open', async () => {
    const a = new LowdbStore(dir);
    await a.open();
    const { entry } = await a.addInbound(inbound(1));
    await a.upsertClient(client('+79001111111'));
    await a.close();
    const month = (await listFiles(dir)).find((f) => f.startsWith('inbox/2'))!.split('/')[1]!;
    const junk = [
      path.join(dir, 'inbox', month, '.seg-000000.json.4242-deadbeef.tmp'),
      path.join(dir, '.clients.json.4242-cafebabe.tmp'),
    ];
    await writeFile(junk[0]!, '{"v":1,"n":0,"records":[{"id":"in-0","te');
    await writeFile(junk[1]!, '');
    const b = new LowdbStore(dir);
    await b.open();
    expect(await b.listInbound()).toEqual([entry]);
    expect((await b.listClients()).map((c) => c.phone)).toEqual(['+79001111111']);
    const files = await listFiles(dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await b.addInbound(inbound(2));
    await b.close();
  });

  it('readOnly lists without taking the lock or writing anything', async () => {
    const w = new LowdbStore(dir, { segmentSize: 2 });
    await w.open();
    for (let i = 0; i < 5; i++) await w.addInbound(inbound(i));
    await w.enqueue([jobIn({ to: 'x' })]);
    await w.upsertClient(client('+79001111111'));
    const before = await listFiles(dir);
    const lockBefore = await readFile(path.join(dir, 'server.lock'), 'utf8');
    const r = new LowdbStore(dir, { readOnly: true });
    await r.open(); // the writer holds the lock: a reader must still open
    expect((await r.listInbound({ limit: 2 })).map((e) => e.text)).toEqual(['message 4', 'message 3']);
    expect((await r.listJobs()).map((j) => j.to)).toEqual(['x']);
    expect((await r.listClients()).map((c) => c.phone)).toEqual(['+79001111111']);
    await expect(r.addInbound(inbound(9))).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
    await expect(r.setOptOut('+79001111111', true)).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
    await expect(r.claimNext({ owner: 'w', leaseMs: 1000 })).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
    await r.close();
    expect(await listFiles(dir)).toEqual(before);
    expect(await readFile(path.join(dir, 'server.lock'), 'utf8')).toBe(lockBefore);
    await w.close();
  });

  it('readOnly on a missing folder is empty and creates nothing', async () => {
    const missing = path.join(dir, 'nope');
    const r = new LowdbStore(missing, { readOnly: true });
    await r.open();
    expect(await r.listInbound()).toEqual([]);
    expect(await r.queueCounts()).toMatchObject({ byState: { queued: 0 } });
    await r.close();
    await expect(readFile(path.join(missing, 'meta.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a second writer on the same folder is refused while the first is open', async () => {
    const a = new LowdbStore(dir);
    await a.open();
    await expect(new LowdbStore(dir).open()).rejects.toMatchObject({ code: 'DATA_LOCKED' });
    await a.close();
    const b = new LowdbStore(dir);
    await b.open();
    await b.close();
  });

  it('operations before open are refused with a typed error', async () => {
    const s = new LowdbStore(dir);
    await expect(s.listInbound()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('dedup survives reopen only within the recent-segment window', async () => {
    const a = new LowdbStore(dir, { segmentSize: 2, dedupSegments: 2 });
    await a.open();
    for (let i = 0; i < 8; i++) await a.addInbound(inbound(i));
    expect((await a.addInbound(inbound(0))).duplicate).toBe(false); // segment 0 left the window
    await a.close();
    const b = new LowdbStore(dir, { dedupSegments: 2 });
    await b.open();
    expect((await b.addInbound(inbound(7))).duplicate).toBe(true);
    expect((await b.addInbound(inbound(0))).duplicate).toBe(true); // the re-added copy is recent
    await b.close();
  });

  it('enqueue of many jobs writes each segment once and returns them in order', async () => {
    const s = new LowdbStore(dir, { segmentSize: 100, cacheSegments: 2 });
    await s.open();
    const jobs = await s.enqueue(Array.from({ length: 2500 }, (_, i) => jobIn({ to: String(i) })));
    expect(jobs.map((j) => j.to)).toEqual(Array.from({ length: 2500 }, (_, i) => String(i)));
    expect((await listFiles(dir)).filter((f) => /^jobs\/.*seg-/.test(f))).toHaveLength(25);
    expect((await s.getJob(jobs[1234]!.id))!.to).toBe('1234');
    expect((await s.queueCounts()).byPriority.mass).toBe(2500);
    await s.close();
  });

  it('leases, concatenation references and the last-sender index survive a reopen', async () => {
    const a = new LowdbStore(dir, { segmentSize: 2 });
    await a.open();
    const jobs = await a.enqueue([jobIn({ to: '+79001112233', account: 'crm' }), jobIn(), jobIn(), jobIn()]);
    await a.updateJob(jobs[0]!.id, { state: 'sent', sentAt: '2026-01-05T10:00:00.000Z' });
    expect(await a.concatRef(jobs[1]!.id)).toBe(0);
    expect(await a.concatRef(jobs[2]!.id)).toBe(1);
    const claimed = (await a.claimNext({ owner: 'host-a', leaseMs: 60_000, now: NOW }))!;
    await a.close();
    const b = new LowdbStore(dir);
    await b.open();
    expect(await b.lastSentTo('+79001112233', '2026-01-01T00:00:00.000Z')).toEqual({ jobId: jobs[0]!.id, account: 'crm', sentAt: '2026-01-05T10:00:00.000Z' });
    expect(await b.concatRef(jobs[3]!.id)).toBe(2);
    expect(await b.claimStranded({ owner: 'host-b', leaseMs: 1000, now: NOW })).toEqual([]);
    expect((await b.claimStranded({ owner: 'host-a', leaseMs: 1000, now: NOW })).map((j) => j.id)).toEqual([claimed.id]);
    await b.close();
  });

  it('lastSentTo answers from its index: 100k sent jobs, then a lookup without reading segments', async () => {
    const s = new LowdbStore(dir, { segmentSize: 5000, cacheSegments: 2 });
    await s.open();
    const n = 100_000;
    const sentAt = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    await s.enqueue(Array.from({ length: n }, (_, i) => jobIn({ to: `+7900${String(i % 40_000).padStart(7, '0')}`, account: `acc${i % 7}`, state: 'sent', sentAt: sentAt(i) })));
    const first = await s.lastSentTo('+79000012345', '2026-01-01T00:00:00.000Z'); // builds the index
    expect(first).toEqual({ jobId: 'job-92345', account: `acc${92345 % 7}`, sentAt: sentAt(92345) });
    // Later lookups and a newly sent job are served from memory (and kept current on write).
    const [next] = await s.enqueue([jobIn({ to: '+79000012345', account: 'new' })]);
    await s.updateJob(next!.id, { state: 'sent', sentAt: '2027-01-01T00:00:00.000Z' });
    expect((await s.lastSentTo('+79000012345', '2026-06-01T00:00:00.000Z'))!.account).toBe('new');
    await s.close();
  });

  it('delivery index stays bounded: a narrowed lookup still forgets the other recipients\' parts that left the window', async () => {
    const t0 = Date.parse('2026-01-02T00:00:00.000Z');
    const s = new LowdbStore(dir, { jobSegmentSize: 3 });
    await s.open();
    const sent = (to: string, ms: number) => jobIn({ to, state: 'sent', parts: [{ seq: 1, mr: 9, sentAt: new Date(ms).toISOString(), report: true }] });
    const [, fresh] = await s.enqueue([sent('+79001110001', t0), sent('+79001110002', t0 + 10 * 3_600_000)]);
    const keyJobs = () => (s as unknown as { delivery: { byKey: Map<string, Map<number, unknown>> } }).delivery.byKey.get('default|9');
    await s.deliveryParts({ modem: 'default', mr: 9, since: new Date(t0 - 1000).toISOString(), to: '+79001110002' });
    expect(keyJobs()?.size).toBe(2);
    // The window has moved past the first job's part: a lookup for the other recipient drops it.
    const got = await s.deliveryParts({ modem: 'default', mr: 9, since: new Date(t0 + 3_600_000).toISOString(), to: '+79001110002' });
    expect(got).toMatchObject([{ jobId: fresh!.id }]);
    expect(keyJobs()?.size).toBe(1);
    await s.close();
  });

  it('jobs sent since a time: segments closed before it are not read (the daily cap seeds from today only)', async () => {
    const t0 = Date.parse('2026-01-02T12:00:00.000Z');
    let now = t0;
    const clock = { now: () => now, setTimeout, clearTimeout } as unknown as Clock;
    const a = new LowdbStore(dir, { jobSegmentSize: 3, clock });
    await a.open();
    const sentAt = (ms: number) => ({ state: 'sent' as const, sentAt: new Date(ms).toISOString() });
    await a.enqueue(Array.from({ length: 3 }, (_, i) => jobIn({ to: `+7900000001${i}`, ...sentAt(t0) }))); // segment 0, closed at t0
    now = t0 + 86_400_000;
    const today = await a.enqueue(Array.from({ length: 2 }, (_, i) => jobIn({ to: `+7900000002${i}`, ...sentAt(now) })));
    await a.close();
    // Yesterday's closed segment is unreadable now: a scan that opened it would throw.
    const [seg0] = (await readdir(path.join(dir, 'jobs', '2026-01'))).filter((f) => f.startsWith('seg-000000'));
    await writeFile(path.join(dir, 'jobs', '2026-01', seg0!), '{ not json');
    const b = new LowdbStore(dir, { jobSegmentSize: 3, clock });
    await b.open();
    const midnight = new Date(Date.parse('2026-01-03T00:00:00.000Z')).toISOString();
    const got = await b.listJobs({ state: 'sent', since: midnight, timeField: 'sentAt' });
    expect(got.map((j) => j.id).sort()).toEqual(today.map((j) => j.id).sort());
    await expect(b.listJobs({ state: 'sent' })).rejects.toThrow(/seg-000000/);
    await b.close();
  });

  it('delivery index after a reopen: parts in segments closed within the window are found; a report does not reopen a closed segment', async () => {
    const t0 = Date.parse('2026-01-02T00:00:00.000Z');
    let now = t0;
    const clock = { now: () => now, setTimeout, clearTimeout } as unknown as Clock;
    const a = new LowdbStore(dir, { jobSegmentSize: 3, clock });
    await a.open();
    const sent = (i: number) => jobIn({ to: `+7900000000${i}`, state: 'sent', parts: [{ seq: 1, mr: 40 + i, sentAt: new Date(t0).toISOString(), report: true }] });
    const jobs = await a.enqueue(Array.from({ length: 7 }, (_, i) => sent(i)));
    await a.close();
    const index = () => readFile(path.join(dir, 'queue', 'index.json'), 'utf8');
    const closedIndex = JSON.parse(await index());
    expect(closedIndex.closed).toEqual([[0, 1]]);
    expect(Object.keys(closedIndex.closedAt)).toEqual(['0', '1']);

    now = t0 + 3_600_000;
    const b = new LowdbStore(dir, { jobSegmentSize: 3, clock });
    await b.open();
    const since = new Date(t0 - 3_600_000).toISOString();
    expect(await b.deliveryParts({ modem: 'default', mr: 41, since })).toMatchObject([{ jobId: jobs[1]!.id, state: 'pending' }]);
    expect(await b.deliveryParts({ modem: 'default', mr: 46, since })).toMatchObject([{ jobId: jobs[6]!.id }]);
    const before = await index();
    await b.updateJob(jobs[1]!.id, { delivery: { state: 'delivered', parts: [{ seq: 1, mr: 41, state: 'delivered', status: 0, reports: ['h'] }] } });
    expect(await index()).toBe(before);
    expect((await b.getJob(jobs[1]!.id))!.delivery!.state).toBe('delivered');
    expect((await b.queueCounts()).byState.sent).toBe(7);
    await b.close();
    const c = new LowdbStore(dir, { jobSegmentSize: 3, clock });
    await c.open();
    expect(await c.deliveryParts({ modem: 'default', mr: 41, since })).toMatchObject([{ state: 'delivered', reports: ['h'] }]);
    // Outside the window (asked with a later since): not a candidate any more.
    expect(await c.deliveryParts({ modem: 'default', mr: 41, since: new Date(t0 + 1).toISOString() })).toEqual([]);
    await c.close();
  });
});
describe('LowdbStore accounts and forwards on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('keeps accounts and pending forwards across reopen; finished segments are closed and not read at open', async () => {
    const a = new LowdbStore(dir, { segmentSize: 2 });
    await a.open();
    await a.putAccount({ login: 'acme', tokenHash: '0'.repeat(64), webhookSecretEnc: 'v1:a:b:c', createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() });
    const made = await a.addForwards(Array.from({ length: 5 }, (_, i) => forwardIn({ ref: `in-${i}` })));
    for (const f of made.slice(0, 3)) await a.updateForward(f.id, { status: 'delivered', nextAttemptAt: undefined });
    await a.close();
    const closed = JSON.parse(await readFile(path.join(dir, 'forwards', 'closed.json'), 'utf8')) as { closed: [number, number][] };
    expect(closed.closed).toEqual([[0, 0]]); // fwd-0, fwd-1 delivered: segment 0 closed; segment 1 holds fwd-3 pending
    expect(await modeOf(path.join(dir, 'accounts.json'))).toBe(0o600);

    const b = new LowdbStore(dir, { segmentSize: 2 });
    await b.open();
    expect((await b.getAccount('acme'))!.tokenHash).toBe('0'.repeat(64));
    expect((await b.pendingForwards()).map((f) => f.id)).toEqual(['fwd-3', 'fwd-4']);
    expect((await b.listForwards()).map((f) => f.id)).toEqual(['fwd-4', 'fwd-3', 'fwd-2', 'fwd-1', 'fwd-0']);
    // A retry of a forward in a closed segment reopens it.
    await b.updateForward('fwd-0', { status: 'pending', nextAttemptAt: NOW.toISOString() });
    await b.close();
    const c = new LowdbStore(dir, { segmentSize: 2 });
    await c.open();
    expect((await c.pendingForwards()).map((f) => f.id).sort()).toEqual(['fwd-0', 'fwd-3', 'fwd-4']);
    expect((await c.addForwards([forwardIn()]))[0]!.id).toBe('fwd-5');
    await c.close();
    const ro = new LowdbStore(dir, { readOnly: true });
    await ro.open();
    expect(await ro.listForwards({ status: 'pending' })).toHaveLength(4);
    await expect(ro.putAccount({ login: 'x', tokenHash: '', webhookSecretEnc: '', createdAt: '', updatedAt: '' })).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
    await ro.close();
  });

  it('routeInbound: a failure after the entry write (the commit point) is repaired at open — the forwards come back with their ids', async () => {
    const a = new LowdbStore(dir);
    await a.open();
    const { entry } = await a.addInbound(inbound(1, { text: 'acme: hi' }));
    // The forwards append fails after the inbox entry (claim + write-ahead copy) is durable, as a
    // crash there would leave it. (With the journal an append no longer writes a segment file at
    // once, so the failure is injected into the append itself.)
    const acc = (a as unknown as { acc: { append: (...x: unknown[]) => Promise<unknown> } }).acc;
    acc.append = async () => {
      throw new Error('crash between the entry write and the forwards append');
    };
    const planned = forwardIn({ ref: entry.id });
    await expect(a.routeInbound(entry.id, { status: 'processed', routedBy: 'prefix', account: 'acme' }, [planned])).rejects.toThrow();
    await a.close();

    const b = new LowdbStore(dir);
    await b.open();
    expect((await b.getInbound(entry.id))!.routedBy).toBe('prefix');
    const pending = await b.pendingForwards();
    expect(pending.map((f) => [f.id, f.messageId, f.ref])).toEqual([['fwd-0', planned.messageId, entry.id]]);
    // Replayed once: a second open adds nothing.
    await b.close();
    const c = new LowdbStore(dir);
    await c.open();
    expect(await c.listForwards()).toHaveLength(1);
    // The write-ahead copy is never handed out, and leaves the inbox file with a later write of its segment.
    expect(Object.keys((await c.getInbound(entry.id))!)).not.toContain('_forwardsWal');
    await c.addInbound(inbound(2));
    await c.close();
    const seg = (await listFiles(dir)).find((f) => f.startsWith('inbox/') && f.includes('seg-'))!;
    expect(await readFile(path.join(dir, seg), 'utf8')).not.toContain('_forwardsWal');
  });
});
