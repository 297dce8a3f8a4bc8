import { describe, it, expect } from 'vitest';
import { ModemUnavailableError } from '../../src/queue/errors.js';
import { ModemQuota } from '../../src/queue/modem-quota.js';
import { QueueWorker } from '../../src/queue/worker.js';
import { MemoryStore } from '../../src/store/memory.js';
import { AtTimeoutError, CmsError } from '../../src/at/errors.js';
import { PortClosedError } from '../../src/transport/errors.js';
import { decodePdu, type DecodedSubmit } from '../../src/sms/index.js';
import { FakeClock, FakeSender, queued, addClient, tick } from './helpers.js';

const A = '+79001234567';
const B = '+79007654321';
const LONG = 'Lorem ipsum dolor sit amet, '.repeat(12); // 336 GSM-7 chars → 3 parts

function setup(o: Partial<ConstructorParameters<typeof QueueWorker>[0]> = {}) {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const sender = new FakeSender();
  const worker = new QueueWorker({ store, sender, clock, rate: { massPerMinute: 0 }, dayOffsetMinutes: 0, ...o });
  return { clock, store, sender, worker };
}

const submit = (hex: string) => decodePdu(hex) as DecodedSubmit;

describe('QueueWorker ordering', () => {
  it('sends a reply queued behind 200 mass texts next, after the mass text in progress', async () => {
    const { store, sender, worker } = setup();
    await store.enqueue(Array.from({ length: 200 }, (_, i) => queued(`+7900000${String(i).padStart(4, '0')}`, `mass ${i}`, 'mass')));
    expect((await worker.step()).kind).toBe('done'); // mass 0 goes
    const [reply] = await store.enqueue([queued(A, 'your balance is 10', 'reply')]);
    const r = await worker.step();
    expect(r.kind === 'done' && r.job.id).toBe(reply!.id);
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['mass 0', 'your balance is 10']);
  });

  it('goes replies > notifications > mass, FIFO within a priority', async () => {
    const { store, sender, worker } = setup();
    await store.enqueue([queued(A, 'm1', 'mass'), queued(A, 'n1', 'notification'), queued(A, 'r1', 'reply'), queued(A, 'n2', 'notification'), queued(A, 'r2', 'reply')]);
    await worker.drain();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['r1', 'r2', 'n1', 'n2', 'm1']);
  });

  it('paces mass texts at the configured rate while replies do not wait', async () => {
    const { clock, store, sender, worker } = setup({ rate: { massPerMinute: 6 } });
    await store.enqueue([queued(A, 'm1', 'mass'), queued(B, 'm2', 'mass')]);
    await worker.drain();
    expect(sender.sent).toHaveLength(1);
    expect(await worker.step()).toEqual({ kind: 'rate-limited', waitMs: 10_000 });
    await store.enqueue([queued(B, 'reply', 'reply')]);
    await worker.drain();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['m1', 'reply']);
    clock.advance(10_000);
    await worker.drain();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['m1', 'reply', 'm2']);
  });
});

