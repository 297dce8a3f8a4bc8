/**
 * The operator console (issue 18) on the public web listener:
 *
 * - `GET /admin/login`, `POST /admin/login` (form field `token`: the operator token) → 303 to
 *   `/admin` with an HttpOnly SameSite=Strict session cookie (`Secure` behind https); a wrong token
 *   is 401; at most `loginPerMinute` attempts per address (429). The token travels in the POST
 *   body only, never in a URL.
 * - `GET /admin` (dashboard), `/admin/inbox?status&account&route&sender&q&page`, `/admin/outbox?state`,
 *   `/admin/accounts`: server-rendered pages; without a session → 303 to the login.
 * - `GET /admin/events`: Server-Sent Events, `changed` when what the pages show changed (the page
 *   then reloads its `#live` part).
 * - `POST /admin/campaigns/:id/cancel`, `POST /admin/forwards/:id/retry`, `POST /admin/logout`:
 *   form posts carrying the session's CSRF token (403 without it), on top of the listener's
 *   same-origin check. Actions run the server's ops (`mass.cancel`, `forwards.retry`: the code the
 *   CLI runs through the spool) and are logged with who did them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { InboxStatus, JobState } from '../../store/types.js';
import { every, realClock, type Clock } from '../../util/clock.js';
import { moduleLogger } from '../../util/log.js';
import type { SseRegistry, SseStream } from '../sse.js';
import { AdminData, JOB_STATES, type InboxQuery } from './data.js';
import { ADMIN_COOKIE, AdminSessions, type AdminSession } from './sessions.js';
import * as views from './views.js';

/** Runs one of the server's ops (src/daemon/ops.ts) as the CLI would, answering its result. */
export type AdminAct = (op: 'mass.cancel' | 'forwards.retry', args: { id: string; by: string }) => Promise<unknown>;

export interface AdminRoutesOptions {
  sessions: AdminSessions;
  data: AdminData;
  act: AdminAct;
  sse: SseRegistry;
  /** Login attempts per minute per address (default 10). */
  loginPerMinute?: number;
  /** How often open event streams look for changes (default 2 s). */
  refreshMs?: number;
  clock?: Clock;
  logger?: Logger;
}

type Session = AdminSession & { flash?: string };
const SECTIONS = new Set(['dashboard', 'inbox', 'outbox', 'accounts']);
const INBOX_STATUSES = new Set(['new', 'processed', 'ignored', 'rejected', 'error', 'call']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 200) : undefined);

