/**
 * The loopback HTTP API for applications that send notifications:
 *
 * - `POST /messages` `{to: string | string[], text, account?, report?: boolean}` → 201 `{id?, ids, jobs: [{id, to, state}], rejected}`
 *   (`id` when `to` is one string; 422 when no recipient could be queued; `report` asks for status
 *   reports, default the server's `queue.deliveryReports`)
 * - `GET /messages/:id` → `{id, to, state, attempts, lastError, createdAt, sentAt, parts, account, delivery}`
 *   (`delivery`: `{state, at, parts: [{seq, mr, state, status, at}]}`, null when no report was asked for)
 * - `GET /inbox?since=ISO&limit=N[&account=L]` → `{messages: [inbox entry JSON…]}`, oldest first
 * - `GET /health` → `{ok, status: ready|degraded|down, modems: [{id, state, downSince?}], queue: {byState, byPriority}, delivery: {unmatchedReports}}`
 *   (503 when `down`: no modem is ready)
 * - `GET /metrics` (src/metrics/) → the Prometheus text format
 *
 * Every route needs `Authorization: Bearer <token>`: the operator's token (`http.token`: everything,
 * may act for an account with `account`) or an account's API token (`accounts add`: its own jobs
 * and inbound only — another account's job is a 404, as if it did not exist; feature routes are
 * the operator's). Plain `node:http`: a handful of routes do not justify a framework (none is installed and none may be added), and owning the request loop
 * keeps the body limit, the constant-time token check and the "never log credentials" rule in
 * one short file.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { normalizeLogin } from '../accounts/validate.js';
import type { PinForAccount } from '../queue/account-pin.js';
import { enqueueNotification } from '../queue/notifications.js';
import { InvalidRequestError } from '../queue/errors.js';
import type { Store } from '../store/types.js';
import { moduleLogger } from '../util/log.js';
import { hashToken } from '../util/secret.js';
import { inboxJson, jobView } from './views.js';
import { resolvePhoneRule, type PhoneOptions, type PhoneRule } from '../util/phone.js';

/**
 * A route added by a feature module (e.g. `POST /self-service/verify`): the operator's token, same
 * body limit and error handling as the built-in routes. `body()` reads and parses the JSON body.
 */
/** A route's answer that is not JSON (`GET /metrics`: Prometheus text). */
export class RawBody {
  constructor(
    readonly contentType: string,
    readonly body: string,
  ) {}
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(req: { body(): Promise<unknown>; query: URLSearchParams }): Promise<[number, unknown]>;
}

export interface HttpApiOptions {
  /** Feature routes, matched by exact path after the built-in ones. */
  routes?: ApiRoute[];
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** Default '127.0.0.1': the API is for applications on this host. */
  host?: string;
  /** Bearer token (at least 16 characters). */
  token: string;
  store: Store;
  /** Called with the new job ids after a successful POST (the daemon kicks the queue worker). */
  onEnqueued?: (ids: string[]) => void;
  logger?: Logger;
  /** Request body limit; default 64 KiB. */
  maxBodyBytes?: number;
  /** National numbering rule for numbers without a country code (default Russia). */
  phoneRule?: PhoneOptions | PhoneRule;
  /** An account's jobs go through the modem of its dedicated number (queue/account-pin.ts). */
  pinFor?: PinForAccount;
  /**
   * The modems' health for `GET /health` (`status`: ready / degraded / down, `modems`); with it,
   * `down` answers 503 (a load balancer takes the host out). Without it: always 200.
   */
  health?: () => { status: string; modems: unknown[] };
}

export interface HttpApi {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** The API cannot start with this configuration. */
export class HttpApiConfigError extends Error {
  readonly code = 'HTTP_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'HttpApiConfigError';
  }
}

/** An error answered to the client with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const MIN_TOKEN_LENGTH = 16;
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The request's path and query. The plain paths the API serves skip the URL parser (one per POST
 * adds up); anything else (dot segments, percent-escapes, a query) goes through it and is normalised.
 */
function target(url = '/'): { path: string; query: URLSearchParams } {
  if (/^\/[A-Za-z0-9_/-]*$/.test(url) && !url.includes('//')) return { path: url, query: new URLSearchParams() };
  try {
    const u = new URL(url, 'http://localhost');
    return { path: u.pathname, query: u.searchParams };
  } catch {
    return { path: '/', query: new URLSearchParams() };
  }
}

export { jobView };

/** Who is calling: the operator, or one account (by login). */
type Caller = { kind: 'operator' } | { kind: 'account'; login: string };

const INBOX_DEFAULT_LIMIT = 100;
const INBOX_MAX_LIMIT = 1000;