describe('QueueWorker persistence of a send', () => {
  it('records sent state, sentAt, attempts and TP-MR per part; one concat reference for all parts', async () => {
    const { clock, store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, LONG, 'notification')]);
    await worker.drain();
    const done = (await store.getJob(job!.id))!;
    expect(done.state).toBe('sent');
    expect(done.sentAt).toBe(new Date(clock.now()).toISOString());
    expect(done.attempts).toBe(1);
    const at = new Date(clock.now()).toISOString();
    expect(done.parts).toEqual([{ seq: 1, mr: 1, sentAt: at }, { seq: 2, mr: 2, sentAt: at }, { seq: 3, mr: 3, sentAt: at }]);
    const refs = sender.sent.map((s) => submit(s.part.hex).concat?.ref);
    expect(new Set(refs).size).toBe(1);
    expect(refs[0]).toBeTypeOf('number');
    // No report asked for: no TP-SRR, parts not marked.
    expect(sender.sent.every((s) => !submit(s.part.hex).statusReportRequest)).toBe(true);
  });

  it('asks for status reports when configured or per job; records which parts carry TP-SRR and when they left', async () => {
    const { clock, store, sender, worker } = setup({ deliveryReports: true });
    const [byDefault, off] = await store.enqueue([queued(A, LONG, 'notification'), queued(B, 'quiet', 'notification', { report: false })]);
    clock.advance(5000);
    await worker.drain();
    const srr = sender.sent.map((s) => [submit(s.part.hex).to, submit(s.part.hex).statusReportRequest]);
    expect(srr).toEqual([[A, true], [A, true], [A, true], [B, false]]);
    const j = (await store.getJob(byDefault!.id))!;
    expect(j.parts).toEqual([1, 2, 3].map((seq) => ({ seq, mr: seq, sentAt: new Date(clock.now()).toISOString(), report: true })));
    expect((await store.getJob(off!.id))!.parts).toEqual([{ seq: 1, mr: 4, sentAt: new Date(clock.now()).toISOString() }]);
    // And a job that asks for a report on a server that does not by default:
    const w2 = setup();
    const [asked] = await w2.store.enqueue([queued(A, 'report me', 'notification', { report: true })]);
    await w2.worker.drain();
    expect(submit(w2.sender.sent[0]!.part.hex).statusReportRequest).toBe(true);
    expect((await w2.store.getJob(asked!.id))!.parts).toMatchObject([{ seq: 1, report: true }]);
  });

  it('persists attempts before the PDU is written', async () => {
    const { store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'reply')]);
    let seen: unknown;
    sender.onSend = async () => {
      const j = await store.getJob(job!.id);
      seen = { state: j?.state, attempts: j?.attempts };
    };
    await worker.drain();
    expect(seen).toEqual({ state: 'sending', attempts: 1 });
  });

  it('hands out new concat references from a counter that survives a restart', async () => {
    const { clock, store, sender } = setup();
    await store.enqueue([queued(A, LONG, 'mass'), queued(B, LONG, 'mass')]);
    const w1 = new QueueWorker({ store, sender, clock, rate: { massPerMinute: 0 } });
    await w1.step();
    const w2 = new QueueWorker({ store, sender, clock, rate: { massPerMinute: 0 } }); // a new process
    await w2.step();
    const refs = sender.sent.map((s) => submit(s.part.hex).concat!.ref);
    expect(refs.slice(0, 3).every((r) => r === refs[0])).toBe(true);
    expect(refs.slice(3).every((r) => r === (refs[0]! + 1) % 256)).toBe(true);
  });
});

