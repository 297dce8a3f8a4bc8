/**
 * The keyword-command registry. A handler declares what it matches and what it does; the parser's
 * normalisation (normalizeCommandText: NFKC, invisible characters, Cyrillic look-alikes, case,
 * whitespace and NBSP) applies to every pattern and every text alike, so a handler never sees
 * the difference between `CODE 1234`, `ｃｏｄｅ　1234` and `СODE 1234`.
 *
 * Patterns:
 * - `{ phrase }`: the whole text is exactly this phrase (`CLIENT info`, `111`, `?`).
 * - `{ keyword, args }`: the text starts with the keyword's words and has `args` more words
 *   (`CODE 1234`): a number, or `{ min, max }`.
 * - `{ empty: true }`: nothing but whitespace (phones cannot send a truly empty SMS, see
 *   docs/field-notes; a stray space or line break is what arrives).
 * Precedence: an exact phrase, then the longest matching keyword, then the empty pattern; the
 * same phrase or keyword registered twice is an error at start-up.
 */
import type { InboxEntry } from '../store/types.js';
import { normalizeCommandText, typedWords } from './parser.js';

export type CommandPattern =
  | { phrase: string }
  | { keyword: string; args: number | { min: number; max?: number } }
  | { empty: true };

/** What matched: the handler's name and the argument words. */
export interface CommandMatch {
  /** The handler's name, as stored in InboxEntry.command. */
  name: string;
  /** Argument words in their normalised form (lower case, look-alikes folded). */
  args: string[];
  /** The same words as typed (NFKC, invisible characters dropped; case and letters kept). */
  rawArgs: string[];
}

/** What a handler decides for one request. */
export type CommandPlan =
  /** Answer: `result` to `to`, after the configured acknowledgement unless `ack: false`. */
  | { to: string; result: string; ack?: boolean; seal?: boolean }
  /** Refused: recorded as 'rejected' with this reason, no reply. */
  | { reject: string }
  /** Cannot answer (a server-side fault): recorded as 'error', no reply. */
  | { error: string };

export interface CommandContext {
  entry: InboxEntry;
  /** The sender in E.164 (already checked to be a number that can receive SMS). */
  sender: string;
  match: CommandMatch;
}

export interface CommandHandler {
  /** Stored in InboxEntry.command (`info`, `sms stop`, `code`). Unique. */
  readonly name: string;
  readonly match: CommandPattern;
  /** Counts against the per-sender rate limit (default true). */
  readonly rateLimited?: boolean;
  /** Decide the reply and apply the command's effect. Must be safe to run again for the same entry. */
  plan(ctx: CommandContext): Promise<CommandPlan>;
}

export class CommandRegistryError extends Error {
  readonly code = 'DUPLICATE_COMMAND';
  constructor(message: string) {
    super(message);
    this.name = 'CommandRegistryError';
  }
}

interface KeywordEntry {
  words: string[];
  min: number;
  max: number;
  handler: CommandHandler;
}

export class CommandRegistry {
  private readonly phrases = new Map<string, CommandHandler>();
  private readonly keywords: KeywordEntry[] = [];
  private readonly byName = new Map<string, CommandHandler>();
  private empty: CommandHandler | undefined;

  constructor(handlers: readonly CommandHandler[] = []) {
    for (const h of handlers) this.register(h);
  }

  register(h: CommandHandler): this {
    if (this.byName.has(h.name)) throw new CommandRegistryError(`command "${h.name}" is already registered`);
    const m = h.match;
    if ('phrase' in m) {
      const key = normalizeCommandText(m.phrase);
      if (key === '') throw new CommandRegistryError(`command "${h.name}": an empty phrase; use { empty: true }`);
      const taken = this.phrases.get(key);
      if (taken) throw new CommandRegistryError(`command "${h.name}": phrase "${key}" is already taken by "${taken.name}"`);
      this.phrases.set(key, h);
    } else if ('keyword' in m) {
      const words = normalizeCommandText(m.keyword).split(' ').filter(Boolean);
      if (!words.length) throw new CommandRegistryError(`command "${h.name}": an empty keyword`);
      const taken = this.keywords.find((k) => k.words.join(' ') === words.join(' '));
      if (taken) throw new CommandRegistryError(`command "${h.name}": keyword "${words.join(' ')}" is already taken by "${taken.handler.name}"`);
      const min = typeof m.args === 'number' ? m.args : m.args.min;
      const max = typeof m.args === 'number' ? m.args : (m.args.max ?? Infinity);
      this.keywords.push({ words, min, max, handler: h });
      // Longest keyword first: `code reset 1` is not `code` with the arguments `reset 1`.
      this.keywords.sort((a, b) => b.words.length - a.words.length);
    } else {
      if (this.empty) throw new CommandRegistryError(`command "${h.name}": the empty text is already taken by "${this.empty.name}"`);
      this.empty = h;
    }
    this.byName.set(h.name, h);
    return this;
  }

  get(name: string): CommandHandler | undefined {
    return this.byName.get(name);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The handler a text asks for, with its arguments; undefined when it is no registered command. */
  match(text: string): { handler: CommandHandler; match: CommandMatch } | undefined {
    const norm = normalizeCommandText(text);
    if (norm === '') return this.empty && { handler: this.empty, match: { name: this.empty.name, args: [], rawArgs: [] } };
    const phrase = this.phrases.get(norm);
    if (phrase) return { handler: phrase, match: { name: phrase.name, args: [], rawArgs: [] } };
    const words = norm.split(' ');
    for (const k of this.keywords) {
      const n = words.length - k.words.length;
      if (n < k.min || n > k.max || k.words.some((w, i) => words[i] !== w)) continue;
      const raw = typedWords(text);
      return { handler: k.handler, match: { name: k.handler.name, args: words.slice(k.words.length), rawArgs: raw.slice(k.words.length) } };
    }
    return undefined;
  }
}