export async function registerAdminRoutes(app: FastifyInstance, o: AdminRoutesOptions): Promise<void> {
  const log = moduleLogger(o.logger, 'web-admin');
  const clock = o.clock ?? realClock;
  const { sessions, data } = o;

  const session = (req: FastifyRequest): Session | undefined => sessions.get(req.cookies[ADMIN_COOKIE]);
  const who = (s: AdminSession) => `operator@${s.ip} (session ${s.id.slice(0, 8)})`;
  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
  const takeFlash = (s: Session) => {
    const f = s.flash;
    s.flash = undefined;
    return f;
  };

  // Open event streams share one timer: one fingerprint per period, whoever is watching. Each
  // stream remembers the version its page was rendered at (`?v=`), so a change between the render
  // and the stream's start is not missed.
  const streams = new Map<SseStream, { section: string; seen: string }>();
  let stopTimer: (() => void) | undefined;
  let seq = 0;
  const tick = async () => {
    try {
      const fps = new Map<string, string>();
      for (const [s, w] of streams) {
        if (!fps.has(w.section)) fps.set(w.section, await data.fingerprint(w.section));
        const fp = fps.get(w.section)!;
        if (w.seen === fp) continue;
        w.seen = fp;
        s.send({ id: ++seq, event: 'changed', data: { at: new Date(clock.now()).toISOString() } });
      }
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'console refresh check failed');
    }
  };

  await app.register(async (scope) => {
    // Console forms post urlencoded bodies (they work without script); only in this scope.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.get('/admin/login', async (req, reply) => (session(req) ? reply.redirect('/admin', 303) : send(reply, 200, views.loginPage())));

    scope.post('/admin/login', { config: { rateLimit: { max: o.loginPerMinute ?? 10, timeWindow: 60_000 } } }, async (req, reply) => {
      const token = (req.body as Record<string, unknown> | undefined)?.token;
      if (typeof token !== 'string' || !sessions.checkToken(token)) {
        // Never the submitted value: it may be the real token with a typo.
        log.warn({ ip: req.ip }, 'console login refused');
        return send(reply, 401, views.loginPage('Wrong token.'));
      }
      const s = sessions.open(req.ip);
      reply.setCookie(ADMIN_COOKIE, s.id, {
        path: '/admin',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        maxAge: Math.floor(sessions.ttlMs / 1000),
      });
      log.info({ by: who(s) }, 'console login');
      return reply.redirect('/admin', 303);
    });

    // Everything below needs a session; state changes also its CSRF token.
    const guard = async (req: FastifyRequest, reply: FastifyReply) => {
      const s = session(req);
      if (!s) {
        if (req.method === 'GET') return reply.redirect('/admin/login', 303);
        return send(reply, 401, views.messagePage('Logged out', 'Your console session ended: log in again.'));
      }
      if (req.method === 'POST' && !sessions.checkCsrf(s, (req.body as Record<string, unknown> | undefined)?.csrf)) {
        log.warn({ by: who(s), url: req.url }, 'console request without a valid CSRF token refused');
        return send(reply, 403, views.messagePage('Refused', 'The form carried no valid CSRF token. Reload the page and try again.'));
      }
      (req as FastifyRequest & { admin?: Session }).admin = s;
    };
    const admin = (req: FastifyRequest) => (req as FastifyRequest & { admin: Session }).admin;

    scope.get('/admin', { preHandler: guard }, async (req, reply) => {
      const s = admin(req);
      const version = await data.fingerprint();
      return send(reply, 200, views.page({ title: 'Dashboard', section: 'dashboard', csrf: s.csrf, flash: takeFlash(s), live: views.dashboardLive(await data.dashboard(), s.csrf), version }));
    });

    scope.get('/admin/inbox', { preHandler: guard }, async (req, reply) => {
      const s = admin(req);
      const raw = req.query as Record<string, unknown>;
      const status = str(raw.status);
      const page = Number(str(raw.page) ?? '0');
      const q: InboxQuery = {
        status: status && INBOX_STATUSES.has(status) ? (status as InboxStatus) : undefined,
        account: str(raw.account)?.toLowerCase(),
        route: str(raw.route),
        sender: str(raw.sender),
        q: str(raw.q),
        page: Number.isInteger(page) && page >= 0 && page < 10_000 ? page : 0,
      };
      const version = await data.fingerprint('inbox');
      const r = await data.inbox(q);
      return send(reply, 200, views.page({ title: 'Inbox', section: 'inbox', csrf: s.csrf, flash: takeFlash(s), controls: views.inboxControls(q), live: views.inboxLive(r, q), version }));
    });

    scope.get('/admin/outbox', { preHandler: guard }, async (req, reply) => {
      const s = admin(req);
      const st = str((req.query as Record<string, unknown>).state);
      const state = st && (JOB_STATES as readonly string[]).includes(st) ? (st as JobState) : undefined;
      const version = await data.fingerprint('outbox');
      const live = views.outboxLive(await data.outbox(state), await data.campaigns(), s.csrf);
      return send(reply, 200, views.page({ title: 'Outbox & campaigns', section: 'outbox', csrf: s.csrf, flash: takeFlash(s), controls: views.outboxControls(state), live, version }));
    });

    scope.get('/admin/accounts', { preHandler: guard }, async (req, reply) => {
      const s = admin(req);
      const version = await data.fingerprint('accounts');
      return send(reply, 200, views.page({ title: 'Accounts & forwards', section: 'accounts', csrf: s.csrf, flash: takeFlash(s), live: views.accountsLive(await data.accounts(), s.csrf), version }));
    });

    scope.get('/admin/events', { preHandler: guard }, async (req, reply) => {
      const stream = o.sse.start(req, reply);
      const q = req.query as Record<string, unknown>;
      const section = str(q.s) ?? 'dashboard';
      streams.set(stream, { section: SECTIONS.has(section) ? section : 'dashboard', seen: str(q.v) ?? '' });
      stopTimer ??= every(clock, o.refreshMs ?? 2000, () => void tick());
      stream.onClose(() => {
        streams.delete(stream);
        if (streams.size === 0) {
          stopTimer?.();
          stopTimer = undefined;
        }
      });
      void tick();
    });

    /** An action: the op, logged with who did it; the outcome shown on the page it came from. */
    const action = (op: 'mass.cancel' | 'forwards.retry', back: string, done: (r: unknown, id: string) => string) => async (req: FastifyRequest, reply: FastifyReply) => {
      const s = admin(req);
      const id = (req.params as { id: string }).id;
      try {
        const r = await o.act(op, { id, by: who(s) });
        log.info({ action: op, id, by: who(s) }, 'console action');
        s.flash = done(r, id);
      } catch (e) {
        log.warn({ action: op, id, by: who(s), err: (e as Error).message }, 'console action failed');
        s.flash = (e as Error).message;
      }
      return reply.redirect(back, 303);
    };
    scope.post(
      '/admin/campaigns/:id/cancel',
      { preHandler: guard },
      action('mass.cancel', '/admin', (r, id) => {
        const c = r as { cancelled: number; sending: number };
        return `Campaign ${id} cancelled: ${c.cancelled} queued SMS will not be sent${c.sending ? `; ${c.sending} on the air finish` : ''}.`;
      }),
    );
    scope.post(
      '/admin/forwards/:id/retry',
      { preHandler: guard },
      action('forwards.retry', '/admin/accounts', (r, id) => `Forward ${id} is ${(r as { status: string }).status} again.`),
    );
    scope.post('/admin/logout', { preHandler: guard }, async (req, reply) => {
      const s = admin(req);
      sessions.close(s.id);
      log.info({ by: who(s) }, 'console logout');
      reply.clearCookie(ADMIN_COOKIE, { path: '/admin' });
      return reply.redirect('/admin/login', 303);
    });
  });
}