describe('QueueWorker retry policy', () => {
  it('retries CMS 500 with back-off 30 s, 1 min on the injected clock, then sends', async () => {
    const { clock, store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'notification')]);
    sender.failNext(new CmsError(500, 'AT+CMGS=20'), new CmsError(500, 'AT+CMGS=20'));
    const t0 = clock.now();
    expect((await worker.drain()).map((d) => d.outcome)).toEqual(['retry']);
    let j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'queued', attempts: 1, nextAttemptAt: new Date(t0 + 30_000).toISOString() });
    expect(j.lastError).toContain('500');
    expect(await worker.step()).toEqual({ kind: 'idle', wakeAt: new Date(t0 + 30_000) });
    clock.advance(30_000);
    await worker.drain();
    j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'queued', attempts: 2, nextAttemptAt: new Date(t0 + 30_000 + 60_000).toISOString() });
    clock.advance(59_999);
    expect(await worker.drain()).toEqual([]);
    clock.advance(1);
    await worker.drain();
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'sent', attempts: 3 });
    expect(sender.calls).toBe(3);
  });

  it('fails with attempts-exhausted and the last error after maxAttempts', async () => {
    const { clock, store, sender, worker } = setup({ policy: { maxAttempts: 2 } });
    const [job] = await store.enqueue([queued(A, 'hi', 'notification')]);
    sender.failNext(new CmsError(42), new CmsError(331));
    await worker.drain();
    clock.advance(30_000);
    await worker.drain();
    const j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'failed', reason: 'attempts-exhausted', attempts: 2 });
    expect(j.lastError).toContain('331');
  });

  it('fails an invalid number at once without touching the modem', async () => {
    const { store, sender, worker } = setup();
    const [job] = await store.enqueue([queued('+7900x', 'hi', 'reply')]);
    const [r] = await worker.drain();
    expect(r!.outcome).toBe('failed');
    const j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'failed', reason: 'invalid-number' });
    expect(j.lastError).toContain('InvalidNumberError');
    expect(sender.calls).toBe(0);
  });

  it('fails at once when the network says unidentified subscriber (CMS 28)', async () => {
    const { store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'reply')]);
    sender.failNext(new CmsError(28));
    await worker.drain();
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'failed', reason: 'invalid-number', attempts: 1 });
  });

  it('retries a prompt-stage timeout (no PDU written) without counting a duplicate', async () => {
    const { store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'reply')]);
    sender.failNext(new AtTimeoutError('AT+CMGS=20', 'prompt', 5000, []));
    await worker.drain();
    const j = (await store.getJob(job!.id))!;
    expect(j.state).toBe('queued');
    expect(j.duplicates ?? 0).toBe(0);
  });

  it('re-sends once after a final-stage timeout, counting the duplicate; a second unknown outcome is held', async () => {
    const { clock, store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'notification')]);
    sender.failNext(new AtTimeoutError('AT+CMGS=20', 'final', 60_000, []), new AtTimeoutError('AT+CMGS=20', 'final', 60_000, []));
    expect((await worker.drain())[0]!.outcome).toBe('resend');
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'queued', duplicates: 1, nextAttemptAt: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(60_000);
    expect((await worker.drain())[0]!.outcome).toBe('unknown');
    const j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'unknown', duplicates: 1, attempts: 2 });
    expect(j.lastError).toContain('final result');
    clock.advance(3_600_000);
    expect(await worker.drain()).toEqual([]);
  });

  it("holds an unknown outcome at once with onUnknown 'hold'", async () => {
    const { store, sender, worker } = setup({ policy: { onUnknown: 'hold' } });
    const [job] = await store.enqueue([queued(A, 'hi', 'mass')]);
    sender.failNext(new AtTimeoutError('AT+CMGS=20', 'final', 60_000, []));
    await worker.drain();
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'unknown' });
    expect((await store.getJob(job!.id))!.duplicates ?? 0).toBe(0);
  });

  it('treats a port closed before the PDU as retryable', async () => {
    const { store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'reply')]);
    sender.failNext(new PortClosedError('port closed', 'AT+CMGS=20'));
    await worker.drain();
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'queued', attempts: 1 });
  });
});

