/**
 * The inbound pipeline: ordered routes, the first claim wins, the claim is recorded with the
 * status in one store write, nothing claiming → ignored/none, and a crash between store and
 * route (or between a route's side effects and the recording write) is healed by resume()
 * without doing anything twice. The command route here is the real CommandService.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addClient, CommandService, resolveTemplates } from '../../src/commands/index.js';
import { InboundPipeline, RouteError, type InboundRoute, type RouteClaim } from '../../src/inbound/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { InboxEntry } from '../../src/store/types.js';
import { decryptSecret } from '../../src/util/secret.js';
import { FakeClock } from '../helpers/fake-clock.js';

const key = randomBytes(32);

/** A MemoryStore that counts inbox writes and can be told to fail the next recording write (a crash). */
class SpyStore extends MemoryStore {
  writes: { id: string; patch: Partial<InboxEntry> }[] = [];
  crashOnRecord = false;
  override async updateInbound(id: string, patch: Partial<Omit<InboxEntry, 'id'>>): Promise<InboxEntry> {
    if (this.crashOnRecord && patch.routedBy !== undefined) {
      this.crashOnRecord = false;
      throw new Error('simulated crash before the recording write');
    }
    this.writes.push({ id, patch });
    return super.updateInbound(id, patch);
  }
}

function route(name: string, decide: (e: InboxEntry) => RouteClaim | undefined): InboundRoute & { seen: string[] } {
  const seen: string[] = [];
  return {
    name,
    seen,
    async route(e) {
      seen.push(e.id);
      return decide(e);
    },
  };
}

async function setup() {
  const clock = new FakeClock();
  const store = new SpyStore({ clock });
  const add = async (text: string, o: Partial<InboxEntry> = {}) =>
    (
      await store.addInbound({
        from: '+79001234567',
        text,
        receivedAt: new Date(clock.now()).toISOString(),
        status: 'new',
        parts: 1,
        dedupKey: `${text}|${Math.random()}`,
        modem: 'default',
        ...o,
      })
    ).entry;
  return { clock, store, add };
}

