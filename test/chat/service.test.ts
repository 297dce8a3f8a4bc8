/**
 * The chat service on a real Store (MemoryStore) and the fake clock: what survives a restart
 * (live sessions, busy mobiles, event numbering, today's per-destination counts, delivery states
 * that changed while down), what ends while the server is down, idempotent claims, the chat
 * route's place after the command route, and the SMS template.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChatRoute, ChatService, storeOutbox, type ChatServiceOptions } from '../../src/chat/index.js';
import { ChatTemplateError } from '../../src/chat/errors.js';
import { renderChatSms, validateChatTemplate } from '../../src/chat/template.js';
import { CommandService, resolveTemplates } from '../../src/commands/index.js';
import { InboundPipeline } from '../../src/inbound/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { decryptSecret } from '../../src/util/secret.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(o: Partial<ChatServiceOptions> = {}, store = new MemoryStore(), clock = new FakeClock()) {
  const make = () => new ChatService({ repo: store, outbox: storeOutbox(store, { clock }), jobs: store, phoneRule: { country: 'RU' }, clock, ...o });
  return { store, clock, make };
}

const IP = '192.0.2.1';

describe('ChatService', () => {
  it('a restart keeps live sessions: the mobile stays busy, replies are claimed, event ids go on', async () => {
    const { store, clock, make } = setup();
    const a = make();
    await a.start();
    const { session, token } = await a.createSession(IP);
    const sent = await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    await a.stop();

    clock.advance(60_000);
    const b = make();
    await b.start();
    const s = await b.authenticate(token);
    expect(s.id).toBe(session.id);
    const other = await b.createSession('192.0.2.2');
    await expect(b.send(other.session, b.validate({ name: 'Eve', to: '89001234567', text: 'x' }), '192.0.2.2')).rejects.toMatchObject({ code: 'mobile-busy', status: 409 });
    const seen: number[] = [];
    b.subscribe(s.id, 1, (ev) => seen.push(ev.id));
    expect(await b.receive({ id: 'in-1', from: '+79001234567', text: 'sí' })).toEqual({ sessionId: s.id, conversationId: sent.conversationId });
    expect(seen).toEqual([2]);
    expect(b.conversations(s)[0]!.messages.map((m) => [m.direction, m.text])).toEqual([
      ['out', 'hola'],
      ['in', 'sí'],
    ]);
    await b.stop();
  });

  it('a session whose time ran out while the server was down ends at start; its late reply is not claimed', async () => {
    const { clock, make } = setup({ sessionMinutes: 1 });
    const a = make();
    await a.start();
    const { session, token } = await a.createSession(IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    await a.stop();
    clock.advance(61_000);
    const b = make();
    await b.start();
    await expect(b.authenticate(token)).rejects.toMatchObject({ code: 'session-ended', status: 410 });
    expect(await b.receive({ id: 'in-9', from: '+79001234567', text: 'late' })).toBeUndefined();
    expect(b.liveCount).toBe(0);
  });

  it('delivery states that changed while down are picked up at start (and pushed as status events)', async () => {
    const { store, make } = setup();
    const a = make();
    await a.start();
    const { session, token } = await a.createSession(IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    await a.stop();
    const [job] = await store.listJobs();
    await store.updateJob(job!.id, { state: 'sent', sentAt: new Date().toISOString() });
    const b = make();
    await b.start();
    const s = await b.authenticate(token);
    expect(b.conversations(s)[0]!.messages[0]!.state).toBe('sent');
    const events: string[] = [];
    b.subscribe(s.id, undefined, (ev) => events.push(`${ev.type}:${String(ev.data.state)}`));
    expect(events).toEqual(['message:queued', 'status:sent']);
    await b.stop();
  });

  it("today's per-destination count survives a restart (counted from the stored sessions)", async () => {
    const limits = { perIpPerHour: 100, sessionsPerIpPerHour: 100, perDestinationPerDay: 2, perPrefixPerHour: 100, prefixDigits: 6, conversationsPerSession: 5 };
    const { clock, make } = setup({ sessionMinutes: 1, limits });
    const a = make();
    await a.start();
    const { session } = await a.createSession(IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: '1' }), IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: '2' }), IP);
    clock.advance(61_000); // the session ends: the mobile is free again, the day is the same
    await a.stop();
    const b = make();
    await b.start();
    const s2 = await b.createSession(IP);
    await expect(b.send(s2.session, b.validate({ name: 'Eve', to: '+79001234567', text: '3' }), IP)).rejects.toMatchObject({ code: 'limit-destination', status: 429 });
    await b.send(s2.session, b.validate({ name: 'Eve', to: '+79001234568', text: '3' }), IP);
    clock.advance(86_400_000); // the next day
    const s3 = await b.createSession(IP);
    await b.send(s3.session, b.validate({ name: 'Eve', to: '+79001234567', text: '4' }), IP);
    await b.stop();
  });

  it('a reply is recorded once per inbox entry (a re-run after a crash does not duplicate it)', async () => {
    const { make } = setup();
    const a = make();
    await a.start();
    const { session } = await a.createSession(IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    const entry = { id: 'in-5', from: '89001234567', text: 'sí' };
    const first = await a.receive(entry);
    expect(await a.receive(entry)).toEqual(first);
    expect(a.conversations(session)[0]!.messages).toHaveLength(2);
    await a.stop();
  });

  it('ended sessions: deleted at once when they never sent anything, else after the retention days', async () => {
    const { store, clock, make } = setup({ sessionMinutes: 1, retainDays: 2 });
    const a = make();
    await a.start();
    await a.createSession(IP);
    const { session } = await a.createSession(IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    clock.advance(61_000);
    await a.stop();
    expect((await store.listChatSessions()).map((s) => [s.id, !!s.endedAt])).toEqual([[session.id, true]]);
    clock.advance(2 * 86_400_000 + 1000);
    const b = make();
    await b.start();
    expect(await store.listChatSessions()).toEqual([]);
  });

  it('the chat route comes after the command route: a command from a chat mobile stays a command', async () => {
    const { store, make } = setup();
    const chat = make();
    await chat.start();
    const { session } = await chat.createSession(IP);
    await chat.send(session, chat.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    const key = randomBytes(32);
    const commands = new CommandService({ store, templates: resolveTemplates('en'), phoneRule: { country: 'RU' }, decryptPassword: (e) => decryptSecret(e, key) });
    const pipeline = new InboundPipeline({ store, routes: [commands, new ChatRoute(chat)] });
    const add = async (text: string) =>
      (await store.addInbound({ from: '+79001234567', text, receivedAt: new Date().toISOString(), status: 'new', parts: 1, dedupKey: text })).entry;
    expect(await pipeline.route(await add('CLIENT sms stop'))).toMatchObject({ routedBy: 'command' });
    const reply = await pipeline.route(await add('vale, hasta luego'));
    expect(reply).toMatchObject({ routedBy: 'chat', status: 'processed', route: { conversationId: chat.conversations(session)[0]!.conversationId } });
    // A call from that mobile is not a chat message.
    expect(await pipeline.route((await store.addInbound({ from: '+79001234567', text: '[CALL]', receivedAt: new Date().toISOString(), status: 'call', parts: 1, dedupKey: 'c' })).entry)).toMatchObject({ routedBy: 'none' });
    await chat.stop();
  });
});

describe('events are published only once written', () => {
  it('a page never sees an event id that a crash could hand out again', async () => {
    class GatedStore extends MemoryStore {
      gate: Promise<void> | undefined;
      override async putChatSession(session: Parameters<MemoryStore['putChatSession']>[0]): Promise<void> {
        await this.gate;
        return super.putChatSession(session);
      }
    }
    const store = new GatedStore();
    const { make } = setup({}, store);
    const chat = make();
    await chat.start();
    const { session } = await chat.createSession(IP);
    const seen: number[] = [];
    chat.subscribe(session.id, undefined, (ev) => seen.push(ev.id));
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const sending = chat.send(session, chat.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]); // recorded, not yet on disk: not published
    const late: number[] = [];
    chat.subscribe(session.id, undefined, (ev) => late.push(ev.id)); // no replay of the unwritten event
    expect(late).toEqual([]);
    open();
    await sending;
    expect(seen).toEqual([1]);
    expect(late).toEqual([1]); // delivered once, live
    await chat.stop();
  });
});

describe('chat template', () => {
  it('several modems: a conversation keeps to one SIM — the one its first SMS left through, then the one the mobile answered', async () => {
    const { store, make } = setup({ pinToModem: true });
    const a = make();
    await a.start();
    const { session, token } = await a.createSession(IP);
    const draft = (text: string) => a.validate({ name: 'Ana', to: '+79001234567', text });
    await a.send(session, draft('hola'), IP);
    const [first] = await store.listJobs();
    expect(first!.modem).toBeUndefined(); // the first SMS: any modem
    await store.updateJob(first!.id, { state: 'sent', via: 'm3', sentAt: new Date().toISOString() });
    await a.jobUpdate(first!.id, 'sent', 'm3');
    await a.send(session, draft('¿estás?'), IP);
    // The mobile answers the number that texted it, m3; then texts m2 (say, a number it saved): m2 from then on.
    await a.receive({ id: 'in-1', from: '+79001234567', text: 'sí', modem: 'm3' });
    await a.receive({ id: 'in-2', from: '+79001234567', text: 'otro', modem: 'm2' });
    await a.stop();
    // Kept with the session: a restart goes on with m2.
    const b = make();
    await b.start();
    await b.send(await b.authenticate(token), b.validate({ name: 'Ana', to: '+79001234567', text: 'vale' }), IP);
    const jobs = (await store.listJobs()).sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id));
    expect(jobs.map((j) => j.modem)).toEqual([undefined, 'm3', 'm2']);
    await b.stop();
  });

  it('one modem: nothing is pinned (the job is the same as before the pool)', async () => {
    const { store, make } = setup();
    const a = make();
    await a.start();
    const { session } = await a.createSession(IP);
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'hola' }), IP);
    const [first] = await store.listJobs();
    await a.jobUpdate(first!.id, 'sent', 'default');
    await a.receive({ id: 'in-1', from: '+79001234567', text: 'sí', modem: 'default' });
    await a.send(session, a.validate({ name: 'Ana', to: '+79001234567', text: 'bien' }), IP);
    expect((await store.listJobs()).map((j) => j.modem)).toEqual([undefined, undefined]);
    await a.stop();
  });

  it('fills {name} and {text} once; refuses unknown placeholders and a template without {text}', () => {
    expect(renderChatSms('{name} (web): {text}', 'Ana {text}', 'hola {name}')).toBe('Ana {text} (web): hola {name}');
    expect(() => validateChatTemplate('{nombre}: {text}')).toThrow(ChatTemplateError);
    expect(() => validateChatTemplate('{nombre}: {text}')).toThrow(/unknown placeholder \{nombre\}/);
    expect(() => validateChatTemplate('{name} wrote')).toThrow(/must contain \{text\}/);
    expect(() => new ChatService({ repo: new MemoryStore(), outbox: { send: async () => ({ jobId: 'j' }) }, template: 'hi' })).toThrow(/must contain \{text\}/);
  });
});