describe('QueueWorker multipart resume and crash recovery', () => {
  it('resumes a multipart job from the first unsent part, with the same reference', async () => {
    const { clock, store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(B, LONG, 'notification')]);
    sender.onSend = (p) => {
      if (p.seq === 1) sender.failNext(new CmsError(500)); // part 1 accepted, part 2 refused
    };
    await worker.drain();
    sender.onSend = undefined;
    let j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'queued', attempts: 1, parts: [{ seq: 1, mr: 1 }] });
    clock.advance(30_000);
    await worker.drain();
    j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'sent', attempts: 2 });
    expect(sender.sent.map((s) => s.part.seq)).toEqual([1, 2, 3]); // part 1 not sent again
    expect(sender.calls).toBe(4); // 1 ok, 2 refused, 2 ok, 3 ok
    expect(new Set(sender.sent.map((s) => submit(s.part.hex).concat!.ref)).size).toBe(1);
    expect(j.parts!.map(({ seq, mr }) => ({ seq, mr }))).toEqual([{ seq: 1, mr: 1 }, { seq: 2, mr: 2 }, { seq: 3, mr: 3 }]);
  });

  it('after a crash mid-write, applies the unknown-outcome rule (resend once, counted)', async () => {
    const { clock, store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, LONG, 'reply')]);
    sender.onSend = (p) => {
      if (p.seq === 1) sender.hangNext(); // the process "dies" while part 2 is written
    };
    void worker.step();
    for (let i = 0; i < 20; i++) await tick();
    const crashed = (await store.getJob(job!.id))!;
    expect(crashed.state).toBe('sending');
    expect(crashed.writing).toMatchObject({ seq: 2 });

    const sender2 = new FakeSender();
    const restarted = new QueueWorker({ store, sender: sender2, clock, rate: { massPerMinute: 0 } });
    const report = await restarted.recover();
    expect(report).toEqual({ requeued: [], resent: [job!.id], unknown: [] });
    const j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'queued', duplicates: 1, parts: [{ seq: 1, mr: 1 }] });
    expect(j.lastError).toContain('may have been sent');
    clock.advance(60_000);
    await restarted.drain();
    expect(sender2.sent.map((s) => s.part.seq)).toEqual([2, 3]);
    const refs = [...sender.sent, ...sender2.sent].map((s) => submit(s.part.hex).concat!.ref);
    expect(new Set(refs).size).toBe(1);
    expect((await store.getJob(job!.id))!.state).toBe('sent');
  });

  it("after a crash mid-write with onUnknown 'hold', the job is unknown", async () => {
    const { clock, store, sender, worker } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'mass')]);
    sender.hangNext();
    void worker.step();
    for (let i = 0; i < 20; i++) await tick();
    const restarted = new QueueWorker({ store, sender: new FakeSender(), clock, policy: { onUnknown: 'hold' } });
    expect(await restarted.recover()).toEqual({ requeued: [], resent: [], unknown: [job!.id] });
    expect((await store.getJob(job!.id))!.state).toBe('unknown');
  });

  it('after a crash before any PDU was written, the job goes back to queued', async () => {
    const { clock, store } = setup();
    const [job] = await store.enqueue([queued(A, 'hi', 'reply')]);
    await store.updateJob(job!.id, { state: 'sending', attempts: 1 }); // step 1 persisted, then the crash
    const sender2 = new FakeSender();
    const restarted = new QueueWorker({ store, sender: sender2, clock });
    expect(await restarted.recover()).toEqual({ requeued: [job!.id], resent: [], unknown: [] });
    await restarted.drain();
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'sent', attempts: 2 });
    expect((await store.getJob(job!.id))!.duplicates ?? 0).toBe(0);
  });

  it('a stale marker for a part already recorded with its TP-MR does not count as in flight', async () => {
    const { clock, store } = setup();
    const [job] = await store.enqueue([queued(A, LONG, 'reply')]);
    await store.updateJob(job!.id, { state: 'sending', attempts: 1, parts: [{ seq: 1, mr: 7 }], writing: { seq: 1, at: 'x' }, concatRef: 4 });
    const sender2 = new FakeSender();
    const restarted = new QueueWorker({ store, sender: sender2, clock });
    expect((await restarted.recover()).requeued).toEqual([job!.id]);
    await restarted.drain();
    expect(sender2.sent.map((s) => s.part.seq)).toEqual([2, 3]);
    expect(sender2.sent.every((s) => submit(s.part.hex).concat!.ref === 4)).toBe(true);
  });
});

describe('QueueWorker recipient rules at send time', () => {
  it('fails notifications and mass texts to an opted-out client, but still sends replies', async () => {
    const { store, sender, worker } = setup();
    const [n, m, r] = await store.enqueue([queued(A, 'n', 'notification'), queued(A, 'm', 'mass'), queued(A, 'r', 'reply')]);
    await addClient(store, A, false); // opted out after enqueue
    await worker.drain();
    expect((await store.getJob(n!.id))!).toMatchObject({ state: 'failed', reason: 'opted-out', attempts: 0 });
    expect((await store.getJob(m!.id))!).toMatchObject({ state: 'failed', reason: 'opted-out' });
    expect((await store.getJob(r!.id))!.state).toBe('sent');
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['r']);
  });

  it('caps notifications + mass per recipient per day, not replies; the cap resets the next day and survives a restart', async () => {
    const { clock, store, sender, worker } = setup({ dailyCap: 2 });
    await store.enqueue([queued(A, 'n1', 'notification'), queued(A, 'm1', 'mass'), queued(A, 'r1', 'reply'), queued(B, 'n-b', 'notification')]);
    await worker.drain();
    const [late] = await store.enqueue([queued(A, 'n2', 'notification')]);
    await worker.drain();
    expect((await store.getJob(late!.id))!).toMatchObject({ state: 'failed', reason: 'daily-cap' });
    expect(sender.sent.map((s) => submit(s.part.hex).text).sort()).toEqual(['m1', 'n-b', 'n1', 'r1']);

    // A restarted worker counts what was already sent today.
    const w2 = new QueueWorker({ store, sender, clock, dailyCap: 2, dayOffsetMinutes: 0, rate: { massPerMinute: 0 } });
    await w2.start();
    await w2.stop();
    const [again] = await store.enqueue([queued(A, 'n3', 'notification')]);
    await w2.drain();
    expect((await store.getJob(again!.id))!.reason).toBe('daily-cap');

    clock.advance(24 * 3_600_000);
    const [tomorrow] = await store.enqueue([queued(A, 'n4', 'notification')]);
    await w2.drain();
    expect((await store.getJob(tomorrow!.id))!.state).toBe('sent');
  });
});

