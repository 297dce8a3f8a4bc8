/**
 * The self-service page's hostile cases, through fastify `inject` on the real public listener
 * (helmet, Origin check, rate limit) with the real SelfService, captcha, notification switch and
 * a MemoryStore; time from a FakeClock so the 15-minute session and the lock run on fake time.
 */
import { PassThrough } from 'node:stream';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { afterEach, describe, expect, it } from 'vitest';
import { TEMPLATE_PRESETS } from '../../src/commands/templates.js';
import { notificationSwitch } from '../../src/selfservice/notifications.js';
import { SelfService } from '../../src/selfservice/service.js';
import { SELF_SERVICE_DEFAULTS, type SelfServiceSettings } from '../../src/selfservice/types.js';
import { isOptedOut } from '../../src/store/optout.js';
import { MemoryStore } from '../../src/store/memory.js';
import { createLogger } from '../../src/util/log.js';
import { PowCaptcha, type CaptchaMode } from '../../src/web/captcha.js';
import { registerSelfServiceRoutes } from '../../src/web/selfservice/routes.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { FakeClock } from '../helpers/fake-clock.js';

const PHONE = '+79001234567';
const TEN = TEMPLATE_PRESETS.en;

let web: WebServer | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

async function setup(o: { captcha?: CaptchaMode; settings?: Partial<SelfServiceSettings>; logs?: PassThrough; trustProxy?: boolean } = {}) {
  const clock = new FakeClock(Date.parse('2026-11-27T10:00:00Z'));
  const store = new MemoryStore({ clock });
  const logger = createLogger('trace', o.logs ?? new PassThrough());
  const settings = { ...SELF_SERVICE_DEFAULTS, enabled: true, ...o.settings };
  const svc = new SelfService({ repo: store, settings, key: Buffer.alloc(32, 3), clock, logger });
  // Real time for the captcha: altcha-lib checks a challenge's expiry against the real clock.
  const captcha = new PowCaptcha({ mode: o.captcha ?? 'off', guard: store, difficulty: 500 });
  web = await createWebServer({ port: 0, logger, trustProxy: o.trustProxy });
  await registerSelfServiceRoutes(web.app, {
    selfService: svc,
    notifications: notificationSwitch(store, TEN, { clock, logger }),
    captcha,
    language: 'en',
    phoneRule: { country: 'RU' },
    serviceNumber: '+79990000000',
    loginsPerIpPerHour: settings.loginsPerIpPerHour,
    clock,
    logger,
  });
  await web.app.ready();
  const app = web.app;
  await svc.activate(PHONE);
  const order = await svc.orderCode(PHONE, 'in-1');
  if (order.kind !== 'code') throw new Error(order.kind);

  /** GET the login page: its CSRF cookie and token. */
  async function loginForm(): Promise<{ cookie: string; token: string; html: string }> {
    const r = await app.inject({ method: 'GET', url: '/self-service' });
    expect(r.statusCode).toBe(200);
    const c = r.cookies.find((x) => x.name === 'sms_self_csrf')!;
    const token = /name="csrf" value="([^"]+)"/.exec(r.body)![1]!;
    return { cookie: `sms_self_csrf=${c.value}`, token, html: r.body };
  }
  async function login(fields: Record<string, string>, o2: { cookie?: string; headers?: Record<string, string> } = {}) {
    return app.inject({
      method: 'POST',
      url: '/self-service/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(o2.cookie ? { cookie: o2.cookie } : {}), ...o2.headers },
      payload: new URLSearchParams(fields).toString(),
    });
  }
  /** Logs in with the right code; answers the session cookie header. */
  async function session(): Promise<string> {
    const f = await loginForm();
    const r = await login({ csrf: f.token, phone: '8 900 123-45-67', code: order.kind === 'code' ? order.code : '' }, { cookie: f.cookie });
    expect(r.statusCode).toBe(303);
    return `sms_self=${r.cookies.find((x) => x.name === 'sms_self')!.value}`;
  }
  return { app, store, svc, clock, code: order.code, loginForm, login, session };
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
const wrong = (code: string) => (code === '000000' ? '111111' : '000000');

