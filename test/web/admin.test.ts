/**
 * The operator console through the real public web listener (fastify inject, with its security
 * hooks and rate limits) on an in-memory Store: login (wrong and right token, cookie flags, the
 * login limit), escaping of a hostile inbox text, CSRF refusal, and the two actions running the
 * server's own ops (the code the CLI runs through the spool).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeOps } from '../../src/daemon/ops.js';
import { createCampaign } from '../../src/queue/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { AdminData } from '../../src/web/admin/data.js';
import { registerAdminRoutes } from '../../src/web/admin/routes.js';
import { AdminSessions } from '../../src/web/admin/sessions.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { createLogger } from '../../src/util/log.js';
import { PassThrough } from 'node:stream';

const TOKEN = 'console-test-token-0123456789abcdef';
const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> Привет 👋 & "quotes"';

let web: WebServer | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

async function start(o: { loginPerMinute?: number } = {}) {
  const store = new MemoryStore();
  await store.open();
  const now = new Date().toISOString();
  await store.putStatus({
    pid: 1,
    startedAt: now,
    updatedAt: now,
    device: '/dev/ttyUSB0',
    modem: { state: 'ready' },
    modems: [
      { id: 'm1', device: '/dev/ttyUSB0', configuredProfile: 'generic', state: 'ready', signal: { rssi: 21, dbm: -71 }, operator: 'MegaFon', registration: 'home', sentToday: 3, massPerMinute: 10 },
      { id: 'm2', device: '/dev/ttyUSB1', configuredProfile: 'sim800', state: 'waiting-for-device', sentToday: 0, massPerMinute: 10, lastFault: { at: now, step: 'open', reason: 'unplugged' } },
    ],
  });
  await store.addInbound({ from: '+79001112233', text: HOSTILE, receivedAt: now, status: 'ignored', parts: 1, dedupKey: 'k1', modem: 'm1', routedBy: 'none' });
  await store.addInbound({ from: '+79004445566', text: 'Order status please', receivedAt: now, status: 'processed', parts: 1, dedupKey: 'k2', modem: 'm1', routedBy: 'command' });
  const ops = makeOps({ dataDir: '/nonexistent', phoneRule: { country: 'RU' }, key: Buffer.alloc(32) });
  const acts: { op: string; by: string }[] = [];
  const logStream = new PassThrough();
  let logText = '';
  logStream.on('data', (b: Buffer) => (logText += b.toString()));
  const logger = createLogger('info', logStream);
  web = await createWebServer({ port: 0, logger });
  await registerAdminRoutes(web.app, {
    sessions: new AdminSessions({ token: TOKEN }),
    data: new AdminData(store),
    act: async (op, args) => {
      acts.push({ op, by: args.by });
      return ops(store, op, args, 'req-1');
    },
    sse: web.sse,
    logger,
    ...o,
  });
  return { store, app: web.app, acts, log: () => logText };
}

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() });

async function login(app: WebServer['app']): Promise<{ cookie: string; csrf: string }> {
  const { payload, ...headers } = form({ token: TOKEN });
  const r = await app.inject({ method: 'POST', url: '/admin/login', headers, payload });
  expect(r.statusCode).toBe(303);
  const cookie = String(r.headers['set-cookie']).split(';')[0]!;
  const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  return { cookie, csrf };
}

function post(app: WebServer['app'], url: string, cookie: string, fields: Record<string, string>) {
  const { payload, ...headers } = form(fields);
  return app.inject({ method: 'POST', url, headers: { ...headers, cookie }, payload });
}

describe('console login', () => {
  it('refuses a wrong token (401, no cookie) and sends the dashboard to the login without a session', async () => {
    const { app, log } = await start();
    const { payload, ...headers } = form({ token: `${TOKEN}x` });
    const r = await app.inject({ method: 'POST', url: '/admin/login', headers, payload });
    expect(r.statusCode).toBe(401);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.body).toContain('Wrong token.');
    const anon = await app.inject({ method: 'GET', url: '/admin' });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/admin/login');
    // A forged session id is no session either.
    expect((await app.inject({ method: 'GET', url: '/admin/inbox', headers: { cookie: 'sms_admin=forged' } })).statusCode).toBe(303);
    await login(app);
    // Both attempts are logged; the submitted tokens never are.
    expect(log()).toContain('console login refused');
    expect(log()).toContain('"msg":"console login"');
    expect(log()).not.toContain(TOKEN);
  });

  it('the right token opens a session: HttpOnly, SameSite=Strict, Path=/admin cookie; the token is not in it', async () => {
    const { app } = await start();
    const { payload, ...headers } = form({ token: TOKEN });
    const r = await app.inject({ method: 'POST', url: '/admin/login', headers, payload });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin');
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^sms_admin=[A-Za-z0-9_-]{43}; /);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/admin/);
    expect(set).not.toContain(TOKEN);
    const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie: set.split(';')[0]! } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('MegaFon');
    expect(page.body).toMatch(/data-modem="m2"[\s\S]*waiting-for-device[\s\S]*unplugged/);
    // Five bars for rssi 21, none for the unplugged modem.
    const m1 = page.body.slice(page.body.indexOf('data-modem="m1"'), page.body.indexOf('data-modem="m2"'));
    expect(m1.match(/class="bar b\d on"/g)).toHaveLength(5);
  });

  it('limits login attempts per address (429)', async () => {
    const { app } = await start({ loginPerMinute: 3 });
    const { payload, ...headers } = form({ token: 'wrong-wrong-wrong-wrong' });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'POST', url: '/admin/login', headers, payload })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});

describe('console pages', () => {
  it('escapes a hostile inbox text and shows Cyrillic and emoji as sent; filters by text and route', async () => {
    const { app } = await start();
    const { cookie } = await login(app);
    const r = await app.inject({ method: 'GET', url: '/admin/inbox', headers: { cookie } });
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain('<script>alert');
    expect(r.body).not.toContain('<img src=x');
    expect(r.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; Привет 👋 &amp; &quot;quotes&quot;');
    const search = await app.inject({ method: 'GET', url: `/admin/inbox?q=${encodeURIComponent('привет')}`, headers: { cookie } });
    expect(search.body).toContain('data-entry=');
    expect(search.body).not.toContain('Order status please');
    const byRoute = await app.inject({ method: 'GET', url: '/admin/inbox?route=command', headers: { cookie } });
    expect(byRoute.body).toContain('Order status please');
    expect(byRoute.body).not.toContain('Привет');
    // A hostile filter value is escaped back into the form.
    const echo = await app.inject({ method: 'GET', url: `/admin/inbox?sender=${encodeURIComponent('"><script>x</script>')}`, headers: { cookie } });
    expect(echo.body).not.toContain('"><script>x');
  });
});

describe('console actions', () => {
  it('cancels a campaign through the mass.cancel op; refused without the CSRF token', async () => {
    const { app, store, acts, log } = await start();
    const c = await createCampaign(store, { text: 'Sale', fileText: '+79010000001\n+79010000002\n+79010000003\n' }, { country: 'RU' }, { campaignId: 'cmp-1' });
    const { cookie, csrf } = await login(app);
    const dash = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
    expect(dash.body).toContain('action="/admin/campaigns/cmp-1/cancel"');

    const missing = await post(app, '/admin/campaigns/cmp-1/cancel', cookie, {});
    expect(missing.statusCode).toBe(403);
    const wrong = await post(app, '/admin/campaigns/cmp-1/cancel', cookie, { csrf: csrf.slice(1) });
    expect(wrong.statusCode).toBe(403);
    expect((await store.listJobs({ campaignId: c.campaignId, state: 'queued' })).length).toBe(3);
    // No session: 401, nothing done.
    expect((await post(app, '/admin/campaigns/cmp-1/cancel', '', { csrf })).statusCode).toBe(401);
    expect(acts).toEqual([]);

    const ok = await post(app, '/admin/campaigns/cmp-1/cancel', cookie, { csrf });
    expect(ok.statusCode).toBe(303);
    const jobs = await store.listJobs({ campaignId: 'cmp-1' });
    expect(jobs.map((j) => [j.state, j.reason])).toEqual(Array(3).fill(['failed', 'cancelled']));
    expect(acts).toEqual([{ op: 'mass.cancel', by: expect.stringMatching(/^operator@127\.0\.0\.1 \(session [A-Za-z0-9_-]{8}\)$/) }]);
    // Logged with who did it; the refused attempts too.
    expect(log()).toMatch(/"action":"mass.cancel","id":"cmp-1","by":"operator@127.0.0.1 \(session [A-Za-z0-9_-]{8}\)","msg":"console action"/);
    expect(log()).toContain('console request without a valid CSRF token refused');
    const after = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
    expect(after.body).toContain('Campaign cmp-1 cancelled: 3 queued SMS will not be sent.');
    expect(after.body).not.toContain('action="/admin/campaigns/cmp-1/cancel"');
  });

  it('retries a failed forward through the forwards.retry op', async () => {
    const { app, store } = await start();
    const now = new Date().toISOString();
    await store.putAccount({ login: 'shop', webhook: 'https://shop.example/hook', tokenHash: 'x'.repeat(64), webhookSecretEnc: 'x', createdAt: now, updatedAt: now });
    const [f] = await store.addForwards([
      { messageId: 'msg_1', account: 'shop', channel: 'webhook', target: 'https://shop.example/hook', type: 'sms.received', ref: 'in-1', payload: {}, status: 'failed', tries: 8, attempts: [{ at: now, ms: 12, status: 500 }], reason: 'gave up after 8 attempts' },
    ]);
    const { cookie, csrf } = await login(app);
    const page = await app.inject({ method: 'GET', url: '/admin/accounts', headers: { cookie } });
    expect(page.body).toContain(`action="/admin/forwards/${f!.id}/retry"`);
    expect(page.body).toContain('gave up after 8 attempts');
    const r = await post(app, `/admin/forwards/${f!.id}/retry`, cookie, { csrf });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/accounts');
    expect((await store.getForward(f!.id))!.status).toBe('pending');
  });

  it('a cross-site form post is refused by the listener before the console sees it', async () => {
    const { app, store } = await start();
    await createCampaign(store, { text: 'Sale', fileText: '+79010000001\n' }, { country: 'RU' }, { campaignId: 'cmp-2' });
    const { cookie, csrf } = await login(app);
    const { payload, ...headers } = form({ csrf });
    const r = await app.inject({ method: 'POST', url: '/admin/campaigns/cmp-2/cancel', headers: { ...headers, cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, payload });
    expect(r.statusCode).toBe(403);
    expect((await store.listJobs({ campaignId: 'cmp-2', state: 'queued' })).length).toBe(1);
  });
});