describe('QueueWorker loop', () => {
  it('wakes on kick(), sends, and stop() lets the in-flight part finish', async () => {
    const store = new MemoryStore();
    const sender = new FakeSender();
    const worker = new QueueWorker({ store, sender, rate: { massPerMinute: 0 } });
    await worker.start();
    const sentOnce = new Promise((resolve) => worker.once('job', (job, outcome) => resolve([job.text, outcome])));
    await store.enqueue([queued(A, 'hello', 'reply')]);
    worker.kick();
    expect(await sentOnce).toEqual(['hello', 'sent']);

    // A multipart job: stop while part 1 is in flight.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    sender.gateNext(gate);
    const [long] = await store.enqueue([queued(B, LONG, 'notification')]);
    worker.kick();
    for (let i = 0; i < 50 && sender.calls < 2; i++) await tick();
    expect(sender.calls).toBe(2);
    const stopped = worker.stop();
    release();
    await stopped;
    const j = (await store.getJob(long!.id))!;
    expect(j.state).toBe('queued');
    expect(j.parts!.map(({ seq, mr }) => ({ seq, mr }))).toEqual([{ seq: 1, mr: 2 }]);
    expect(j.attempts).toBe(1); // part 1 went out in this attempt
    expect(sender.calls).toBe(2);
  });

  it('stop() after a claim and before the first part re-queues the job without counting an attempt', async () => {
    let stopped: Promise<void> | undefined;
    let worker!: QueueWorker;
    const store = new (class extends MemoryStore {
      // The opt-out check runs between the claim and the first part: stop there.
      override async getClient(phone: string) {
        stopped ??= worker.stop();
        return super.getClient(phone);
      }
    })();
    const sender = new FakeSender();
    worker = new QueueWorker({ store, sender, rate: { massPerMinute: 0 } });
    const outcome = new Promise((resolve) => worker.once('job', (_job, o) => resolve(o)));
    await worker.start();
    const [job] = await store.enqueue([queued(A, 'later', 'notification')]);
    worker.kick();
    expect(await outcome).toBe('interrupted');
    await stopped;
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect((await store.getJob(job!.id))!.lease).toBeUndefined();
    expect(sender.calls).toBe(0);
  });
});