describe('InboundPipeline', () => {
  it('offers the entry to routes in order; the first claim wins and later routes never see it', async () => {
    const { store, add } = await setup();
    const a = route('a', () => undefined);
    const b = route('b', (e) => (e.text.startsWith('login: ') ? { routedBy: 'prefix', account: 'acme', target: { login: 'acme' }, patch: { text: e.text.slice(7) } } : undefined));
    const c = route('c', () => ({ routedBy: 'chat' }));
    const p = new InboundPipeline({ store, routes: [a, b, c] });
    const e = await add('login: hello');
    const out = await p.route(e);
    expect(out).toMatchObject({ status: 'processed', routedBy: 'prefix', account: 'acme', route: { login: 'acme' }, text: 'hello' });
    expect([a.seen, b.seen, c.seen]).toEqual([[e.id], [e.id], []]);
    const other = await p.route(await add('anything'));
    expect(other).toMatchObject({ status: 'processed', routedBy: 'chat' });
    expect(other.route).toBeUndefined();
  });

  it('records the claim, its patch and the status in ONE write', async () => {
    const { store, add } = await setup();
    const p = new InboundPipeline({ store, routes: [route('x', () => ({ routedBy: 'number', status: 'rejected', account: null, target: { number: '+7900' }, patch: { error: 'no account' } }))] });
    const e = await add('hi');
    store.writes = [];
    await p.route(e);
    expect(store.writes).toEqual([{ id: e.id, patch: { error: 'no account', status: 'rejected', routedBy: 'number', account: null, route: { number: '+7900' } } }]);
  });

  it('nothing claiming: an SMS ends ignored, a call stays a call, both with routedBy none', async () => {
    const { store, add } = await setup();
    const p = new InboundPipeline({ store, routes: [route('pass', () => undefined)] });
    expect(await p.route(await add('hello'))).toMatchObject({ status: 'ignored', routedBy: 'none' });
    expect(await p.route(await add('[CALL]', { status: 'call' }))).toMatchObject({ status: 'call', routedBy: 'none' });
  });

  it('routes may claim calls; a claim without a status keeps the call a call', async () => {
    const { store, add } = await setup();
    const p = new InboundPipeline({ store, routes: [route('last-sender', (e) => (e.status === 'call' ? { routedBy: 'last-sender', account: 'acme' } : undefined))] });
    expect(await p.route(await add('[CALL]', { status: 'call' }))).toMatchObject({ status: 'call', routedBy: 'last-sender', account: 'acme' });
  });

  it('an entry already routed is returned as stored, routes are not asked again', async () => {
    const { store, add } = await setup();
    const r = route('once', () => ({ routedBy: 'chat' }));
    const p = new InboundPipeline({ store, routes: [r] });
    const e = await add('hi');
    await p.route(e);
    const again = await p.route(e); // the caller's stale copy still says 'new'
    expect(again).toMatchObject({ status: 'processed', routedBy: 'chat' });
    expect(r.seen).toEqual([e.id]);
  });

  it('a failing route stops the walk with a RouteError and leaves the entry unrouted; resume() routes it later', async () => {
    const { store, add, clock } = await setup();
    let fail = true;
    const flaky: InboundRoute = {
      name: 'flaky',
      async route() {
        if (fail) throw new Error('database away');
        return { routedBy: 'chat' };
      },
    };
    const later = route('later', () => ({ routedBy: 'number' }));
    const p = new InboundPipeline({ store, routes: [flaky, later] });
    const e = await add('hi');
    const err = await p.route(e).catch((x) => x);
    expect(err).toBeInstanceOf(RouteError);
    expect(err).toMatchObject({ code: 'ROUTE_FAILED', route: 'flaky', entryId: e.id });
    expect(later.seen).toEqual([]);
    expect(await store.getInbound(e.id)).toMatchObject({ status: 'new' });
    expect((await store.getInbound(e.id))!.routedBy).toBeUndefined();
    fail = false;
    expect(await p.resume(new Date(clock.now() - 60_000))).toBe(1);
    expect(await store.getInbound(e.id)).toMatchObject({ status: 'processed', routedBy: 'chat' });
  });

  it('resume() routes unrouted SMS and calls once, skips routed ones and ones older than `since`', async () => {
    const { store, add, clock } = await setup();
    const r = route('all', () => ({ routedBy: 'chat' }));
    const p = new InboundPipeline({ store, routes: [r] });
    const old = await add('old');
    clock.advance(3_600_000);
    const since = new Date(clock.now());
    const sms = await add('crash left me new');
    const call = await add('[CALL]', { status: 'call' });
    const done = await add('done');
    await p.route(done);
    expect(await p.resume(since)).toBe(2);
    expect(await p.resume(since)).toBe(0); // idempotent: nothing left
    expect(r.seen.sort()).toEqual([sms.id, call.id, done.id].sort());
    expect((await store.getInbound(old.id))!.status).toBe('new');
  });

  it('add() inserts a route before a named one; duplicate names are refused', async () => {
    const { store } = await setup();
    const p = new InboundPipeline({ store, routes: [route('command', () => undefined)] });
    p.add(route('chat', () => undefined)).add(route('prefix', () => undefined), { before: 'chat' });
    expect(p.names).toEqual(['command', 'prefix', 'chat']);
    expect(() => p.add(route('chat', () => undefined))).toThrow(/already registered/);
    expect(() => p.add(route('z', () => undefined), { before: 'nope' })).toThrow(/no inbound route "nope"/);
  });

  it('afterClaim runs with the recorded entry; its failure does not undo the claim', async () => {
    const { store, add } = await setup();
    const got: InboxEntry[] = [];
    const r: InboundRoute = { name: 'chat', route: async () => ({ routedBy: 'chat', target: { conversationId: 'c1' } }), afterClaim: (e) => void got.push(e) };
    const boom: InboundRoute = { name: 'boom', route: async (e) => (e.text === 'b' ? { routedBy: 'boom' } : undefined), afterClaim: () => Promise.reject(new Error('push failed')) };
    const p = new InboundPipeline({ store, routes: [boom, r] });
    await p.route(await add('a'));
    expect(got[0]).toMatchObject({ routedBy: 'chat', route: { conversationId: 'c1' } });
    expect(await p.route(await add('b'))).toMatchObject({ routedBy: 'boom', status: 'processed' });
  });
});