/** Starts the API; resolves once it listens. */
export async function startHttpApi(o: HttpApiOptions): Promise<HttpApi> {
  if (typeof o.token !== 'string' || o.token.length < MIN_TOKEN_LENGTH) {
    throw new HttpApiConfigError(
      `http.token must be set to a secret of at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 24\`) before the HTTP API can start`,
    );
  }
  const log = moduleLogger(o.logger, 'api');
  const host = o.host ?? '127.0.0.1';
  const maxBody = o.maxBodyBytes ?? 64 * 1024;
  // Digests have equal length whatever the inputs, which timingSafeEqual requires; comparing them
  // leaks neither the token's content nor its length.
  const tokenDigest = digest(o.token);
  // Resolved once, not per request (a country code → its numbering rule).
  const phoneRule = resolvePhoneRule(o.phoneRule ?? {});

  /**
   * The operator token is compared in constant time; an account token is looked up by its SHA-256
   * (what the store keeps): 256 random bits leave nothing to learn from the lookup's timing.
   */
  const authenticate = async (req: IncomingMessage): Promise<Caller | undefined> => {
    const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    if (timingSafeEqual(digest(m[1]!), tokenDigest)) return { kind: 'operator' };
    const account = await o.store.findAccountByTokenHash(hashToken(m[1]!));
    return account ? { kind: 'account', login: account.login } : undefined;
  };

  /** The account a request acts for: the caller's own, or the one an operator names (must exist). */
  const actingAccount = async (caller: Caller, named: unknown, where: string): Promise<string | undefined> => {
    if (named !== undefined && typeof named !== 'string') throw new HttpError(400, `${where} "account" must be a login string`);
    let login: string | undefined;
    if (named !== undefined) {
      try {
        login = normalizeLogin(named);
      } catch (e) {
        throw new HttpError(400, (e as Error).message);
      }
    }
    if (caller.kind === 'account') {
      if (login !== undefined && login !== caller.login) throw new HttpError(403, `an account token acts for its own account ("${caller.login}") only`);
      return caller.login;
    }
    if (login !== undefined && !(await o.store.getAccount(login))) throw new HttpError(422, `no account "${login}"`);
    return login;
  };

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) {
      throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${maxBody} bytes`, { Connection: 'close' });
    }
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new HttpError(415, `Content-Type must be application/json, got ${JSON.stringify(type)}`);
    }
    // Events, not `for await`: leaving an async iterator early destroys the socket, and the
    // client would never see the 413.
    const chunks = await new Promise<Buffer[]>((resolve, reject) => {
      const got: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBody) return void got.push(chunk);
        req.off('data', onData);
        req.resume(); // discard the rest; the response closes the connection
        reject(new HttpError(413, `request body exceeds the limit of ${maxBody} bytes`, { Connection: 'close' }));
      };
      req.on('data', onData);
      req.once('end', () => resolve(got));
      req.once('error', reject);
    });
    // A small JSON body arrives in one chunk: no copy then.
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
    if (text.trim() === '') throw new HttpError(400, 'request body is empty; expected JSON like {"to": "+79001234567", "text": "…"}');
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`);
    }
  };

  const postMessages = async (req: IncomingMessage, caller: Caller): Promise<[number, unknown]> => {
    const body = await readJson(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'request body must be a JSON object {"to": …, "text": …}');
    }
    const { to, text, account: named, report } = body as { to?: unknown; text?: unknown; account?: unknown; report?: unknown };
    if (to === undefined) throw new HttpError(400, '"to" is required: a phone number or a list of them');
    if (typeof to !== 'string' && !Array.isArray(to)) throw new HttpError(400, `"to" must be a string or a list of strings, got ${JSON.stringify(to)}`);
    if (typeof text !== 'string') throw new HttpError(400, '"text" is required and must be a string');
    if (report !== undefined && typeof report !== 'boolean') throw new HttpError(400, `"report" must be true or false, got ${JSON.stringify(report)}`);
    const account = await actingAccount(caller, named, 'the body\'s');
    // The rest of the checks (limits, each number) happen once, in enqueueNotification.
    const r = await enqueueNotification(o.store, { to: to as string | string[], text, account, ...(report !== undefined ? { report } : {}) }, phoneRule, { pinFor: o.pinFor });
    const out = {
      ...(typeof to === 'string' && r.ids.length === 1 ? { id: r.ids[0] } : {}),
      ids: r.ids,
      jobs: r.jobs.map((j) => ({ id: j.id, to: j.to, state: j.state })),
      rejected: r.rejected,
    };
    if (r.ids.length === 0) return [422, { error: 'no recipient could be queued', ...out }];
    o.onEnqueued?.(r.ids);
    return [201, out];
  };

  /** `GET /inbox?since=ISO&limit=N[&account=L]`: inbound oldest first, for polling (since is inclusive: de-duplicate by id). */
  const getInbox = async (query: URLSearchParams, caller: Caller): Promise<[number, unknown]> => {
    for (const k of query.keys()) {
      if (!['since', 'limit', 'account'].includes(k)) throw new HttpError(400, `unknown query parameter "${k}" (use since, limit, account)`);
    }
    const sinceText = query.get('since');
    let since: string | undefined;
    if (sinceText !== null) {
      const t = Date.parse(sinceText);
      if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(sinceText)) throw new HttpError(400, `"since" must be an ISO date-time like 2026-11-21T10:00:00Z, got ${JSON.stringify(sinceText)}`);
      since = new Date(t).toISOString();
    }
    const limitText = query.get('limit');
    const limit = limitText === null ? INBOX_DEFAULT_LIMIT : Number(limitText);
    if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > INBOX_MAX_LIMIT) {
      throw new HttpError(400, `"limit" must be a whole number from 1 to ${INBOX_MAX_LIMIT}, got ${JSON.stringify(limitText)}`);
    }
    const account = await actingAccount(caller, query.get('account') ?? undefined, 'the query\'s');
    // The store lists newest first: with `since`, everything since then (bounded by the segments
    // it spans) and the oldest `limit` of it; without, the newest `limit`, in time order.
    const newestFirst = await o.store.listInbound({ account, since, ...(since === undefined ? { limit } : {}) });
    const messages = newestFirst.reverse().slice(0, limit).map(inboxJson);
    return [200, { messages }];
  };

  const route = async (req: IncomingMessage, path: string, query: URLSearchParams, caller: Caller): Promise<[number, unknown]> => {
    if (path === '/messages') {
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed on /messages; use POST`, { Allow: 'POST' });
      return postMessages(req, caller);
    }
    const m = /^\/messages\/([^/]+)$/.exec(path);
    if (m) {
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} not allowed on ${path}; use GET`, { Allow: 'GET' });
      let id: string;
      try {
        id = decodeURIComponent(m[1]!);
      } catch {
        throw new HttpError(400, `malformed percent-encoding in the message id ${JSON.stringify(m[1])}`);
      }
      const job = await o.store.getJob(id);
      // Another account's job answers exactly like a missing one: ids of others are not confirmed.
      if (!job || (caller.kind === 'account' && job.account !== caller.login)) throw new HttpError(404, `no message with id ${JSON.stringify(id)}`);
      return [200, jobView(job)];
    }
    if (path === '/inbox') {
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} not allowed on /inbox; use GET`, { Allow: 'GET' });
      return getInbox(query, caller);
    }
    if (path === '/health') {
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} not allowed on /health; use GET`, { Allow: 'GET' });
      const health = o.health?.();
      const body = { ok: health?.status !== 'down', ...health, queue: await o.store.queueCounts(), delivery: { unmatchedReports: (await o.store.listUnmatchedReports(0)).total } };
      return [health?.status === 'down' ? 503 : 200, body];
    }
    const extra = o.routes?.filter((r) => r.path === path) ?? [];
    if (extra.length) {
      // Feature routes are the operator's: an account token acts on its own messages only.
      if (caller.kind !== 'operator') throw new HttpError(403, `${path} needs the operator token`);
      const r = extra.find((x) => x.method === req.method);
      const allow = extra.map((x) => x.method).join(', ');
      if (!r) throw new HttpError(405, `${req.method} not allowed on ${path}; use ${allow}`, { Allow: allow });
      return r.handle({ body: () => readJson(req), query });
    }
    throw new HttpError(404, `no such endpoint: ${req.method} ${path} (try POST /messages, GET /messages/:id, GET /inbox, GET /health)`);
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const raw = body instanceof RawBody;
    const payload = raw ? body.body : JSON.stringify(body);
    const type = raw ? body.contentType : 'application/json; charset=utf-8';
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(payload), ...headers });
    res.end(payload);
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    const { path, query } = target(req.url);
    let who: string | undefined;
    // Never headers or the query: they may carry the token.
    const done = (status: number) => log.info({ method: req.method, path, status, caller: who, ms: Date.now() - started }, 'http');
    (async () => {
      const caller = await authenticate(req);
      if (!caller) {
        throw new HttpError(401, 'missing or wrong bearer token (send "Authorization: Bearer <token>")', {
          'WWW-Authenticate': req.headers.authorization ? 'Bearer realm="sms-server", error="invalid_token"' : 'Bearer realm="sms-server"',
        });
      }
      who = caller.kind === 'operator' ? 'operator' : `account:${caller.login}`;
      return route(req, path, query, caller);
    })().then(
      ([status, body]) => {
        send(res, status, body);
        done(status);
      },
      (err: unknown) => {
        if (err instanceof HttpError) {
          send(res, err.status, { error: err.message }, err.headers);
          done(err.status);
        } else if (err instanceof InvalidRequestError) {
          send(res, 400, { error: err.message });
          done(400);
        } else {
          log.error({ method: req.method, path, err: (err as Error)?.message }, 'request failed');
          send(res, 500, { error: 'internal error' });
          done(500);
        }
        // Unread request data (an over-limit body) must not be parsed as the next request.
        if (!req.complete) req.resume();
      },
    );
  });
  // Slow-loris protection: a loopback client has no reason to be slow.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host, port }, 'HTTP API listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