describe('self-service page (inject)', () => {
  it('wrong code → attempts left; right code → session cookie HttpOnly, SameSite=Strict, 15 min; the switch sets the opt-out and confirms by SMS', async () => {
    const logs = new PassThrough();
    let logText = '';
    logs.on('data', (b: Buffer) => (logText += b.toString()));
    const t = await setup({ logs });
    const f = await t.loginForm();
    const bad = await t.login({ csrf: f.token, phone: PHONE, code: wrong(t.code) }, { cookie: f.cookie });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('Wrong code. Attempts left: 2.');
    expect(bad.body).toContain(`value="${PHONE}"`);

    const ok = await t.login({ csrf: f.token, phone: PHONE, code: t.code }, { cookie: f.cookie });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/self-service');
    const c = ok.cookies.find((x) => x.name === 'sms_self')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/self-service', maxAge: 900 });
    expect(c.value).toMatch(/^[\w-]{43}$/);
    expect((await t.svc.status(PHONE)).failures).toBe(0);

    const page = await t.app.inject({ method: 'GET', url: '/self-service', headers: { cookie: `sms_self=${c.value}` } });
    expect(page.body).toContain('SMS notifications and mass texts are ON for this number.');
    expect(page.body).toContain('Your session ends at 2026-11-27 10:15 UTC.');
    const off = await t.app.inject({
      method: 'POST',
      url: '/self-service/notifications',
      headers: { cookie: `sms_self=${c.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${csrfOf(page.body)}&notifications=off`,
    });
    expect(off.statusCode).toBe(303);
    expect(await isOptedOut(t.store, PHONE)).toBe(true);
    const jobs = await t.store.listJobs({});
    expect(jobs.map((j) => [j.to, j.text, j.priority])).toEqual([[PHONE, TEN.smsStop, 'reply']]);
    const after = await t.app.inject({ method: 'GET', url: '/self-service?changed=off', headers: { cookie: `sms_self=${c.value}` } });
    expect(after.body).toContain('SMS notifications and mass texts are OFF for this number.');
    expect(after.body).toContain('name="notifications" value="on"');

    // Logout ends the session on the server, not only in the browser.
    const out = await t.app.inject({
      method: 'POST',
      url: '/self-service/logout',
      headers: { cookie: `sms_self=${c.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${csrfOf(after.body)}`,
    });
    expect(out.statusCode).toBe(303);
    const gone = await t.app.inject({ method: 'GET', url: '/self-service', headers: { cookie: `sms_self=${c.value}` } });
    expect(gone.body).toContain('id="login-form"');

    // Neither the code nor the wrong one reached a log line (trace level).
    expect(logText).toContain('self-service page login');
    expect(logText).not.toContain(t.code);
    expect(logText).not.toContain(wrong(t.code));
  });

  it('escapes what was typed in the phone field (XSS) and in every echoed value', async () => {
    const t = await setup();
    const f = await t.loginForm();
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    const r = await t.login({ csrf: f.token, phone: evil, code: '123456' }, { cookie: f.cookie });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('That is not a valid mobile number.');
    expect(r.body).not.toContain('<script>alert');
    expect(r.body).not.toContain('<img src=x');
    expect(r.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"');
    // The page's CSP forbids inline script anyway.
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses a POST without the CSRF token, with a foreign token, or from another origin; nothing changes', async () => {
    const t = await setup();
    const f = await t.loginForm();
    // No token: refused before the code is tried (no failure counted).
    const none = await t.login({ phone: PHONE, code: t.code }, { cookie: f.cookie });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('The form has expired.');
    // A token without its cookie (a foreign page cannot read or set our cookie).
    const noCookie = await t.login({ csrf: f.token, phone: PHONE, code: t.code });
    expect(noCookie.statusCode).toBe(403);
    const foreign = await t.login({ csrf: f.token, phone: PHONE, code: t.code }, { cookie: f.cookie, headers: { origin: 'https://evil.example' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['content-type']).toContain('text/html');
    expect(foreign.body).toContain('The form has expired.');
    expect(foreign.cookies.find((c) => c.name === 'sms_self')).toBeUndefined();
    expect((await t.svc.status(PHONE)).failures).toBe(0);

    // In a session: the switch without the session's token changes nothing.
    const cookie = await t.session();
    for (const payload of ['notifications=off', `notifications=off&csrf=${f.token}`]) {
      const r = await t.app.inject({ method: 'POST', url: '/self-service/notifications', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
      expect(r.statusCode).toBe(403);
    }
    const smuggled = await t.app.inject({
      method: 'POST',
      url: '/self-service/notifications',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'notifications=off&notifications=on&csrf=x',
    });
    expect(smuggled.statusCode).toBe(400);
    expect(await isOptedOut(t.store, PHONE)).toBe(false);
    expect(await t.store.listJobs({})).toEqual([]);
  });

  it('three wrong codes lock the number: the page says until when, even for the right code; not activated says how to activate', async () => {
    const t = await setup();
    const f = await t.loginForm();
    const w = wrong(t.code);
    expect((await t.login({ csrf: f.token, phone: PHONE, code: w }, { cookie: f.cookie })).body).toContain('Attempts left: 2.');
    expect((await t.login({ csrf: f.token, phone: PHONE, code: w }, { cookie: f.cookie })).body).toContain('Attempts left: 1.');
    const locked = await t.login({ csrf: f.token, phone: PHONE, code: w }, { cookie: f.cookie });
    expect(locked.statusCode).toBe(423);
    expect(locked.body).toContain('access is locked until 2026-11-28 10:00 UTC.');
    const right = await t.login({ csrf: f.token, phone: PHONE, code: t.code }, { cookie: f.cookie });
    expect(right.statusCode).toBe(423);
    expect(right.cookies.find((c) => c.name === 'sms_self')).toBeUndefined();
    // After the lock the old code works again.
    t.clock.advance(24 * 3_600_000 + 1000);
    expect((await t.login({ csrf: f.token, phone: PHONE, code: t.code }, { cookie: f.cookie })).statusCode).toBe(303);

    const stranger = await t.login({ csrf: f.token, phone: '+79005550000', code: '123456' }, { cookie: f.cookie });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.body).toContain('Self-service is not activated for +79005550000. To activate it, text 111 to +79990000000; then send an empty SMS (or CODE) to get a code.');
  });

  it('a session ends 15 minutes after login (injected clock): the page asks to log in again and the switch is refused', async () => {
    const t = await setup();
    const cookie = await t.session();
    t.clock.advance(14 * 60_000 + 59_000);
    const live = await t.app.inject({ method: 'GET', url: '/self-service', headers: { cookie } });
    expect(live.body).toContain('id="toggle"');
    const token = csrfOf(live.body);
    t.clock.advance(1000);
    const ended = await t.app.inject({ method: 'GET', url: '/self-service', headers: { cookie } });
    expect(ended.body).toContain('id="login-form"');
    expect(ended.body).toContain('Your session has ended (15 minutes at most): log in again.');
    const r = await t.app.inject({
      method: 'POST',
      url: '/self-service/notifications',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${token}&notifications=off`,
    });
    expect(r.statusCode).toBe(401);
    expect(await isOptedOut(t.store, PHONE)).toBe(false);
  });

  it('a number deactivated by the operator loses its live session at once', async () => {
    const t = await setup();
    const cookie = await t.session();
    expect((await t.app.inject({ method: 'GET', url: '/self-service', headers: { cookie } })).body).toContain('id="toggle"');
    await t.svc.deactivate(PHONE);
    const r = await t.app.inject({ method: 'GET', url: '/self-service', headers: { cookie } });
    expect(r.body).toContain('id="login-form"');
    expect(r.body).not.toContain('id="toggle"');
  });

  it('captcha on: a login without a solved challenge is refused before the code is tried; a solved one works once', async () => {
    const t = await setup({ captcha: 'pow' });
    const f = await t.loginForm();
    const missing = await t.login({ csrf: f.token, phone: PHONE, code: wrong(t.code) }, { cookie: f.cookie });
    expect(missing.statusCode).toBe(403);
    expect(missing.body).toContain('The security check failed or expired.');
    expect((await t.svc.status(PHONE)).failures).toBe(0);
    const solved = async () => {
      const ch = (await t.app.inject({ method: 'GET', url: '/self-service/captcha' })).json() as Challenge & { mode: string };
      const { mode: _m, ...challenge } = ch;
      const solution = await solveChallenge({ challenge, deriveKey });
      return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
    };
    const captcha = await solved();
    expect((await t.login({ csrf: f.token, phone: PHONE, code: t.code, captcha }, { cookie: f.cookie })).statusCode).toBe(303);
    const replay = await t.login({ csrf: f.token, phone: PHONE, code: t.code, captcha }, { cookie: f.cookie });
    expect(replay.statusCode).toBe(403);
  });

  it('limits logins per address per hour (429 shown on the page)', async () => {
    const t = await setup({ settings: { loginsPerIpPerHour: 3 } });
    const f = await t.loginForm();
    for (let i = 0; i < 3; i++) expect((await t.login({ csrf: f.token, phone: '+79005550000', code: '1' }, { cookie: f.cookie })).statusCode).toBe(404);
    const r = await t.login({ csrf: f.token, phone: PHONE, code: t.code }, { cookie: f.cookie });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBeDefined();
    expect(r.body).toContain('Too many attempts from your connection.');
    expect((await t.svc.status(PHONE)).failures).toBe(0);
  });

  it('behind nginx with TLS (trustProxy, X-Forwarded-Proto: https) the cookies are Secure', async () => {
    const t = await setup({ trustProxy: true });
    const https = { 'x-forwarded-proto': 'https', host: 'sms.example.com' };
    const form = await t.app.inject({ method: 'GET', url: '/self-service', headers: https });
    const csrf = form.cookies.find((c) => c.name === 'sms_self_csrf')!;
    expect(csrf).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    const r = await t.login({ csrf: csrfOf(form.body), phone: PHONE, code: t.code }, { cookie: `sms_self_csrf=${csrf.value}`, headers: { ...https, origin: 'https://sms.example.com' } });
    expect(r.statusCode).toBe(303);
    expect(r.cookies.find((c) => c.name === 'sms_self')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
  });
});