describe('QueueWorker stop() in every state (issue 9 item 2)', () => {
  /** Resolves 'stopped' when stop() settles within `ms`, else 'still waiting'. */
  async function stopWithin(worker: QueueWorker, ms: number): Promise<string> {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<string>((r) => (t = setTimeout(() => r('still waiting'), ms)));
    const r = await Promise.race([worker.stop().then(() => 'stopped'), late]);
    clearTimeout(t);
    return r;
  }

  it('while the modem is missing: stop() ends the wait at once; the job stays queued, nothing counted as possibly sent', async () => {
    const store = new MemoryStore();
    const sender = new FakeSender().down();
    const worker = new QueueWorker({ store, sender, rate: { massPerMinute: 0 } });
    await worker.start();
    const [job] = await store.enqueue([queued(A, 'ack', 'reply')]);
    worker.kick();
    for (let i = 0; i < 20; i++) await tick();
    // Waiting for the modem is not "sending": no attempt, no marker.
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await stopWithin(worker, 2_000)).toBe('stopped');
    const j = (await store.getJob(job!.id))!;
    expect(j).toMatchObject({ state: 'queued', attempts: 0 });
    expect(j.writing).toBeUndefined();

    // The next start finds nothing in flight; the job goes out once, no duplicate counted.
    const sender2 = new FakeSender();
    const restarted = new QueueWorker({ store, sender: sender2, rate: { massPerMinute: 0 } });
    expect(await restarted.recover()).toEqual({ requeued: [], resent: [], unknown: [] });
    await restarted.drain();
    const sent = (await store.getJob(job!.id))!;
    expect(sent).toMatchObject({ state: 'sent', attempts: 1 });
    expect(sent.duplicates ?? 0).toBe(0);
    expect(sender2.sent).toHaveLength(1);
  });

  it('when the modem goes away between parts: the parts sent are kept, the marker cleared, no duplicate at the next start', async () => {
    const store = new MemoryStore();
    const sender = new FakeSender();
    sender.onSend = (p) => void (p.seq === 1 && sender.down());
    const worker = new QueueWorker({ store, sender, rate: { massPerMinute: 0 } });
    await worker.start();
    const [job] = await store.enqueue([queued(A, LONG, 'notification')]);
    worker.kick();
    for (let i = 0; i < 50 && sender.sent.length < 1; i++) await tick();
    for (let i = 0; i < 20; i++) await tick();
    const waiting = (await store.getJob(job!.id))!;
    expect(waiting.parts).toEqual([expect.objectContaining({ seq: 1, mr: 1 })]); // plus sentAt (delivery reports)
    expect(waiting.writing).toBeUndefined();
    expect(await stopWithin(worker, 2_000)).toBe('stopped');
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'queued', attempts: 1, parts: [{ seq: 1, mr: 1 }] });
    const restarted = new QueueWorker({ store, sender: new FakeSender(), rate: { massPerMinute: 0 } });
    await restarted.recover();
    await restarted.drain();
    const sent = (await store.getJob(job!.id))!;
    expect(sent.state).toBe('sent');
    expect(sent.duplicates ?? 0).toBe(0);
  });

  it('a PDU in flight gets stopGraceMs, then stop() resolves and the job stays marked as possibly sent', async () => {
    const store = new MemoryStore();
    const sender = new FakeSender().hangNext(); // written, never answered
    const worker = new QueueWorker({ store, sender, rate: { massPerMinute: 0 }, stopGraceMs: 200 });
    await worker.start();
    const [job] = await store.enqueue([queued(A, 'hello', 'notification')]);
    worker.kick();
    for (let i = 0; i < 50 && sender.calls < 1; i++) await tick();
    expect(await stopWithin(worker, 2_000)).toBe('stopped');
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'sending', writing: { seq: 1 } });
    const restarted = new QueueWorker({ store, sender: new FakeSender(), rate: { massPerMinute: 0 } });
    expect(await restarted.recover()).toEqual({ requeued: [], resent: [job!.id], unknown: [] });
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'queued', duplicates: 1 });
  });
});

describe('QueueWorker loop on fake time', () => {
  async function settle() {
    for (let i = 0; i < 30; i++) await tick();
  }

  it('pauses after a send error instead of hammering the modem with the next job', async () => {
    const { clock, store, sender, worker } = setup({ errorPause: { baseMs: 2_000, maxMs: 60_000 } });
    sender.failNext(new PortClosedError('port closed', 'AT+CMGS=20'));
    await store.enqueue([queued(A, 'a', 'notification'), queued(B, 'b', 'notification')]);
    await worker.start();
    await settle();
    expect(sender.calls).toBe(1); // A failed, B not tried yet
    clock.advance(1_999);
    await settle();
    expect(sender.calls).toBe(1);
    clock.advance(1);
    await settle();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['b']);
    await worker.stop();
  });

  it('a kick() during a mass rate-limit wait sends the new reply at once', async () => {
    const { clock, store, sender, worker } = setup({ rate: { massPerMinute: 1 } });
    await store.enqueue([queued(A, 'm1', 'mass'), queued(B, 'm2', 'mass')]);
    await worker.start();
    await settle();
    expect(sender.sent).toHaveLength(1);
    await store.enqueue([queued(B, 'reply', 'reply')]);
    worker.kick();
    await settle();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['m1', 'reply']);
    clock.advance(60_000);
    await settle();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['m1', 'reply', 'm2']);
    await worker.stop();
  });
});

