/**
 * The chat's JSON API over real HTTP (fastify on an ephemeral port): every error code, the
 * captcha (missing, wrong, forged, replayed, expired), the limits, and the event stream with
 * `Last-Event-ID` resume. The queue is a real Store (in memory); time is a manual clock where
 * sessions must end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { ChatClient, SseReader, startChatWeb, type ChatWeb } from './chat-helpers.js';

let w: ChatWeb | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

// Real time as the start: altcha-lib also checks expiry against the real clock.
const clockNow = () => new FakeClock(Date.now());

async function client(base = w!.base): Promise<ChatClient> {
  const c = new ChatClient(base);
  const r = await c.session();
  expect(r.status).toBe(201);
  return c;
}

describe('sessions', () => {
  it('POST /session answers {sessionId, expiresAt} and an HttpOnly SameSite=Strict cookie; the cookie resumes it', async () => {
    const clock = clockNow();
    w = await startChatWeb({ clock });
    const c = new ChatClient(w.base);
    const r = await c.session();
    expect(r.status).toBe(201);
    expect(r.body.sessionId).toMatch(/^cs-[0-9a-f]{24}$/);
    expect(Date.parse(r.body.expiresAt) - clock.now()).toBe(5 * 60_000);
    const set = r.headers.get('set-cookie')!;
    expect(set).toMatch(/^sms_chat=cs-[0-9a-f]{24}\.[A-Za-z0-9_-]{32}; /);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/chat/);
    // The secret is in the cookie only: the store keeps its hash.
    const secret = c.cookie!.split('.')[1]!;
    expect(JSON.stringify(await w.store.listChatSessions())).not.toContain(secret);
    const again = await c.session();
    expect(again.status).toBe(200);
    expect(again.body.sessionId).toBe(r.body.sessionId);
  });

  it('401 without a session, and with a forged cookie', async () => {
    w = await startChatWeb({ captcha: 'off' });
    const c = new ChatClient(w.base);
    expect((await c.send({}, null)).status).toBe(401);
    const real = await client();
    const [id] = real.cookie!.split('=')[1]!.split('.');
    c.cookie = `sms_chat=${id}.${'A'.repeat(32)}`;
    const r = await c.request('GET', '/chat/api/conversations');
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('no-session');
  });
});

describe('POST /messages', () => {
  it('201 {conversationId, messageId}; the SMS is the template with the name, queued above mass texts', async () => {
    w = await startChatWeb();
    const c = await client();
    const r = await c.send({ name: 'Ana', to: '8 900 123-45-67', text: 'hola, ¿vienes?' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ conversationId: expect.stringMatching(/^cv-/), messageId: `${r.body.conversationId}.1` });
    const jobs = await w.store.listJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ to: '+79001234567', text: 'Ana (web): hola, ¿vienes?', priority: 'notification', state: 'queued' });
    const conv = await c.request<{ conversations: { conversationId: string; to: string; messages: { direction: string; text: string; state: string }[] }[] }>(
      'GET',
      '/chat/api/conversations',
    );
    expect(conv.body.conversations).toEqual([
      expect.objectContaining({ conversationId: r.body.conversationId, to: '+79001234567', messages: [expect.objectContaining({ direction: 'out', text: 'hola, ¿vienes?', state: 'queued' })] }),
    ]);
  });

  it('400 for an empty name, an empty or blank text, a text over 150, a bad number, a number outside allowedPrefixes', async () => {
    w = await startChatWeb({ captcha: 'off', chat: { allowedPrefixes: ['+7900', '+7901'] } });
    const c = await client();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: '' }, 'empty-name', /name/],
      [{ text: '' }, 'empty-text', /empty/],
      [{ text: '  \n ' }, 'empty-text', /empty/],
      [{ text: 'x'.repeat(151) }, 'text-too-long', /151 characters; at most 150/],
      [{ to: '12ab' }, 'bad-number', /invalid phone number "12ab"/],
      [{ to: '+7 912 000-00-00' }, 'prefix-not-allowed', /\+79120000000 .*\+7900, \+7901/],
      [{ to: '+34612345678' }, 'prefix-not-allowed', /must start with/],
    ];
    for (const [msg, code, text] of cases) {
      const r = await c.send(msg, null);
      expect(r.status, code).toBe(400);
      expect(r.body.error).toBe(code);
      expect(r.body.message).toMatch(text);
    }
    expect((await c.send({ text: 'x'.repeat(150) }, null)).status).toBe(201);
    expect(await w.store.listJobs()).toHaveLength(1);
  });

  it('400 for a body of the wrong shape; 415 for a form post', async () => {
    w = await startChatWeb({ captcha: 'off' });
    const c = await client();
    const extra = await c.request('POST', '/chat/api/messages', { name: 'a', to: '+79001234567', text: 'x', admin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toBe('bad-request');
    const form = await c.request('POST', '/chat/api/messages', 'name=a&to=%2B79001234567&text=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
  });

  it('with captcha "off" no captcha is needed', async () => {
    w = await startChatWeb({ captcha: 'off' });
    const c = await client();
    expect((await c.request('GET', '/chat/api/captcha')).body).toEqual({ mode: 'off' });
    expect((await c.send({}, null)).status).toBe(201);
  });
});

describe('captcha (403)', () => {
  it('missing, wrong, forged, replayed and expired answers are refused; a fresh one passes', async () => {
    const clock = clockNow();
    w = await startChatWeb({ clock, chat: { sessionMinutes: 60 } });
    const c = await client();
    const missing = await c.send({}, null);
    expect([missing.status, missing.body.error]).toEqual([403, 'captcha-required']);

    const good = (await c.solvedCaptcha())!;
    const p = JSON.parse(Buffer.from(good, 'base64').toString());
    const key: string = p.solution.derivedKey;
    const wrong = { ...p, solution: { ...p.solution, derivedKey: key.slice(0, -1) + (key.endsWith('0') ? '1' : '0') } };
    const r1 = await c.send({}, Buffer.from(JSON.stringify(wrong)).toString('base64'));
    expect([r1.status, r1.body.error, r1.body.message]).toEqual([403, 'captcha-invalid', 'the security check answer is wrong']);
    // A challenge with easier parameters made up by the client: the signature no longer matches.
    const forged = { ...p, challenge: { ...p.challenge, parameters: { ...p.challenge.parameters, keyPrefix: '00' } } };
    const r2 = await c.send({}, forged);
    expect([r2.status, r2.body.error]).toEqual([403, 'captcha-invalid']);
    const r3 = await c.send({}, 'not base64 json');
    expect([r3.status, r3.body.error]).toEqual([403, 'captcha-invalid']);

    // The good one still works (nothing above used it), once.
    expect((await c.send({}, good)).status).toBe(201);
    const replay = await c.send({ text: 'again' }, good);
    expect([replay.status, replay.body.error]).toEqual([403, 'captcha-used']);
    // Replayed from another session too.
    const other = await client();
    expect((await other.send({ to: '+79005550000' }, good)).body.error).toBe('captcha-used');

    const old = (await c.solvedCaptcha())!;
    clock.advance(10 * 60_000 + 1000);
    const expired = await c.send({}, old);
    expect([expired.status, expired.body.error]).toEqual([403, 'captcha-expired']);
    expect(await w.store.listJobs()).toHaveLength(1);
  });
});

describe('409 and 410', () => {
  it('409 when the mobile is in a live conversation of another session (says why); free again after it ends', async () => {
    const clock = clockNow();
    w = await startChatWeb({ clock, captcha: 'off', chat: { sessionMinutes: 1 } });
    const a = await client();
    const b = await client();
    expect((await a.send({ to: '+79001234567' }, null)).status).toBe(201);
    const busy = await b.send({ to: '89001234567' }, null);
    expect(busy.status).toBe(409);
    expect(busy.body.error).toBe('mobile-busy');
    expect(busy.body.message).toMatch(/another visitor.*one SIM a reply .* could not be told apart/);
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same session may write to it again (the same conversation).
    const again = await a.send({ to: '+79001234567', text: 'second' }, null);
    expect(again.status).toBe(201);
    clock.advance(30_000);
    // b stays alive by texting someone else; a ends.
    expect((await b.send({ to: '+79005550000' }, null)).status).toBe(201);
    clock.advance(31_000);
    expect((await b.send({ to: '+79001234567' }, null)).status).toBe(201);
  });

  it('410 on every session route once the session ended (sessionMinutes without a message)', async () => {
    const clock = clockNow();
    w = await startChatWeb({ clock, captcha: 'off', chat: { sessionMinutes: 0.5 } });
    const c = await client();
    expect((await c.send({}, null)).status).toBe(201);
    clock.advance(29_000);
    expect((await c.request('GET', '/chat/api/conversations')).status).toBe(200);
    clock.advance(1_000);
    const r = await c.send({ text: 'late' }, null);
    expect([r.status, r.body.error]).toEqual([410, 'session-ended']);
    expect((await c.request('GET', '/chat/api/conversations')).status).toBe(410);
    const ev = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie! });
    expect(ev.status).toBe(410);
    // A new session is created on request (the page's "start a new session").
    const fresh = await c.session();
    expect(fresh.status).toBe(201);
  });
});

describe('limits (429)', () => {
  it('per IP: messages per hour, with Retry-After', async () => {
    w = await startChatWeb({ captcha: 'off', chat: { limits: { perIpPerHour: 2, sessionsPerIpPerHour: 10, perDestinationPerDay: 10, perPrefixPerHour: 10, prefixDigits: 6, conversationsPerSession: 5 } } });
    const c = await client();
    expect((await c.send({ to: '+79001110001' }, null)).status).toBe(201);
    expect((await c.send({ to: '+79001110002' }, null)).status).toBe(201);
    const r = await c.send({ to: '+79001110003' }, null);
    expect([r.status, r.body.error]).toEqual([429, 'limit-ip']);
    expect(Number(r.headers.get('retry-after'))).toBe(1800);
    // Another session from the same address does not reset it.
    const d = await client();
    expect((await d.send({ to: '+79001110004' }, null)).body.error).toBe('limit-ip');
  });

  it('per destination per day, and per number prefix per hour', async () => {
    w = await startChatWeb({ captcha: 'off', chat: { limits: { perIpPerHour: 100, sessionsPerIpPerHour: 10, perDestinationPerDay: 2, perPrefixPerHour: 3, prefixDigits: 6, conversationsPerSession: 5 } } });
    const c = await client();
    expect((await c.send({ to: '+79001234567' }, null)).status).toBe(201);
    expect((await c.send({ to: '+79001234567' }, null)).status).toBe(201);
    const dest = await c.send({ to: '+79001234567' }, null);
    expect([dest.status, dest.body.error]).toEqual([429, 'limit-destination']);
    expect(dest.body.message).toMatch(/\+79001234567 has had 2 chat messages today/);
    expect((await c.send({ to: '+79001239999' }, null)).status).toBe(201); // third under +790012
    const pre = await c.send({ to: '+79001230000' }, null);
    expect([pre.status, pre.body.error]).toEqual([429, 'limit-prefix']);
    expect(pre.body.message).toMatch(/starting \+790012/);
    expect((await c.send({ to: '+79011230000' }, null)).status).toBe(201); // another prefix
  });

  it('sessions per IP per hour, conversations per session', async () => {
    w = await startChatWeb({ captcha: 'off', chat: { limits: { perIpPerHour: 100, sessionsPerIpPerHour: 2, perDestinationPerDay: 10, perPrefixPerHour: 100, prefixDigits: 6, conversationsPerSession: 2 } } });
    const c = await client();
    await client();
    const third = await new ChatClient(w.base).session();
    expect([third.status, third.body.error]).toEqual([429, 'limit-sessions']);
    expect((await c.send({ to: '+79001110001' }, null)).status).toBe(201);
    expect((await c.send({ to: '+79001110002' }, null)).status).toBe(201);
    const r = await c.send({ to: '+79001110003' }, null);
    expect([r.status, r.body.error]).toEqual([429, 'too-many-conversations']);
  });

  it('requests per minute per IP over every route; X-Forwarded-For counts only with trustProxy', async () => {
    w = await startChatWeb({ captcha: 'off', requestsPerMinute: 5 });
    const spoofing = (n: number) => new ChatClient(w!.base, { 'x-forwarded-for': `203.0.113.${n}` });
    for (let i = 0; i < 5; i++) expect((await spoofing(i).request('GET', '/chat/api/captcha')).status).toBe(200);
    const r = await spoofing(9).request('GET', '/chat/api/captcha');
    expect([r.status, r.body.error]).toEqual([429, 'rate-limited']);
    await w.close();

    w = await startChatWeb({ captcha: 'off', requestsPerMinute: 5, trustProxy: true });
    for (let i = 0; i < 5; i++) expect((await spoofing(1).request('GET', '/chat/api/captcha')).status).toBe(200);
    expect((await spoofing(1).request('GET', '/chat/api/captcha')).status).toBe(429);
    expect((await spoofing(2).request('GET', '/chat/api/captcha')).status).toBe(200);
    // Only the hop nginx appended is believed: a client-sent entry further left changes nothing.
    expect((await new ChatClient(w.base, { 'x-forwarded-for': '198.51.100.7, 203.0.113.1' }).request('GET', '/chat/api/captcha')).status).toBe(429);
  });
});

describe('events (SSE)', () => {
  it('message, status and ended events; a reply from the mobile extends the session', async () => {
    const clock = clockNow();
    w = await startChatWeb({ clock, captcha: 'off', chat: { sessionMinutes: 1 } });
    const c = await client();
    const ev = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie! });
    expect(ev.status).toBe(200);
    const sent = await c.send({ name: 'Ana', to: '+79001234567', text: 'hola' }, null);
    const m1 = (await ev.next())!;
    expect(m1).toMatchObject({ id: '1', event: 'message', data: { conversationId: sent.body.conversationId, direction: 'out', from: 'Ana', to: '+79001234567', text: 'hola', at: expect.any(String) } });
    const [job] = await w.store.listJobs();
    await w.chat.jobUpdate(job!.id, 'sent');
    expect(await ev.next()).toMatchObject({ id: '2', event: 'status', data: { messageId: sent.body.messageId, state: 'sent' } });

    clock.advance(50_000);
    const claim = await w.chat.receive({ id: 'in-1', from: '89001234567', text: '<b>sí</b>' });
    expect(claim).toEqual({ sessionId: expect.any(String), conversationId: sent.body.conversationId });
    expect(await ev.next()).toMatchObject({ id: '3', event: 'message', data: { direction: 'in', from: '+79001234567', to: 'Ana', text: '<b>sí</b>' } });
    clock.advance(50_000); // 100 s after the send, 50 s after the reply: still live
    expect((await c.request('GET', '/chat/api/conversations')).status).toBe(200);
    clock.advance(10_000);
    expect(await ev.next()).toMatchObject({ id: '4', event: 'ended' });
    expect(await ev.next()).toBeUndefined(); // the server closed the stream
    // A late reply is not claimed: the inbox keeps it through the other routes.
    expect(await w.chat.receive({ id: 'in-2', from: '+79001234567', text: 'late' })).toBeUndefined();
  });

  it('resumes after Last-Event-ID (header or ?lastEventId=); without it replays the session', async () => {
    w = await startChatWeb({ captcha: 'off' });
    const c = await client();
    const first = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie! });
    await c.send({ to: '+79001110001', text: 'one' }, null);
    await c.send({ to: '+79001110002', text: 'two' }, null);
    expect((await first.next())!.id).toBe('1');
    expect((await first.next())!.id).toBe('2');
    first.close();
    await c.send({ to: '+79001110003', text: 'three' }, null);

    const resumed = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie!, 'last-event-id': '2' });
    expect(await resumed.next()).toMatchObject({ id: '3', data: { text: 'three' } });
    resumed.close();
    const byQuery = await SseReader.open(w.base, '/chat/api/events?lastEventId=1', { cookie: c.cookie! });
    expect((await byQuery.next())!.data.text).toBe('two');
    byQuery.close();
    const replay = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie! });
    expect([(await replay.next())!.data.text, (await replay.next())!.data.text, (await replay.next())!.data.text]).toEqual(['one', 'two', 'three']);
    replay.close();
  });

  it('one stream per session: a second stream closes the first', async () => {
    w = await startChatWeb({ captcha: 'off' });
    const c = await client();
    const a = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie! });
    const b = await SseReader.open(w.base, '/chat/api/events', { cookie: c.cookie! });
    expect(await a.next()).toBeUndefined();
    await c.send({}, null);
    expect((await b.next())!.event).toBe('message');
    b.close();
  });
});

describe('security', () => {
  it('strict CSP and the other headers on the page; no inline script; text in the configured language', async () => {
    w = await startChatWeb({ captcha: 'off', language: 'es' });
    const r = await fetch(w.base + '/chat');
    expect(r.status).toBe(200);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const html = await r.text();
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('Aquí recibirás tu respuesta');
    for (const tag of html.match(/<script[^>]*>/g)!) expect(tag).toMatch(/src="\/assets\/|type="application\/json"/);
    expect(html).not.toMatch(/ on\w+=/); // no inline event handlers
    // Assets are served; page templates and other package files are not.
    expect((await fetch(w.base + '/assets/chat.js')).status).toBe(200);
    expect((await fetch(w.base + '/assets/vendor/altcha/pow.js')).status).toBe(200);
    expect((await fetch(w.base + '/assets/chat.html')).status).toBe(404);
    expect((await fetch(w.base + '/assets/vendor/altcha/algorithms/sha.js')).status).toBe(404);
  });

  it('the page in each language: lang attribute, title, and the strings for the script as JSON', async () => {
    const titles = { en: 'Send an SMS', es: 'Enviar un SMS', ru: 'Отправить SMS' } as const;
    for (const language of ['en', 'es', 'ru'] as const) {
      const web = await startChatWeb({ captcha: 'off', language });
      const html = await (await fetch(web.base + '/chat')).text();
      await web.close();
      expect(html).toContain(`<html lang="${language}">`);
      expect(html).toContain(`<title>${titles[language]}</title>`);
      const json = /<script type="application\/json" id="chat-config">(.*?)<\/script>/s.exec(html)![1]!;
      expect(JSON.parse(json)).toMatchObject({ lang: language, maxLength: 150, strings: { states: { sent: expect.any(String) } } });
    }
  });

  it('behind a TLS proxy (trustProxy, X-Forwarded-Proto: https) the session cookie is Secure; without trustProxy the header is ignored', async () => {
    w = await startChatWeb({ captcha: 'off', trustProxy: true });
    const tls = await new ChatClient(w.base, { 'x-forwarded-proto': 'https' }).session();
    expect(tls.headers.get('set-cookie')).toMatch(/; Secure/);
    expect((await new ChatClient(w.base).session()).headers.get('set-cookie')).not.toMatch(/Secure/);
    await w.close();
    w = await startChatWeb({ captcha: 'off' });
    expect((await new ChatClient(w.base, { 'x-forwarded-proto': 'https' }).session()).headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('refuses state-changing requests from another origin (Origin, Sec-Fetch-Site); scripts without Origin pass', async () => {
    w = await startChatWeb({ captcha: 'off' });
    const evil = new ChatClient(w.base, { origin: 'https://evil.example' });
    const r = await evil.session();
    expect([r.status, r.body.error]).toEqual([403, 'cross-site']);
    expect((await new ChatClient(w.base, { origin: 'null' }).session()).status).toBe(403);
    expect((await new ChatClient(w.base, { 'sec-fetch-site': 'cross-site' }).session()).status).toBe(403);
    const own = new ChatClient(w.base, { origin: w.base, 'sec-fetch-site': 'same-origin' });
    expect((await own.session()).status).toBe(201);
    expect((await own.send({}, null)).status).toBe(201);
  });
});