describe('InboundPipeline with the command route (CommandService)', () => {
  async function commandSetup() {
    const s = await setup();
    await addClient(s.store, { phone: '+79001234567', code: '1234', login: 'ivanov', password: 'pw-1' }, key, { country: 'RU' });
    const commands = new CommandService({ store: s.store, templates: resolveTemplates('en'), phoneRule: { country: 'RU' }, decryptPassword: (e) => decryptSecret(e, key), clock: s.clock });
    return { ...s, commands, pipeline: new InboundPipeline({ store: s.store, routes: [commands] }) };
  }

  it('a command is claimed as routedBy command with its replies, pinned to the modem it came in on', async () => {
    const { store, add, pipeline } = await commandSetup();
    const e = await pipeline.route(await add('client INFO'));
    expect(e).toMatchObject({ status: 'processed', routedBy: 'command', command: 'info' });
    const jobs = await Promise.all(e.replies!.map((id) => store.getJob(id)));
    expect(jobs.map((j) => [j!.inReplyTo, j!.modem])).toEqual([
      [e.id, 'default'],
      [e.id, 'default'],
    ]);
  });

  it('a crash after the replies were queued, before the recording write: resume() records it and queues nothing twice', async () => {
    const { store, add, pipeline, clock } = await commandSetup();
    const e = await add('CLIENT sms stop');
    store.crashOnRecord = true;
    await expect(pipeline.route(e)).rejects.toThrow(/simulated crash/);
    expect(await store.getInbound(e.id)).toMatchObject({ status: 'new', command: 'sms stop' }); // the intent
    expect(await store.listJobs()).toHaveLength(2);
    // A new process: a fresh pipeline over the same store.
    const commands = new CommandService({ store, templates: resolveTemplates('en'), phoneRule: { country: 'RU' }, decryptPassword: (x) => decryptSecret(x, key), clock });
    const again = new InboundPipeline({ store, routes: [commands] });
    expect(await again.resume(new Date(clock.now() - 1000))).toBe(1);
    expect(await store.listJobs()).toHaveLength(2);
    const done = await store.getInbound(e.id);
    expect(done).toMatchObject({ status: 'processed', routedBy: 'command', command: 'sms stop' });
    expect(done!.replies!.sort()).toEqual((await store.listJobs()).map((j) => j.id).sort());
  });

  it('a text that is no command passes the command route and reaches the next one', async () => {
    const { store, add, commands } = await commandSetup();
    const chat = route('chat', () => ({ routedBy: 'chat' }));
    const p = new InboundPipeline({ store, routes: [commands, chat] });
    expect(await p.route(await add('CLIENT info please'))).toMatchObject({ routedBy: 'chat', status: 'processed' });
    expect(await store.listJobs()).toEqual([]);
  });
});

describe('InboundPipeline with forwards on the claim', () => {
  it('stores a claim\'s forwards in the same write as the claim and hands them on; a claim without forwards is a plain update', async () => {
    const { store, add } = await setup();
    const handed: string[][] = [];
    const forward = (ref: string) => ({
      messageId: `msg_${ref}`,
      account: 'acme',
      channel: 'webhook' as const,
      target: 'https://crm.example/hook',
      type: 'sms.received' as const,
      ref,
      payload: { id: ref },
      status: 'pending' as const,
      tries: 0,
      attempts: [],
      nextAttemptAt: new Date().toISOString(),
    });
    const acct = route('prefix', (e) => (e.text.startsWith('acme:') ? { routedBy: 'prefix', account: 'acme', patch: { text: e.text.slice(5).trim() }, forwards: [forward(e.id)] } : undefined));
    const p = new InboundPipeline({ store, routes: [acct], onForwards: (f) => handed.push(f.map((x) => x.id)) });
    const e = await add('acme: hello');
    const writesBefore = store.writes.length;
    const routed = await p.route(e);
    expect(routed).toMatchObject({ routedBy: 'prefix', account: 'acme', text: 'hello', status: 'processed' });
    expect(await store.listForwards({ ref: e.id })).toMatchObject([{ id: 'fwd-0', messageId: `msg_${e.id}`, status: 'pending' }]);
    expect(handed).toEqual([['fwd-0']]);
    // routeInbound is one store call (the MemoryStore's updateInbound inside it is counted once).
    expect(store.writes.length - writesBefore).toBe(1);

    const other = await p.route(await add('no prefix'));
    expect(other.routedBy).toBe('none');
    expect(handed).toHaveLength(1);
    expect(await store.listForwards()).toHaveLength(1);
    // Routing again (resume after a crash) adds nothing: the entry is already routed.
    await p.route(e);
    expect(await store.listForwards()).toHaveLength(1);
  });
});
