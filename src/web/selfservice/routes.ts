/**
 * The self-service page (issue 13, item 5) on the public web listener: a subscriber logs in with
 * the number and the access code received by SMS, sees whether SMS notifications and mass texts
 * are on for the number, turns them off or on (the web twin of `CLIENT sms stop/start`), and logs
 * out. Server-rendered HTML forms; the only script solves the proof-of-work captcha.
 *
 * - `GET /self-service` — the login form, or the account page with a live session
 * - `GET /self-service/captcha` — an ALTCHA challenge (`{mode: "off"}` when switched off)
 * - `POST /self-service/login` `phone, code, captcha, csrf` → 303 + session cookie | the form
 *   again: 401 wrong code (attempts left), 423 locked (until when), 404 not activated (how to
 *   activate), 400 bad input, 403 captcha/CSRF, 429 too many logins from the address
 * - `POST /self-service/notifications` `notifications=on|off, csrf` → 303
 * - `POST /self-service/logout` `csrf` → 303
 *
 * The code is checked by the same SelfService as `POST /self-service/verify` (one failure count,
 * one lock). Sessions: in memory, keyed by the id's hash, 15 minutes from login, cookie HttpOnly +
 * SameSite=Strict (+ Secure over https). CSRF: besides the layer's Origin/Sec-Fetch-Site check,
 * every POST carries a token — the session's, or before login a double-submit cookie — because
 * these are plain form posts, which a foreign page could otherwise send. Neither the code nor the
 * number is logged here.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { NotificationSwitch } from '../../selfservice/notifications.js';
import type { SelfService } from '../../selfservice/service.js';
import type { Clock } from '../../util/clock.js';
import { moduleLogger } from '../../util/log.js';
import { normalizePhone, type PhoneOptions } from '../../util/phone.js';
import { CaptchaError, type PowCaptcha } from '../captcha.js';
import { fill, type PageLanguage } from '../chat/strings.js';
import { asPublicError, WebError } from '../errors.js';
import { renderTemplate } from '../page.js';
import { PUBLIC_DIR } from '../static.js';
import { PageSessions, type PageSession } from './sessions.js';
import { SELF_SERVICE_STRINGS } from './strings.js';

export const SELF_SERVICE_COOKIE = 'sms_self';
export const SELF_SERVICE_CSRF_COOKIE = 'sms_self_csrf';
export const SELF_SERVICE_SESSION_MINUTES = 15;
const PATH = '/self-service';

export interface SelfServiceRoutesOptions {
  selfService: Pick<SelfService, 'verify' | 'status' | 'settings'>;
  notifications: NotificationSwitch;
  captcha: PowCaptcha;
  language: PageLanguage;
  phoneRule: PhoneOptions;
  /** The number subscribers text (shown in the activation hint); unset: "our SMS number". */
  serviceNumber?: string;
  /** Login attempts per client IP per hour (on top of the listener's per-minute limit). */
  loginsPerIpPerHour: number;
  /** Session length (default 15 minutes). */
  sessionMinutes?: number;
  clock?: Clock;
  logger?: Logger;
}

const loginBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    csrf: { type: 'string', maxLength: 100 },
    phone: { type: 'string', maxLength: 100 },
    code: { type: 'string', maxLength: 100 },
    captcha: { type: 'string', maxLength: 4096 },
  },
} as const;

const sessionBody = (extra: Record<string, unknown> = {}) =>
  ({
    type: 'object',
    additionalProperties: false,
    // `csrf` is checked by the route (403), not by the schema (400).
    required: Object.keys(extra),
    properties: { csrf: { type: 'string', maxLength: 100 }, ...extra },
  }) as const;

type Notice = { text: string; kind: 'error' | 'ok' | '' };