describe('QueueWorker claims and leases', () => {
  it('two workers on one store send every job exactly once', async () => {
    const { clock, store } = setup();
    const texts = Array.from({ length: 60 }, (_, i) => `job ${i}`);
    await store.enqueue(texts.map((t, i) => queued(i % 2 ? A : B, t, i % 3 ? 'mass' : 'notification')));
    const s1 = new FakeSender();
    const s2 = new FakeSender();
    // Each send yields to the event loop, so the two workers' claims interleave.
    s1.onSend = s2.onSend = () => tick();
    const w1 = new QueueWorker({ store, sender: s1, clock, rate: { massPerMinute: 0 }, dailyCap: 1000, owner: 'host:m1' });
    const w2 = new QueueWorker({ store, sender: s2, clock, rate: { massPerMinute: 0 }, dailyCap: 1000, owner: 'host:m2' });
    await Promise.all([w1.drain(), w2.drain()]);
    const sent = [...s1.sent, ...s2.sent].map((s) => submit(s.part.hex).text);
    expect(s1.sent.length).toBeGreaterThan(0);
    expect(s2.sent.length).toBeGreaterThan(0);
    expect(sent.sort()).toEqual([...texts].sort());
    expect((await store.queueCounts()).byState).toMatchObject({ sent: 60, sending: 0, queued: 0 });
  });

  it('renews the lease during a long send, so another worker does not take the job over', async () => {
    const { clock, store, sender } = setup();
    const worker = new QueueWorker({ store, sender, clock, owner: 'host-a', leaseMs: 30_000 });
    const [job] = await store.enqueue([queued(A, 'slow', 'reply')]);
    let open!: () => void;
    sender.gateNext(new Promise<void>((r) => (open = r)));
    const step = worker.step();
    for (let i = 0; i < 5; i++) await tick();
    for (let s = 0; s < 10; s++) {
      clock.advance(10_000); // 100 s in all: three lease lengths
      for (let i = 0; i < 5; i++) await tick();
    }
    const held = (await store.getJob(job!.id))!;
    expect(held.lease!.owner).toBe('host-a');
    expect(Date.parse(held.lease!.until)).toBeGreaterThan(clock.now());
    const other = new QueueWorker({ store, sender: new FakeSender(), clock, owner: 'host-b', leaseMs: 30_000 });
    expect(await other.recover()).toEqual({ requeued: [], resent: [], unknown: [] });
    open();
    expect(await step).toMatchObject({ kind: 'done', outcome: 'sent' });
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'sent', attempts: 1 });
    expect((await store.getJob(job!.id))!.lease).toBeUndefined();
  });

  it("recover leaves another live owner's job alone and takes it over once the lease expired", async () => {
    const { clock, store } = setup();
    const [job] = await store.enqueue([queued(A, 'in flight elsewhere', 'reply')]);
    // host-a claimed it and was writing part 1 when it died (no worker of its own runs here).
    await store.claimNext({ owner: 'host-a', leaseMs: 60_000, now: new Date(clock.now()) });
    const sender = new FakeSender();
    const b = new QueueWorker({ store, sender, clock, owner: 'host-b', leaseMs: 60_000 });
    expect(await b.recover()).toEqual({ requeued: [], resent: [], unknown: [] });
    await b.drain();
    expect(sender.sent).toEqual([]);
    expect((await store.getJob(job!.id))!.lease!.owner).toBe('host-a');
    clock.advance(61_000);
    // The loop's periodic recovery (every leaseMs) finds it; the outcome rule applies as after a crash.
    const recovered = new Promise((r) => b.once('recovered', r));
    // A reply is re-sent at once (issue 9 item 3): the same step claims and sends it.
    await b.step();
    expect(await recovered).toEqual({ requeued: [], resent: [job!.id], unknown: [] });
    expect((await store.getJob(job!.id))!).toMatchObject({ state: 'sent', duplicates: 1, attempts: 2 });
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['in flight elsewhere']);
  });

  it('a worker bound to a modem sends jobs pinned to it and unpinned ones, never those of another modem', async () => {
    const { clock, store, sender } = setup();
    const [own, other, any] = await store.enqueue([queued(A, 'own', 'reply', { modem: 'm1' }), queued(A, 'other', 'reply', { modem: 'm2' }), queued(B, 'any', 'reply')]);
    const w = new QueueWorker({ store, sender, clock, modem: 'm1' });
    await w.drain();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['own', 'any']);
    expect((await store.getJob(other!.id))!.state).toBe('queued');
    expect([(await store.getJob(own!.id))!.state, (await store.getJob(any!.id))!.state]).toEqual(['sent', 'sent']);
  });
});

