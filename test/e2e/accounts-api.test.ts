/**
 * The HTTP API with account tokens on the running server (issue 11): an account's token queues
 * messages attributed to it, sees only its own (others' ids are 404), polls its own inbound with
 * `GET /inbox?since=&limit=` oldest first; the operator token keeps full access and may act for
 * an account. A replaced token stops working at once (`accounts rotate`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCredentials } from '../../src/accounts/credentials.js';
import { loadOrCreateKey } from '../../src/util/secret.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { addAccount, routed, type CreatedAccount } from './accounts-helpers.js';
import { cliOp } from './customer-helpers.js';

const OPERATOR = 'operator-token-5b1f9e2c';
let h: Harness;
let url: string;
let acme: CreatedAccount;
let beta: CreatedAccount;

beforeAll(async () => {
  h = await startHarness({ config: { http: { enabled: true, token: OPERATOR, port: 0, host: '127.0.0.1' } } });
  url = `http://127.0.0.1:${h.server!.http!.port}`;
  acme = await addAccount(h, { login: 'acme' });
  beta = await addAccount(h, { login: 'beta' });
});
afterAll(async () => {
  await h?.close();
});

const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

describe('HTTP API with account tokens', () => {
  it('POST /messages is attributed to the account; GET /messages/:id answers only its owner (others 404); the operator sees all', async () => {
    const a = await call('POST', '/messages', acme.token, { to: '+79001234567', text: 'From acme' });
    expect(a.status).toBe(201);
    const id = a.body.id as string;
    expect((await h.server!.store.getJob(id))!.account).toBe('acme');
    expect((await call('GET', `/messages/${id}`, acme.token)).body).toMatchObject({ id, account: 'acme' });
    const other = await call('GET', `/messages/${id}`, beta.token);
    expect(other.status).toBe(404);
    expect(other.body.error).toBe(`no message with id "${id}"`);
    expect((await call('GET', `/messages/${id}`, OPERATOR)).status).toBe(200);

    // An account cannot send as another; the operator may name one (and must name an existing one).
    expect((await call('POST', '/messages', acme.token, { to: '+79001234567', text: 'x', account: 'beta' })).status).toBe(403);
    const op = await call('POST', '/messages', OPERATOR, { to: '+79001234568', text: 'For beta', account: 'beta' });
    expect(op.status).toBe(201);
    expect((await h.server!.store.getJob(op.body.id as string))!.account).toBe('beta');
    expect((await call('POST', '/messages', OPERATOR, { to: '+79001234568', text: 'x', account: 'ghost' })).status).toBe(422);
    const plain = await call('POST', '/messages', OPERATOR, { to: '+79001234569', text: 'No account' });
    expect((await h.server!.store.getJob(plain.body.id as string))!.account).toBeUndefined();
    expect((await call('GET', `/messages/${plain.body.id as string}`, acme.token)).status).toBe(404);
  });

  it('GET /inbox: the account\'s own inbound, oldest first, since inclusive, limit; the operator may filter by account', async () => {
    const t0 = new Date(Date.now() - 1000).toISOString();
    const texts = ['acme: one', 'beta: not yours', 'acme: two', 'acme: three'];
    texts.forEach((t, i) => h.sim.modem.injectSms('+79001112233', t, { timestamp: new Date(Date.UTC(2026, 10, 21, 10, 0, i)) }));
    await routed(h, (e) => e.text === 'three', 'last routed');
    const mine = await call('GET', `/inbox?since=${encodeURIComponent(t0)}&limit=10`, acme.token);
    expect(mine.status).toBe(200);
    const msgs = mine.body.messages as { id: string; text: string; account: string; routedBy: string; receivedAt: string }[];
    expect(msgs.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(msgs.every((m) => m.account === 'acme' && m.routedBy === 'prefix')).toBe(true);
    const page = await call('GET', `/inbox?since=${encodeURIComponent(msgs[1]!.receivedAt)}&limit=1`, acme.token);
    expect((page.body.messages as { text: string }[]).map((m) => m.text)).toEqual(['two']);
    expect(((await call('GET', `/inbox?since=${encodeURIComponent(t0)}`, beta.token)).body.messages as { text: string }[]).map((m) => m.text)).toEqual(['not yours']);
    expect(((await call('GET', `/inbox?since=${encodeURIComponent(t0)}&account=beta`, OPERATOR)).body.messages as unknown[]).length).toBe(1);
    expect(((await call('GET', `/inbox?since=${encodeURIComponent(t0)}`, OPERATOR)).body.messages as unknown[]).length).toBe(4);
    expect((await call('GET', '/inbox?since=yesterday', acme.token)).status).toBe(400);
    expect((await call('GET', '/inbox?limit=0', acme.token)).status).toBe(400);
    expect((await call('GET', '/inbox?account=beta', acme.token)).status).toBe(403);
  });

  it('a wrong token is 401; after accounts rotate the old token stops working and the new one works', async () => {
    expect((await call('GET', '/inbox', 'smsk_not-a-real-token')).status).toBe(401);
    const creds = makeCredentials(loadOrCreateKey({ dataDir: h.dataDir }));
    await cliOp(h, 'accounts.rotate', { login: 'acme', tokenHash: creds.tokenHash, webhookSecretEnc: creds.webhookSecretEnc });
    await waitFor(async () => (await call('GET', '/inbox', acme.token)).status === 401, 'old token refused');
    expect((await call('GET', '/inbox', creds.token)).status).toBe(200);
  });
});