const utcTime = (msOrIso: number | string) => `${new Date(msOrIso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `a=1&b=2` as a null-prototype object; a field given twice is refused (no array smuggling). */
function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of new URLSearchParams(body)) {
    if (Object.hasOwn(out, k)) throw new WebError(400, 'bad-request', `form field "${k}" given twice`);
    out[k] = v;
  }
  return out;
}

export async function registerSelfServiceRoutes(app: FastifyInstance, o: SelfServiceRoutesOptions): Promise<void> {
  const log = moduleLogger(o.logger, 'web-selfservice');
  const S = SELF_SERVICE_STRINGS[o.language];
  const minutes = o.sessionMinutes ?? SELF_SERVICE_SESSION_MINUTES;
  const sessions = new PageSessions(minutes * 60_000, { clock: o.clock });
  const { activationKeyword: keyword } = o.selfService.settings;
  const number = o.serviceNumber ?? S.ourNumber;
  const loginTpl = readFileSync(join(PUBLIC_DIR, 'self-service-login.html'), 'utf8');
  const accountTpl = readFileSync(join(PUBLIC_DIR, 'self-service-account.html'), 'utf8');
  const clientConfig = { lang: o.language, strings: S.client };
  const secure = (req: FastifyRequest) => req.protocol === 'https';

  /** The live session of the request; ended at once when the operator deactivated the number meanwhile. */
  async function session(req: FastifyRequest): Promise<PageSession | undefined> {
    const id = req.cookies[SELF_SERVICE_COOKIE];
    const s = sessions.get(id);
    if (s && !(await o.selfService.status(s.phone)).activated) {
      sessions.end(id);
      return undefined;
    }
    return s;
  }

  /** The pre-login CSRF token: the double-submit cookie, set when missing. */
  function loginToken(req: FastifyRequest, reply: FastifyReply): string {
    const have = req.cookies[SELF_SERVICE_CSRF_COOKIE];
    if (have && /^[\w-]{32}$/.test(have)) return have;
    const token = randomBytes(24).toString('base64url');
    reply.setCookie(SELF_SERVICE_CSRF_COOKIE, token, { path: PATH, httpOnly: true, sameSite: 'strict', secure: secure(req) });
    return token;
  }

  function loginPage(req: FastifyRequest, reply: FastifyReply, status: number, notice: Notice, phone = ''): FastifyReply {
    const html = renderTemplate(
      loginTpl,
      {
        lang: o.language,
        ...S,
        howTo: fill(S.howTo, { keyword, number }),
        notice: notice.text,
        noticeKind: notice.kind,
        phone,
        csrf: loginToken(req, reply),
        config: clientConfig,
      },
      'self-service-login.html',
    );
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  }

  async function accountPage(reply: FastifyReply, s: PageSession, status: number, notice: Notice): Promise<FastifyReply> {
    const on = await o.notifications.isOn(s.phone);
    const html = renderTemplate(
      accountTpl,
      {
        lang: o.language,
        title: S.title,
        account: S.account,
        logout: S.logout,
        notice: notice.text,
        noticeKind: notice.kind,
        signedInAs: fill(S.signedInAs, { phone: s.phone }),
        on,
        state: on ? S.notificationsOn : S.notificationsOff,
        next: on ? 'off' : 'on',
        toggle: on ? S.turnOff : S.turnOn,
        sessionUntil: fill(S.sessionUntil, { time: utcTime(s.expiresAt) }),
        csrf: s.csrf,
      },
      'self-service-account.html',
    );
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  }

  const seeOther = (reply: FastifyReply, query = '') => reply.code(303).header('location', `${PATH}${query}`).send();

  await app.register(async (scope) => {
    // Plain HTML form posts; fastify parses only JSON on its own. Scoped to these routes.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (e) {
        done(e as Error, undefined);
      }
    });

    // Errors of these routes (limits, cross-site, bad form) are shown on the page, not as JSON.
    scope.setErrorHandler(async (err, req, reply) => {
      const pub = asPublicError(err);
      if (!pub) log.error({ err: (err as Error).message, method: req.method, url: req.url.split('?')[0] }, 'self-service request failed');
      if (pub?.retryAfterSeconds !== undefined) reply.header('retry-after', String(pub.retryAfterSeconds));
      const text =
        pub?.code === 'rate-limited' ? S.errors.rateLimited : pub?.code === 'cross-site' ? S.errors.csrf : pub?.code.startsWith('captcha-') ? S.errors.captcha : S.errors.other;
      if (req.url.startsWith(`${PATH}/captcha`)) return reply.code(pub?.status ?? 500).send({ error: pub?.code ?? 'internal', message: text });
      const s = await session(req);
      const notice: Notice = { text, kind: 'error' };
      return s ? accountPage(reply, s, pub?.status ?? 500, notice) : loginPage(req, reply, pub?.status ?? 500, notice);
    });

    scope.get(PATH, async (req, reply) => {
      const s = await session(req);
      const q = req.query as { changed?: string; loggedout?: string };
      if (s) {
        const changed = q.changed === 'on' ? S.changedOn : q.changed === 'off' ? S.changedOff : '';
        return accountPage(reply, s, 200, { text: changed, kind: changed ? 'ok' : '' });
      }
      let notice: Notice = { text: '', kind: '' };
      if (q.loggedout !== undefined) notice = { text: S.loggedOut, kind: 'ok' };
      else if (req.cookies[SELF_SERVICE_COOKIE]) {
        // A cookie naming no live session: the 15 minutes are over (or the server restarted).
        reply.clearCookie(SELF_SERVICE_COOKIE, { path: PATH });
        notice = { text: fill(S.sessionEnded, { minutes }), kind: 'error' };
      }
      return loginPage(req, reply, 200, notice);
    });

    scope.get(`${PATH}/captcha`, async () => o.captcha.challenge());

    scope.post(
      `${PATH}/login`,
      {
        schema: { body: loginBody },
        // Login attempts per address: a stranger cannot spray codes at many numbers (or lock them) from one place.
        config: { rateLimit: { max: o.loginsPerIpPerHour, timeWindow: 3_600_000, keyGenerator: (req: FastifyRequest) => req.ip } },
      },
      async (req, reply) => {
        const body = req.body as { csrf?: string; phone?: string; code?: string; captcha?: string };
        if (!sameToken(body.csrf, req.cookies[SELF_SERVICE_CSRF_COOKIE])) return loginPage(req, reply, 403, { text: S.errors.csrf, kind: 'error' });
        const typed = body.phone ?? '';
        let phone: string;
        try {
          phone = normalizePhone(typed, o.phoneRule);
        } catch {
          return loginPage(req, reply, 400, { text: S.errors.badPhone, kind: 'error' }, typed);
        }
        const code = (body.code ?? '').trim();
        if (!/^\d{1,32}$/.test(code)) return loginPage(req, reply, 400, { text: S.errors.badCode, kind: 'error' }, typed);
        // After the input checks (a typo does not burn a solved challenge), before the code is tried.
        try {
          await o.captcha.verify(body.captcha || undefined);
        } catch (e) {
          if (e instanceof CaptchaError) return loginPage(req, reply, 403, { text: S.errors.captcha, kind: 'error' }, typed);
          throw e;
        }
        const r = await o.selfService.verify(phone, code);
        if (r.ok) {
          const { id } = sessions.create(phone);
          reply.setCookie(SELF_SERVICE_COOKIE, id, { path: PATH, httpOnly: true, sameSite: 'strict', secure: secure(req), maxAge: minutes * 60 });
          reply.clearCookie(SELF_SERVICE_CSRF_COOKIE, { path: PATH });
          log.info({ sessions: sessions.size }, 'self-service page login');
          return seeOther(reply);
        }
        if ('attemptsLeft' in r) return loginPage(req, reply, 401, { text: fill(S.errors.wrongCode, { n: r.attemptsLeft }), kind: 'error' }, typed);
        if ('lockedUntil' in r) return loginPage(req, reply, 423, { text: fill(S.errors.locked, { time: utcTime(r.lockedUntil) }), kind: 'error' }, typed);
        return loginPage(req, reply, 404, { text: fill(S.errors.notActivated, { phone, keyword, number }), kind: 'error' }, typed);
      },
    );

    scope.post(`${PATH}/notifications`, { schema: { body: sessionBody({ notifications: { type: 'string', enum: ['on', 'off'] } }) } }, async (req, reply) => {
      const s = await session(req);
      if (!s) return loginPage(req, reply, 401, { text: fill(S.sessionEnded, { minutes }), kind: 'error' });
      const body = req.body as { csrf?: string; notifications: 'on' | 'off' };
      if (!sameToken(body.csrf, s.csrf)) return accountPage(reply, s, 403, { text: S.errors.csrf, kind: 'error' });
      await o.notifications.set(s.phone, body.notifications === 'on');
      return seeOther(reply, `?changed=${body.notifications}`);
    });

    scope.post(`${PATH}/logout`, { schema: { body: sessionBody() } }, async (req, reply) => {
      const s = await session(req);
      if (s && !sameToken((req.body as { csrf?: string }).csrf, s.csrf)) return accountPage(reply, s, 403, { text: S.errors.csrf, kind: 'error' });
      sessions.end(req.cookies[SELF_SERVICE_COOKIE]);
      reply.clearCookie(SELF_SERVICE_COOKIE, { path: PATH });
      return seeOther(reply, '?loggedout');
    });
  });
}
