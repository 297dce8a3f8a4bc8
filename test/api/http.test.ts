import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { startHttpApi, type HttpApi } from '../../src/api/http.js';
import { MemoryStore } from '../../src/store/memory.js';
import { createLogger } from '../../src/util/log.js';

const TOKEN = 'test-token-0123456789abcdef';
let api: HttpApi;
let store: MemoryStore;
let enqueued: string[][];
let logged: string;

function url(path: string) {
  return `http://127.0.0.1:${api.port}${path}`;
}
function post(body: string, headers: Record<string, string> = {}) {
  return fetch(url('/messages'), {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body,
  });
}

beforeEach(async () => {
  store = new MemoryStore();
  enqueued = [];
  logged = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logged += String(chunk);
      cb();
    },
  });
  api = await startHttpApi({
    port: 0,
    token: TOKEN,
    store,
    onEnqueued: (ids) => enqueued.push(ids),
    logger: createLogger('debug', sink),
    maxBodyBytes: 1024,
  });
});
afterEach(async () => {
  await api.close();
});

describe('HTTP API auth', () => {
  it('answers 401 with WWW-Authenticate when the token is missing or wrong, and never logs it', async () => {
    const missing = await fetch(url('/health'));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(url('/messages'), { method: 'POST', headers: { Authorization: 'Bearer wrong-token-xyz' }, body: '{}' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
    const prefix = await fetch(url('/health'), { headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}` } });
    expect(prefix.status).toBe(401);
    const basic = await fetch(url('/health'), { headers: { Authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    const ok = await fetch(url('/health'), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, queue: { byState: { queued: 0 } } });
    expect(logged).toContain('"status":401');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('wrong-token-xyz');
    expect(logged.toLowerCase()).not.toContain('authorization');
    expect(await store.listJobs()).toEqual([]);
  });

  it('refuses to start without a real token', async () => {
    await expect(startHttpApi({ port: 0, token: '', store })).rejects.toThrow(/http\.token/);
    await expect(startHttpApi({ port: 0, token: 'short', store })).rejects.toThrow(/at least 16/);
  });
});

describe('HTTP API requests', () => {
  it('queues a notification: 201 with id, then GET shows its state', async () => {
    const res = await post(JSON.stringify({ to: '8 900 123-45-67', text: 'Your order is ready' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; ids: string[]; jobs: unknown[]; rejected: unknown[] };
    expect(body.ids).toEqual([body.id]);
    expect(body.jobs).toEqual([{ id: body.id, to: '+79001234567', state: 'queued' }]);
    expect(body.rejected).toEqual([]);
    expect(enqueued).toEqual([[body.id]]);

    await store.updateJob(body.id, { state: 'sent', sentAt: '2026-11-21T10:00:05.000Z', attempts: 1, parts: [{ seq: 1, mr: 7 }] });
    const get = await fetch(url(`/messages/${body.id}`), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({
      id: body.id,
      to: '+79001234567',
      state: 'sent',
      attempts: 1,
      lastError: null,
      sentAt: '2026-11-21T10:00:05.000Z',
      parts: [{ seq: 1, mr: 7 }],
    });
    const missing = await fetch(url('/messages/job-999'), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('job-999');
  });

  it('answers 400, not 500, for an id that is not valid percent-encoding (issue 9 item 9)', async () => {
    const r = await fetch(url('/messages/%zz'), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/malformed percent-encoding.*%zz/);
  });

  it('"report" asks for a delivery report per job; GET shows delivery, /health the unmatched count', async () => {
    const yes = (await (await post(JSON.stringify({ to: '+79001234567', text: 'with report', report: true }))).json()) as { id: string };
    const no = (await (await post(JSON.stringify({ to: '+79001234568', text: 'without', report: false }))).json()) as { id: string };
    const unset = (await (await post(JSON.stringify({ to: '+79001234569', text: 'server default' }))).json()) as { id: string };
    expect((await store.getJob(yes.id))!.report).toBe(true);
    expect((await store.getJob(no.id))!.report).toBe(false);
    expect((await store.getJob(unset.id))!.report).toBeUndefined();
    const bad = await post(JSON.stringify({ to: '+79001234567', text: 'x', report: 'yes' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('"report" must be true or false, got "yes"');

    const get = (id: string) => fetch(url(`/messages/${id}`), { headers: { Authorization: `Bearer ${TOKEN}` } }).then((r) => r.json() as Promise<{ delivery: unknown }>);
    expect((await get(yes.id)).delivery).toBeNull(); // not sent yet: nothing asked of the network
    await store.updateJob(yes.id, {
      state: 'sent',
      parts: [{ seq: 1, mr: 7, sentAt: '2026-11-21T07:00:00.000Z', report: true }, { seq: 2, mr: 8, sentAt: '2026-11-21T07:00:01.000Z', report: true }],
      delivery: { state: 'pending', parts: [{ seq: 2, mr: 8, state: 'delivered', status: 0, at: '2026-11-21T10:00:09+03:00', reports: ['h'] }] },
    });
    expect((await get(yes.id)).delivery).toEqual({
      state: 'pending',
      at: null,
      parts: [
        { seq: 1, mr: 7, state: 'pending', status: null, at: null },
        { seq: 2, mr: 8, state: 'delivered', status: 0, at: '2026-11-21T10:00:09+03:00' },
      ],
    });
    await store.addUnmatchedReport({ hash: 'x', modem: 'default', mr: 1, recipient: '+7', status: 0, at: 'a', receivedAt: 'b', reason: 'no-part', pdu: '00' });
    const health = await fetch(url('/health'), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await health.json()).toMatchObject({ ok: true, delivery: { unmatchedReports: 1 } });
  });

  it('reports rejected recipients beside the queued ones, and 422 when none is queued', async () => {
    const res = await post(JSON.stringify({ to: ['+79001234567', 'nope'], text: 'hi' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id?: string; ids: string[]; rejected: { to: string; error: string }[] };
    expect(body.id).toBeUndefined();
    expect(body.ids).toHaveLength(1);
    expect(body.rejected).toMatchObject([{ to: 'nope', error: 'invalid-number' }]);
    const none = await post(JSON.stringify({ to: 'nope', text: 'hi' }));
    expect(none.status).toBe(422);
    expect(enqueued).toHaveLength(1);
  });

  it('answers 400 with a specific message for bad JSON and bad fields', async () => {
    const bad = await post('{"to": "+79001234567", text: }');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/);
    const noText = await post(JSON.stringify({ to: '+79001234567' }));
    expect(noText.status).toBe(400);
    expect(((await noText.json()) as { error: string }).error).toContain('"text"');
    const arr = await post('[]');
    expect(arr.status).toBe(400);
    const emptyText = await post(JSON.stringify({ to: '+79001234567', text: '' }));
    expect(emptyText.status).toBe(400);
    expect(await store.listJobs()).toEqual([]);
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const big = JSON.stringify({ to: '+79001234567', text: 'x'.repeat(2000) });
    const declared = await post(big);
    expect(declared.status).toBe(413);

    // Chunked, no Content-Length: the limit is enforced while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url('/messages'), {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(big.slice(0, 800));
      req.end(big.slice(800));
    });
    expect(status).toBe(413);
    expect(await store.listJobs()).toEqual([]);
  });

  it('reads the path as the URL parser does: query strings, dot segments and escapes', async () => {
    // Raw requests: fetch() would normalise the path before sending it.
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: api.port, path, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await get('/health?verbose=1')).status).toBe(200);
    expect((await get('/messages/../health')).status).toBe(200);
    expect((await get('/./health')).status).toBe(200);
    const escaped = await get('/messages/job%2D999');
    expect(escaped.status).toBe(404);
    expect(escaped.body).toContain('job-999');
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const h = { Authorization: `Bearer ${TOKEN}` };
    expect((await fetch(url('/nope'), { headers: h })).status).toBe(404);
    const wrong = await fetch(url('/messages'), { headers: h });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await post('{}', { 'Content-Type': 'text/plain' })).status).toBe(415);
  });
});
