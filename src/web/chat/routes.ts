/**
 * The chat page and its JSON API (issue 12), as routes of the public web listener:
 *
 * - `GET /chat` — the page (text in the server's language)
 * - `POST /chat/api/session` → 201 `{sessionId, expiresAt}` + cookie (200 with the same session
 *   when the cookie names a live one)
 * - `GET /chat/api/captcha` → an ALTCHA challenge (`{mode: "off"}` when switched off)
 * - `POST /chat/api/messages` `{name, to, text, captcha}` → 201 `{conversationId, messageId}`
 * - `GET /chat/api/conversations` → `{sessionId, expiresAt, conversations}`
 * - `GET /chat/api/events` — Server-Sent Events (`message`, `status`, `ended`), resumable with
 *   `Last-Event-ID`; one stream per session (a new one replaces the old)
 *
 * Errors are `{error, message}`: 400 input, 401 no session, 403 captcha or cross-site, 409 mobile
 * busy, 410 session ended, 429 limits. Checks run in that order for a message: input first (a
 * typo does not burn the solved captcha), then the captcha, then the conversation rules and limits.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChatService } from '../../chat/service.js';
import type { ChatSession } from '../../chat/types.js';
import type { Clock } from '../../util/clock.js';
import { moduleLogger } from '../../util/log.js';
import type { PowCaptcha } from '../captcha.js';
import { renderPage } from '../page.js';
import { lastEventId, type SseRegistry, type SseStream } from '../sse.js';
import { CHAT_STRINGS, fill, type PageLanguage } from './strings.js';

export const CHAT_COOKIE = 'sms_chat';

export interface ChatRoutesOptions {
  chat: ChatService;
  captcha: PowCaptcha;
  sse: SseRegistry;
  language: PageLanguage;
  /** SSE heartbeat (default 15 s). */
  heartbeatMs?: number;
  clock?: Clock;
  logger?: Logger;
}

const messageBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Generous schema bounds: the service gives the specific message for a too-long field.
    name: { type: 'string', maxLength: 1000 },
    to: { type: 'string', maxLength: 100 },
    text: { type: 'string', maxLength: 5000 },
    captcha: { anyOf: [{ type: 'string', maxLength: 4096 }, { type: 'object' }, { type: 'null' }] },
  },
} as const;

export async function registerChatRoutes(app: FastifyInstance, o: ChatRoutesOptions): Promise<void> {
  const { chat, captcha, sse } = o;
  const log = moduleLogger(o.logger, 'web-chat');
  const strings = CHAT_STRINGS[o.language];
  const minutes = Math.round((chat.sessionMs / 60_000) * 10) / 10;
  const html = renderPage('chat.html', {
    lang: o.language,
    ...strings.page,
    intro: fill(strings.page.intro, { max: chat.maxLength, minutes }),
    mobileHint: fill(strings.page.mobileHint, { example: chat.exampleNumber() }),
    maxLength: chat.maxLength,
    maxName: chat.maxNameLength,
    config: { lang: o.language, maxLength: chat.maxLength, strings: strings.client },
  });
  /** The one open stream of each session. */
  const streams = new Map<string, SseStream>();

  const session = (req: FastifyRequest): Promise<ChatSession> => chat.authenticate(req.cookies[CHAT_COOKIE]);

  app.get('/chat', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));

  app.post('/chat/api/session', async (req, reply) => {
    const existing = await session(req).catch(() => undefined);
    if (existing) return { sessionId: existing.id, expiresAt: existing.expiresAt };
    const { session: s, token } = await chat.createSession(req.ip);
    reply.setCookie(CHAT_COOKIE, token, {
      path: '/chat',
      httpOnly: true,
      sameSite: 'strict',
      // Behind nginx with TLS (and trustProxy) the request is https: the cookie never travels in clear.
      secure: req.protocol === 'https',
    });
    return reply.code(201).send({ sessionId: s.id, expiresAt: s.expiresAt });
  });

  app.get('/chat/api/captcha', async () => captcha.challenge());

  app.post('/chat/api/messages', { schema: { body: messageBody } }, async (req, reply) => {
    const s = await session(req);
    const body = (req.body ?? {}) as { name?: string; to?: string; text?: string; captcha?: unknown };
    const draft = chat.validate(body);
    await captcha.verify(body.captcha);
    const r = await chat.send(s, draft, req.ip);
    return reply.code(201).send(r);
  });

  app.get('/chat/api/conversations', async (req) => {
    const s = await session(req);
    return { sessionId: s.id, expiresAt: s.expiresAt, conversations: chat.conversations(s) };
  });

  app.get('/chat/api/events', async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await session(req);
    const last = lastEventId(req);
    const after = last !== undefined && /^\d{1,15}$/.test(last) ? Number(last) : undefined;
    const stream = sse.start(req, reply, { heartbeatMs: o.heartbeatMs, clock: o.clock });
    streams.get(s.id)?.close();
    streams.set(s.id, stream);
    let unsubscribe: (() => void) | undefined;
    stream.onClose(() => {
      unsubscribe?.();
      if (streams.get(s.id) === stream) streams.delete(s.id);
    });
    try {
      unsubscribe = chat.subscribe(s.id, after, (ev) => {
        stream.send({ id: ev.id, event: ev.type, data: ev.data });
        if (ev.type === 'ended') stream.close();
      });
    } catch (e) {
      // Ended between authenticate and subscribe: tell the page the way it expects.
      stream.send({ event: 'ended', data: { sessionId: s.id } });
      stream.close();
      log.debug({ session: s.id, err: (e as Error).message }, 'stream of an ended session');
    }
    if (stream.closed) unsubscribe?.();
  });
}
