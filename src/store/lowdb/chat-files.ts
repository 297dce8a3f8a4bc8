/**
 * The web chat's part of the data folder (LowdbStore delegates to it, inside its operation chain):
 *
 *   chat/sessions/<id>.json   ChatSession, one file each: a write rewrites one small session
 *   chat/once.json            {v:1, values: {key: expiresAt}}: used single-use keys, expired ones pruned
 *
 * All sessions on disk are loaded at open (the chat service deletes ended ones after its retention
 * days, so the folder stays small); reads are answered from memory.
 */
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ChatSession, ChatSessionFilter, ChatSessionStore, OnceStore } from '../chat-types.js';
import { fsyncDir, readJsonFile, writeFileDurable } from './durable-json-file.js';
import { isNotFound } from '../../util/fs-errors.js';
import { CorruptFileError } from '../errors.js';
import { selectChatSessions } from '../filters.js';

interface OnceDoc {
  v: 1;
  values: Record<string, string>;
}

const SESSION_ID = /^cs-[0-9a-f]+$/;
const clone = <T>(v: T): T => structuredClone(v);

export class ChatFiles implements ChatSessionStore, OnceStore {
  private readonly sessions = new Map<string, ChatSession>();
  private once: OnceDoc = { v: 1, values: {} };

  constructor(
    private readonly dir: string,
    private readonly now: () => number,
  ) {}

  private get sessionDir(): string {
    return path.join(this.dir, 'chat', 'sessions');
  }

  private get onceFile(): string {
    return path.join(this.dir, 'chat', 'once.json');
  }

  async load(): Promise<void> {
    let files: string[] = [];
    try {
      files = await readdir(this.sessionDir);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    for (const f of files) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const s = await readJsonFile<ChatSession>(path.join(this.sessionDir, f));
      if (s) this.sessions.set(s.id, s);
    }
    const once = await readJsonFile<OnceDoc>(this.onceFile);
    if (once) {
      if (once.v !== 1 || typeof once.values !== 'object') throw new CorruptFileError(this.onceFile, `unsupported version ${JSON.stringify(once.v)}`);
      this.once = once;
    }
  }

  private fileOf(id: string): string {
    // Ids come from the chat service; anything else must never become a path.
    if (!SESSION_ID.test(id)) throw new RangeError(`not a chat session id: ${JSON.stringify(id)}`);
    return path.join(this.sessionDir, `${id}.json`);
  }

  async putChatSession(s: ChatSession): Promise<void> {
    await writeFileDurable(this.fileOf(s.id), JSON.stringify(s));
    this.sessions.set(s.id, clone(s));
  }

  async getChatSession(id: string): Promise<ChatSession | undefined> {
    const s = this.sessions.get(id);
    return s && clone(s);
  }

  async listChatSessions(f: ChatSessionFilter = {}): Promise<ChatSession[]> {
    return selectChatSessions(this.sessions.values(), f);
  }


  async deleteChatSession(id: string): Promise<void> {
    const file = this.fileOf(id);
    try {
      await unlink(file);
      await fsyncDir(path.dirname(file));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.sessions.delete(id);
  }

  async useOnce(key: string, expiresAt: string): Promise<boolean> {
    const now = this.now();
    const exp = this.once.values[key];
    if (exp !== undefined && Date.parse(exp) > now) return false;
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.once.values)) if (Date.parse(v) > now) values[k] = v;
    values[key] = expiresAt;
    const next: OnceDoc = { v: 1, values };
    await writeFileDurable(this.onceFile, JSON.stringify(next));
    this.once = next;
    return true;
  }
}
