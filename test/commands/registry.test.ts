/**
 * The handler registry: exact phrases, keywords with arguments, the empty text; the parser's
 * normalisation applies to patterns and texts alike; precedence and duplicate registrations.
 * Handlers registered here also run through the real CommandService (ack + result, no ack).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandRegistry, CommandService, resolveTemplates, type CommandHandler, type CommandPattern } from '../../src/commands/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { decryptSecret } from '../../src/util/secret.js';
import { FakeClock } from '../helpers/fake-clock.js';

const h = (name: string, match: CommandPattern, plan: CommandHandler['plan'] = async ({ sender }) => ({ to: sender, result: name })): CommandHandler => ({ name, match, plan });

describe('CommandRegistry', () => {
  const reg = new CommandRegistry([
    h('activate', { phrase: '111' }),
    h('help', { phrase: '?' }),
    h('code', { keyword: 'CODE', args: 1 }),
    h('code reset', { keyword: 'CODE reset', args: { min: 0, max: 1 } }),
    h('order', { empty: true }),
    h('info', { phrase: 'CLIENT info' }),
  ]);
  const name = (t: string) => reg.match(t)?.match.name;

  it('matches an exact phrase only as the whole text', () => {
    expect(name('111')).toBe('activate');
    expect(name(' 111 ')).toBe('activate');
    expect(name('1111')).toBeUndefined();
    expect(name('111 please')).toBeUndefined();
    expect(name('?')).toBe('help');
  });

  it('matches a keyword with its argument count and hands over the arguments, normalised and as typed', () => {
    expect(reg.match('CODE 1234')?.match).toEqual({ name: 'code', args: ['1234'], rawArgs: ['1234'] });
    expect(reg.match('code  AbC')?.match).toEqual({ name: 'code', args: ['abc'], rawArgs: ['AbC'] });
    expect(name('CODE')).toBeUndefined(); // one argument required
    expect(name('CODE 1 2')).toBeUndefined();
    // Longest keyword first: `code reset 9` is not `code` with arguments `reset 9`.
    expect(reg.match('code RESET 9')?.match).toEqual({ name: 'code reset', args: ['9'], rawArgs: ['9'] });
    expect(name('code reset')).toBe('code reset');
  });

  it('the empty pattern takes whitespace-only texts (phones cannot send a truly empty SMS)', () => {
    for (const t of ['', ' ', '\n', '\u00a0 \t', '\u200b']) expect(name(t)).toBe('order');
    expect(new CommandRegistry([h('x', { phrase: 'x' })]).match('  ')).toBeUndefined();
  });

  it('applies the parser normalisation to every pattern: case, NBSP, fullwidth (NFKC), Cyrillic look-alikes', () => {
    expect(reg.match('ＣＯＤＥ\u00a0１２３４')?.match).toMatchObject({ name: 'code', args: ['1234'] });
    expect(reg.match('\u0421\u041eDE 77')?.match).toMatchObject({ name: 'code', args: ['77'] }); // Cyrillic С, О
    expect(name('\u0421LI\u0415N\u0422\u00a0INFO')).toBe('info');
    expect(name('client\ninfo')).toBe('info');
  });

  it('refuses a phrase, keyword, empty pattern or name registered twice (in any spelling)', () => {
    expect(() => reg.register(h('activate2', { phrase: ' 111' }))).toThrow(/phrase "111" is already taken by "activate"/);
    expect(() => reg.register(h('code2', { keyword: 'ＣＯＤＥ', args: 2 }))).toThrow(/keyword "code" is already taken/);
    expect(() => reg.register(h('order2', { empty: true }))).toThrow(/empty text is already taken/);
    expect(() => reg.register(h('info', { phrase: 'other' }))).toThrow(/"info" is already registered/);
    expect(() => reg.register(h('blank', { phrase: '  ' }))).toThrow(/empty phrase/);
  });
});

describe('CommandService with registered handlers', () => {
  it('runs a keyword handler through the shared checks and queues ack + result; ack: false sends the result alone', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const service = new CommandService({
      store,
      templates: resolveTemplates('en'),
      phoneRule: { country: 'RU' },
      decryptPassword: (e) => decryptSecret(e, randomBytes(32)),
      clock,
      handlers: [
        h('code', { keyword: 'code', args: 1 }, async ({ sender, match }) => ({ to: sender, result: `code ${match.args[0]} ok` })),
        h('order', { empty: true }, async ({ sender }) => ({ to: sender, result: 'your code: 123456', ack: false })),
      ],
    });
    const add = async (text: string) =>
      (await store.addInbound({ from: '89001234567', text, receivedAt: new Date(clock.now()).toISOString(), status: 'new', parts: 1, dedupKey: text })).entry;
    const a = await service.handleInbound(await add('CODE 42'));
    expect(a).toMatchObject({ status: 'processed', command: 'code' });
    expect(a.replies.map((j) => [j.to, j.text])).toEqual([
      ['+79001234567', resolveTemplates('en').ack],
      ['+79001234567', 'code 42 ok'],
    ]);
    const b = await service.handleInbound(await add(' '));
    expect(b.replies.map((j) => j.text)).toEqual(['your code: 123456']);
    expect((await service.handleInbound(await add('CODE'))).status).toBe('ignored');
  });
});
