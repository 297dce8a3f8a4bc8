/**
 * The public web listener (fastify 5): a second listener, separate from the loopback API in
 * src/api/, meant to sit behind nginx with TLS. Features (the chat page, the self-service page,
 * the operator console) are Fastify plugins registered on `app` before `listen()`.
 *
 * What every route gets here:
 * - security headers with a strict CSP (security.ts), `Cache-Control: no-store` on non-asset
 *   responses;
 * - the same-origin check on state-changing requests (CSRF, with SameSite cookies);
 * - a per-IP request limit over all routes (429); the client IP is the socket's, or with
 *   `trustProxy` the one nginx saw (exactly one trusted hop: a client-sent X-Forwarded-For
 *   entry further left is never believed);
 * - JSON errors `{error: code, message}`: 4xx with the thrower's code, 500 logged and shown
 *   without details;
 * - static assets under `/assets/`.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { moduleLogger } from '../util/log.js';
import { asPublicError, WebError } from './errors.js';
import { checkSameOrigin, HELMET_OPTIONS } from './security.js';
import { SseRegistry } from './sse.js';
import { registerStatic } from './static.js';

export interface WebServerOptions {
  /** Default 127.0.0.1: nginx in front terminates TLS. */
  host?: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** Believe X-Forwarded-For/-Proto/-Host from one proxy hop in front (nginx). */
  trustProxy?: boolean;
  /** Requests per minute per client IP, over every route (default 300). */
  requestsPerMinute?: number;
  /** Request body limit in bytes (default 16 KiB: the public forms are small). */
  bodyLimit?: number;
  logger?: Logger;
}

export interface WebServer {
  app: FastifyInstance;
  /** Open Server-Sent-Events streams; ended on close. */
  sse: SseRegistry;
  /** Starts listening; answers the bound port. */
  listen(): Promise<number>;
  readonly port: number | undefined;
  close(): Promise<void>;
}

export async function createWebServer(o: WebServerOptions): Promise<WebServer> {
  const log = moduleLogger(o.logger, 'web');
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per request would flood the log of a public page; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    // Reject what the schema does not name instead of silently dropping it; no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Only the direct peer (hop 0, nginx) is trusted: the client IP is the last X-Forwarded-For entry.
    trustProxy: o.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    bodyLimit: o.bodyLimit ?? 16 * 1024,
    // SSE responses never go idle on their own: close() must not wait for visitors to leave.
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  const sse = new SseRegistry();

  await app.register(fastifyHelmet, HELMET_OPTIONS);
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: true,
    max: o.requestsPerMinute ?? 300,
    timeWindow: 60_000,
    keyGenerator: (req) => req.ip,
    errorResponseBuilder: (_req, ctx) => new WebError(429, 'rate-limited', `too many requests from this address: at most ${ctx.max} per minute`, Math.ceil(ctx.ttl / 1000)),
  });
  app.addHook('onRequest', async (req) => checkSameOrigin(req));
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith('/assets/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler(async (err, req, reply) => {
    const pub = asPublicError(err);
    if (pub) {
      if (pub.retryAfterSeconds !== undefined) reply.header('retry-after', String(pub.retryAfterSeconds));
      return reply.code(pub.status).send({ error: pub.code, message: pub.message });
    }
    log.error({ err: (err as Error).message, method: req.method, url: req.url.split('?')[0] }, 'web request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'not-found', message: 'no such page' }));
  app.addHook('preClose', async () => sse.closeAll());
  await registerStatic(app);

  let port: number | undefined;
  return {
    app,
    sse,
    get port() {
      return port;
    },
    async listen() {
      await app.listen({ host: o.host ?? '127.0.0.1', port: o.port });
      port = (app.server.address() as AddressInfo).port;
      log.info({ host: o.host ?? '127.0.0.1', port, trustProxy: !!o.trustProxy }, 'public web listener started');
      return port;
    },
    async close() {
      await app.close();
    },
  };
}