describe('QueueWorker serving one modem of a pool', () => {
  const pooled = (o: Partial<ConstructorParameters<typeof QueueWorker>[0]> = {}) => setup({ modem: 'm1', owner: 'host:m1', ...o });

  it('claims nothing while its modem is down, and records itself as `via` when it does', async () => {
    const { store, sender, worker } = pooled();
    const [job] = await store.enqueue([queued(A, 'hi', 'notification')]);
    sender.down();
    const step = worker.step();
    await tick();
    expect((await store.getJob(job!.id))!.state).toBe('queued');
    sender.up();
    expect((await step).kind).toBe('done');
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'sent', via: 'm1' });
    expect(sender.sent).toHaveLength(1);
  });

  it('a link failure of an unpinned job with failover is queued again due now; a pinned one backs off', async () => {
    const { clock, store, sender, worker } = pooled({ failover: true, policy: { baseDelayMs: 30_000 } });
    const [free, pinned] = await store.enqueue([queued(A, 'free', 'notification'), { ...queued(B, 'pinned', 'notification'), modem: 'm1' }]);
    sender.failNext(new PortClosedError('port closed before the prompt'), new PortClosedError('port closed before the prompt'));
    await worker.step(); // own pinned job first
    await worker.step();
    const now = new Date(clock.now()).toISOString();
    expect(await store.getJob(pinned!.id)).toMatchObject({ state: 'queued', lastError: expect.stringMatching(/PortClosedError/) });
    expect(Date.parse((await store.getJob(pinned!.id))!.nextAttemptAt)).toBe(clock.now() + 30_000);
    expect(await store.getJob(free!.id)).toMatchObject({ state: 'queued', nextAttemptAt: now, attempts: 1 });
  });

  it('a job refused because its modem is down is due again at once, pinned or not, and leaves once the modem is back', async () => {
    const { clock, store, sender, worker } = pooled({ policy: { baseDelayMs: 30_000 } });
    const [pinned] = await store.enqueue([{ ...queued(B, 'pinned', 'reply'), modem: 'm1' }]);
    sender.failNext(new ModemUnavailableError('m1', 'recovering'));
    sender.onSend = undefined;
    await worker.step();
    expect(await store.getJob(pinned!.id)).toMatchObject({ state: 'queued', nextAttemptAt: new Date(clock.now()).toISOString(), modem: 'm1', attempts: 1 });
    sender.down();
    const step = worker.step();
    await tick();
    expect((await store.getJob(pinned!.id))!.state).toBe('queued');
    sender.up();
    expect((await step).kind).toBe('done');
    expect(await store.getJob(pinned!.id)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('pins an unpinned multipart text to its modem once a part has left, on any way back to the queue', async () => {
    const { store, sender, worker } = pooled({ failover: true });
    const [job] = await store.enqueue([queued(A, LONG, 'notification')]);
    sender.gateNext(Promise.resolve()).failNext(new CmsError('500', 'AT+CMGS')); // part 1 goes, part 2 hits a network error
    await worker.step();
    expect(sender.sent).toHaveLength(1);
    expect(await store.getJob(job!.id)).toMatchObject({ state: 'queued', modem: 'm1', via: 'm1', repin: { to: 'm1', reason: 'started' } });
  });

  it('once its SIM daily cap is reached (replies count) it takes only replies; the count rolls over at local midnight', async () => {
    const quota = new ModemQuota('m1', 3, 0);
    const { clock, store, sender, worker } = pooled({ quota });
    await store.enqueue([queued(A, 'n1', 'notification'), queued(B, 'n2', 'notification'), queued(A, 'n3', 'notification'), queued(B, 'r1', 'reply')]);
    await worker.drain();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['r1', 'n1', 'n2']);
    expect(quota.sentToday(clock.now())).toBe(3);
    expect(await worker.step()).toMatchObject({ kind: 'idle' });
    clock.advance(24 * 3_600_000);
    await worker.drain();
    expect(sender.sent.map((s) => submit(s.part.hex).text)).toEqual(['r1', 'n1', 'n2', 'n3']);
  });
});
