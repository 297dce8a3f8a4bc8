import { describe, it, expect, beforeEach } from 'vitest';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from '../../src/store/memory.js';
import type { InboxEntry, Job } from '../../src/store/types.js';
import { CommandService } from '../../src/commands/service.js';
import { resolveTemplates } from '../../src/commands/templates.js';
import { addClient } from '../../src/commands/clients.js';
import { isOptedOut } from '../../src/store/optout.js';
import { RateLimiter } from '../../src/util/rate-limit.js';
import { decryptSecret } from '../../src/util/secret.js';
import { createLogger } from '../../src/util/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const key = randomBytes(32);
const en = resolveTemplates('en');
const PASSWORD = 'S3cr3t-pw!';

const fakeClock = () => new FakeClock(T0);

function logSink() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('debug', dest), lines };
}

let seq = 0;
async function inbound(store: MemoryStore, from: string, text: string): Promise<InboxEntry> {
  const { entry } = await store.addInbound({
    from,
    text,
    receivedAt: new Date(T0).toISOString(),
    status: 'new',
    parts: 1,
    dedupKey: `k${seq++}`,
  });
  return entry;
}

describe('CommandService', () => {
  let store: MemoryStore;
  let clock: ReturnType<typeof fakeClock>;
  let sink: ReturnType<typeof logSink>;
  let service: CommandService;

  const make = (o: Partial<ConstructorParameters<typeof CommandService>[0]> = {}) =>
    new CommandService({
      store,
      templates: en,
      phoneRule: { country: 'RU' },
      decryptPassword: (enc) => decryptSecret(enc, key),
      logger: sink.logger,
      clock,
      ...o,
    });

  beforeEach(async () => {
    clock = fakeClock();
    store = new MemoryStore({ clock });
    sink = logSink();
    service = make();
    await addClient(store, { phone: '+7 900 123-45-67', code: '1234', login: 'ivanov', password: PASSWORD }, key, { country: 'RU' });
  });

  it('CLIENT info from a registered client: ack then credentials, replies to the registered number', async () => {
    const e = await inbound(store, '89001234567', 'client INFO');
    const r = await service.handleInbound(e);
    expect(r.status).toBe('processed');
    expect(r.command).toBe('info');
    expect(r.replies.map((j) => j.text)).toEqual([
      en.ack,
      `REGISTRATION CENTER. Personal Code: 1234. CLIENT'S PORTAL: login: ivanov, password: ${PASSWORD}. Do not share your registration data with anyone.`,
    ]);
    for (const j of r.replies) {
      expect(j).toMatchObject({ to: '+79001234567', priority: 'reply', state: 'queued', attempts: 0, inReplyTo: e.id, nextAttemptAt: new Date(T0).toISOString() });
    }
    const stored = await store.getInbound(e.id);
    expect(stored).toMatchObject({ status: 'processed', command: 'info', replies: r.replies.map((j) => j.id) });
    // The ack is queued first so FIFO-within-priority sends it first.
    const jobs = (await store.listJobs()).reverse();
    expect(jobs.map((j) => j.text)).toEqual(r.replies.map((j) => j.text));
    expect(sink.lines.join('')).not.toContain(PASSWORD);
  });

  it('CLIENT info from an unregistered number: rejected, no reply, a warning without secrets', async () => {
    const e = await inbound(store, '+79005550000', 'CLIENT info');
    const r = await service.handleInbound(e);
    expect(r).toEqual({ status: 'rejected', command: 'info', replies: [] });
    expect(await store.listJobs()).toEqual([]);
    expect(await store.getInbound(e.id)).toMatchObject({ status: 'rejected', command: 'info', error: 'sender is not a registered client' });
    const warn = sink.lines.map((l) => JSON.parse(l)).find((l) => l.level === 40);
    expect(warn).toMatchObject({ module: 'commands', from: '+79005550000', reason: 'sender is not a registered client' });
    expect(sink.lines.join('')).not.toContain(PASSWORD);
  });

  it('a text that is not a command is ignored with no reply and costs no rate-limit token', async () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 3_600_000, clock });
    service = make({ rateLimiter: limiter });
    for (const text of ['hello', 'CLIENT info please', 'CLIENTinfo', 'CLIENT sms']) {
      const e = await inbound(store, '+79001234567', text);
      expect(await service.handleInbound(e)).toEqual({ status: 'ignored', replies: [] });
      expect((await store.getInbound(e.id))?.status).toBe('ignored');
    }
    expect(await store.listJobs()).toEqual([]);
    expect(limiter.remaining('+79001234567')).toBe(1);
  });

  it('CLIENT sms stop / start flip the client flag and confirm', async () => {
    const stop = await service.handleInbound(await inbound(store, '+79001234567', 'CLIENT SMS STOP'));
    expect(stop.status).toBe('processed');
    expect(stop.command).toBe('sms stop');
    expect(stop.replies.map((j) => [j.to, j.text])).toEqual([
      ['+79001234567', en.ack],
      ['+79001234567', en.smsStop],
    ]);
    expect((await store.getClient('+79001234567'))?.optIn).toBe(false);
    expect(await isOptedOut(store, '+79001234567')).toBe(true);

    // Stopping twice changes nothing but is still answered.
    const again = await service.handleInbound(await inbound(store, '89001234567', 'client sms stop'));
    expect(again.replies).toHaveLength(2);
    expect((await store.getClient('+79001234567'))?.optIn).toBe(false);

    const start = await service.handleInbound(await inbound(store, '+79001234567', 'client sms start'));
    expect(start.command).toBe('sms start');
    expect(start.replies.map((j) => j.text)).toEqual([en.ack, en.smsStart]);
    expect((await store.getClient('+79001234567'))?.optIn).toBe(true);
  });

  it('an opted-out client still gets CLIENT info answered', async () => {
    await service.handleInbound(await inbound(store, '+79001234567', 'CLIENT sms stop'));
    const r = await service.handleInbound(await inbound(store, '+79001234567', 'CLIENT info'));
    expect(r.status).toBe('processed');
    expect(r.replies[1].text).toContain(PASSWORD);
  });

  it('sms stop / start from a non-client: honoured on the non-client opt-out list, and kept when the number becomes a client', async () => {
    const r = await service.handleInbound(await inbound(store, '8 900 555-00-00', 'CLIENT sms stop'));
    expect(r.status).toBe('processed');
    expect(r.replies.map((j) => [j.to, j.text])).toEqual([
      ['+79005550000', en.ack],
      ['+79005550000', en.smsStop],
    ]);
    expect(await isOptedOut(store, '+79005550000')).toBe(true);
    expect(await store.getClient('+79005550000')).toBeUndefined();

    const { client } = await addClient(store, { phone: '+79005550000', code: '9', login: 'new', password: 'p' }, key);
    expect(client.optIn).toBe(false);

    await service.handleInbound(await inbound(store, '+79005551111', 'CLIENT sms stop'));
    await service.handleInbound(await inbound(store, '+79005551111', 'CLIENT sms start'));
    expect(await isOptedOut(store, '+79005551111')).toBe(false);
  });

  it('commands from senders that cannot receive SMS are rejected without a reply', async () => {
    for (const from of ['SCSERV', '900', '+7900', '']) {
      const r = await service.handleInbound(await inbound(store, from, 'CLIENT sms stop'));
      expect(r.status).toBe('rejected');
    }
    expect(await store.listJobs()).toEqual([]);
  });

  it('rate limits commands per normalised sender', async () => {
    service = make({ rateLimiter: new RateLimiter({ limit: 2, windowMs: 3_600_000, clock }) });
    const forms = ['+79001234567', '89001234567', '8 (900) 123-45-67'];
    const results = [];
    for (const from of forms) results.push(await service.handleInbound(await inbound(store, from, 'CLIENT info')));
    expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'rejected']);
    const last = await store.listInbound({ limit: 1 });
    expect(last[0]).toMatchObject({ status: 'rejected', error: 'rate limited', command: 'info' });
    expect(await store.listJobs()).toHaveLength(4);
    clock.t += 1_800_000; // half the window: one token back
    expect((await service.handleInbound(await inbound(store, '+79001234567', 'CLIENT info'))).status).toBe('processed');
  });

  it('a password that cannot be decrypted: status error, no reply, no secret in the error', async () => {
    service = make({ decryptPassword: (enc) => decryptSecret(enc, randomBytes(32)) });
    const e = await inbound(store, '+79001234567', 'CLIENT info');
    const r = await service.handleInbound(e);
    expect(r).toEqual({ status: 'error', command: 'info', replies: [] });
    expect(await store.listJobs()).toEqual([]);
    const stored = await store.getInbound(e.id);
    expect(stored?.error).toMatch(/^cannot decrypt the client's password: .*key differs/);
  });

  it('refuses invalid templates at construction', () => {
    expect(() => make({ templates: { ...en, ack: 'Hi {password}' } })).toThrow(/templates.ack/);
  });

  describe('idempotency', () => {
    it('handling the same entry twice (also concurrently, also with a stale copy) queues replies once', async () => {
      const e = await inbound(store, '+79001234567', 'CLIENT info');
      const [a, b] = await Promise.all([service.handleInbound(e), service.handleInbound(e)]);
      const c = await service.handleInbound(e); // `e` is the stale 'new' copy
      expect(await store.listJobs()).toHaveLength(2);
      expect(b.replies.map((j) => j.id)).toEqual(a.replies.map((j) => j.id));
      expect(c).toEqual({ status: 'processed', command: 'info', replies: a.replies });
    });

    it('a crash after enqueue, before the entry was marked processed: the re-run reuses the queued jobs', async () => {
      class CrashAfterEnqueue extends MemoryStore {
        crash = true;
        override async updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
          if (this.crash && patch.status === 'processed') {
            this.crash = false;
            throw new Error('power cut');
          }
          return super.updateInbound(id, patch);
        }
      }
      store = new CrashAfterEnqueue({ clock });
      await addClient(store, { phone: '+79001234567', code: '1234', login: 'ivanov', password: PASSWORD }, key);
      const e = await inbound(store, '+79001234567', 'CLIENT sms stop');
      await expect(make().handleInbound(e)).rejects.toThrow('power cut');
      expect(await store.listJobs()).toHaveLength(2);
      expect((await store.getInbound(e.id))?.status).toBe('new');

      // A fresh process (new service, fresh rate limiter that is already exhausted for this sender).
      const limiter = new RateLimiter({ limit: 1, windowMs: 3_600_000, clock });
      limiter.allow('+79001234567');
      const r = await make({ rateLimiter: limiter }).handleInbound(e);
      expect(r.status).toBe('processed'); // an accepted request is finished, not rate limited
      const jobs = await store.listJobs();
      expect(jobs).toHaveLength(2);
      expect(r.replies.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
      expect(r.replies.map((j) => j.text)).toEqual([en.ack, en.smsStop]);
      expect((await store.getInbound(e.id))?.replies).toEqual(r.replies.map((j) => j.id));
    });

    it('a crash before enqueue: the re-run queues both replies', async () => {
      class CrashOnEnqueue extends MemoryStore {
        crash = true;
        override async enqueue(jobs: Omit<Job, 'id' | 'createdAt' | 'updatedAt'>[]): Promise<Job[]> {
          if (this.crash) {
            this.crash = false;
            throw new Error('disk full');
          }
          return super.enqueue(jobs);
        }
      }
      store = new CrashOnEnqueue({ clock });
      await addClient(store, { phone: '+79001234567', code: '1234', login: 'ivanov', password: PASSWORD }, key);
      const e = await inbound(store, '+79001234567', 'CLIENT info');
      await expect(make().handleInbound(e)).rejects.toThrow('disk full');
      expect(await store.getInbound(e.id)).toMatchObject({ status: 'new', command: 'info' });
      const r = await make().handleInbound(e);
      expect(r.replies).toHaveLength(2);
      expect(await store.listJobs()).toHaveLength(2);
    });

    it('only the ack survived an interrupted run: the re-run queues just the result', async () => {
      const e = await inbound(store, '+79001234567', 'CLIENT info');
      await store.updateInbound(e.id, { command: 'info' });
      const [ack] = await store.enqueue([
        { to: '+79001234567', text: en.ack, priority: 'reply', state: 'sent', attempts: 1, nextAttemptAt: new Date(T0).toISOString(), inReplyTo: e.id },
      ]);
      const r = await service.handleInbound(e);
      expect(r.replies.map((j) => j.id)[0]).toBe(ack.id);
      expect(r.replies[1].text).toContain(PASSWORD);
      expect(await store.listJobs()).toHaveLength(2);
    });
  });
});
