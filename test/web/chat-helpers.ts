/**
 * Test helpers for the public web layer and the chat: the real fastify listener on an ephemeral
 * port with the real chat service, captcha and limits, over a real Store (in memory: sessions,
 * used captchas, the queue); an HTTP client that keeps the session cookie; an SSE reader; the ALTCHA solver.
 */
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { ChatService, type ChatServiceOptions } from '../../src/chat/service.js';
import { storeOutbox } from '../../src/chat/outbox.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Clock } from '../../src/util/clock.js';
import { PowCaptcha, type CaptchaMode } from '../../src/web/captcha.js';
import { registerChatRoutes } from '../../src/web/chat/routes.js';
import type { PageLanguage } from '../../src/web/chat/strings.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';

export interface ChatWebOptions {
  clock?: Clock;
  chat?: Partial<ChatServiceOptions>;
  captcha?: CaptchaMode;
  difficulty?: number;
  trustProxy?: boolean;
  requestsPerMinute?: number;
  language?: PageLanguage;
  store?: MemoryStore;
}

export interface ChatWeb {
  web: WebServer;
  base: string;
  port: number;
  chat: ChatService;
  captcha: PowCaptcha;
  store: MemoryStore;
  close(): Promise<void>;
}

export async function startChatWeb(o: ChatWebOptions = {}): Promise<ChatWeb> {
  const store = o.store ?? new MemoryStore({ clock: o.clock });
  const chat = new ChatService({
    repo: store,
    outbox: storeOutbox(store, { clock: o.clock }),
    phoneRule: { country: 'RU' },
    clock: o.clock,
    ...o.chat,
  });
  await chat.start();
  const captcha = new PowCaptcha({ mode: o.captcha ?? 'pow', guard: store, difficulty: o.difficulty ?? 2000, clock: o.clock });
  const web = await createWebServer({ port: 0, trustProxy: o.trustProxy, requestsPerMinute: o.requestsPerMinute });
  await registerChatRoutes(web.app, { chat, captcha, sse: web.sse, language: o.language ?? 'en', clock: o.clock });
  const port = await web.listen();
  return {
    web,
    port,
    base: `http://127.0.0.1:${port}`,
    chat,
    captcha,
    store,
    async close() {
      await web.close();
      await chat.stop();
    },
  };
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A client with a cookie jar of one cookie (the chat session). */
export class ChatClient {
  cookie: string | undefined;
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...this.headers, ...extra };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async session(): Promise<ApiResponse<{ sessionId: string; expiresAt: string; error?: string }>> {
    return this.request('POST', '/chat/api/session', {});
  }

  /** A solved captcha payload (base64 JSON, as the page sends it). */
  async solvedCaptcha(): Promise<string | undefined> {
    const r = await this.request<Challenge & { mode: string }>('GET', '/chat/api/captcha');
    if (r.body.mode === 'off') return undefined;
    const { mode: _m, ...challenge } = r.body;
    const solution = await solveChallenge({ challenge, deriveKey });
    return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  }

  async send(msg: { name?: string; to?: string; text?: string }, captcha?: string | null): Promise<ApiResponse> {
    const c = captcha === undefined ? await this.solvedCaptcha() : captcha;
    return this.request('POST', '/chat/api/messages', { name: 'Ana', to: '+79001234567', text: 'hola', ...msg, captcha: c });
  }
}

export interface SseMessage {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a Server-Sent-Events response; `next()` waits for the next event. */
export class SseReader {
  private buf = '';
  private readonly queue: SseMessage[] = [];
  private waiters: ((m: SseMessage | undefined) => void)[] = [];
  done = false;
  status = 0;
  private abort = new AbortController();

  static async open(base: string, path: string, headers: Record<string, string>): Promise<SseReader> {
    const r = new SseReader();
    const res = await fetch(base + path, { headers, signal: r.abort.signal });
    r.status = res.status;
    if (!res.ok || !res.body) {
      r.done = true;
      return r;
    }
    void r.pump(res.body);
    return r;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buf += dec.decode(chunk, { stream: true });
        let i: number;
        while ((i = this.buf.indexOf('\n\n')) >= 0) {
          const block = this.buf.slice(0, i);
          this.buf = this.buf.slice(i + 2);
          const m: Partial<SseMessage> & { dataText?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) m.id = line.slice(4);
            else if (line.startsWith('event: ')) m.event = line.slice(7);
            else if (line.startsWith('data: ')) m.dataText = line.slice(6);
          }
          if (m.dataText === undefined) continue; // retry: / comments
          this.deliver({ id: m.id, event: m.event ?? 'message', data: JSON.parse(m.dataText) });
        }
      }
    } catch {
      /* aborted */
    }
    this.done = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private deliver(m: SseMessage): void {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  /** The next event, or undefined when the stream ended; throws after `timeoutMs`. */
  next(timeoutMs = 10_000): Promise<SseMessage | undefined> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.done) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no SSE event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  close(): void {
    this.abort.abort();
  }
}
