/**
 * The operator console in headless Chromium against the whole server: two simulated modems on
 * pseudo-terminals (serialport → AT engine → driver), the store on disk, the queue, the inbound
 * pipeline, forwards to a real webhook receiver, the public web listener. The operator: is refused
 * with a wrong token, logs in, sees both modems with their signal, finds a Cyrillic SMS by search,
 * retries a failed forward, watches a mass text's progress bar advance live and cancels the
 * campaign; a POST without the CSRF token is refused. The dashboard screenshot goes to docs/img/admin.png.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { browserMissing, freePort, launchChromium } from '../helpers/browser.js';
import { startPoolHarness, waitFor } from '../helpers/harness.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { addAccount } from './accounts-helpers.js';
import { allJobs, mass, numbers, spoolOp } from './outbound-helpers.js';

const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '../../docs/img/admin.png');
const TOKEN = 'admin-browser-token-0123456789abcdef';
const missing = browserMissing();
if (missing && process.env.CI) throw new Error(`browser tests must run in CI: ${missing}`);

/** What the test started, stopped whatever happens (the browser, the server and simulators, the receiver). */
const started: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of started.splice(0).reverse()) await stop().catch(() => undefined);
});

const modemRow = (p: Page, id: string) => p.locator(`tr[data-modem="${id}"]`);

describe.skipIf(!!missing)(`operator console in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('login, two modems with signal, Cyrillic search, forward retry, live campaign progress and cancel, CSRF', { timeout: 180_000 }, async () => {
    const browser = await launchChromium();
    started.push(() => browser.close());
    const port = await freePort();
    const h = await startPoolHarness({
      modems: [
        // One mass SMS per second per modem: the campaign is still running when it is cancelled.
        { id: 'm1', profile: 'generic', number: '+79990000001', massPerMinute: 60, sim: { sendDelayMs: 100, noise: 0 } },
        { id: 'm2', profile: 'sim800', number: '+79990000002', massPerMinute: 60, sim: { sendDelayMs: 100, noise: 0 } },
      ],
      config: { http: { enabled: true, port: 0, token: TOKEN }, web: { enabled: true, port }, chat: { captcha: 'off' } },
    });
    started.push(() => h.close());
    const receiver = await startReceiver('/hook');
    started.push(() => receiver.close());
    const base = `http://127.0.0.1:${port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const p = await context.newPage();
    const consoleErrors: string[] = [];
    p.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    p.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    p.on('dialog', (d) => void d.accept());

    // Refused with a wrong token; the token never appears in a URL.
    await p.goto(`${base}/admin`);
    expect(new URL(p.url()).pathname).toBe('/admin/login');
    await p.getByLabel('Operator token').fill(`${TOKEN}-wrong`);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByText('Wrong token.').waitFor();
    await p.getByLabel('Operator token').fill(TOKEN);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(p.url()).toBe(`${base}/admin`);
    const cookie = (await context.cookies()).find((c) => c.name === 'sms_admin')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });

    // Both modems, ready, with signal bars (the status poll reaches the page live).
    for (const id of ['m1', 'm2']) {
      await modemRow(p, id).locator('.state-ready').waitFor({ timeout: 30_000 });
      await expect.poll(() => modemRow(p, id).locator('.bar.on').count(), { timeout: 40_000 }).toBeGreaterThan(0);
    }

    // An account whose webhook receiver is gone (410): the SMS routed to it ends as a failed forward.
    receiver.script([410], 200);
    await addAccount(h, { login: 'shop', webhook: receiver.url });
    h.sim('m2').modem.injectSms('+79001234567', 'shop: Здравствуйте, где мой заказ? 📦');
    const failed = await waitFor(async () => {
      const ro = await h.readStore();
      const [f] = await ro.listForwards({ account: 'shop', status: 'failed' });
      await ro.close();
      return f;
    }, 'the forward failed with 410');
    // The operator points the account at its (now working) receiver again.
    await spoolOp(h, 'accounts.set', { login: 'shop', webhook: receiver.url });

    // The inbound SMS shows live on the dashboard, then by search in the inbox, as sent.
    await p.locator('#live .inbox td.text', { hasText: 'где мой заказ' }).waitFor({ timeout: 30_000 });
    await p.getByRole('link', { name: 'Inbox', exact: true }).click();
    await p.getByLabel('Text').fill('ЗАКАЗ');
    await p.getByRole('button', { name: 'Filter' }).click();
    const row = p.locator('#live tr[data-entry]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td.text').textContent()).toBe('Здравствуйте, где мой заказ? 📦');
    expect(new URL(p.url()).searchParams.get('q')).toBe('ЗАКАЗ');

    // Retry the failed forward: delivered this time.
    await p.getByRole('link', { name: 'Accounts & forwards' }).click();
    const fwd = p.locator(`tr[data-forward="${failed.id}"]`);
    await fwd.getByRole('cell', { name: 'receiver answered 410 Gone', exact: true }).waitFor();
    await fwd.getByRole('button', { name: 'Retry' }).click();
    await p.getByText(`Forward ${failed.id} is pending again.`).waitFor();
    await waitFor(() => receiver.requests.length === 2 && receiver.requests[1]!.answered === 200, 'the retried forward delivered');
    await p.getByText('No pending or failed forwards.').waitFor({ timeout: 15_000 });

    // A mass text: the progress bar advances without a reload.
    const campaign = await mass(h, numbers(60), 'Big sale this weekend', 'Weekend sale');
    await p.getByRole('link', { name: 'Dashboard' }).click();
    await p.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    const bar = p.locator(`tr[data-campaign="${campaign.campaignId}"] progress`);
    await bar.waitFor({ timeout: 15_000 });
    const first = Number(await bar.getAttribute('value'));
    await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 30_000 }).toBeGreaterThan(first + 1);
    expect(await p.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    expect(await bar.getAttribute('max')).toBe('60');
    // Parts sent today follow the traffic (the status is republished after sends, not only every 30 s).
    const sentToday = async (id: string) => Number(await modemRow(p, id).locator('td.num').nth(3).textContent());
    await expect.poll(async () => (await sentToday('m1')) + (await sentToday('m2')), { timeout: 20_000 }).toBeGreaterThan(2);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await p.screenshot({ path: SCREENSHOT, fullPage: true });

    // A POST without the CSRF token is refused, and cancels nothing.
    const refused = await p.evaluate(async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status, `/admin/campaigns/${campaign.campaignId}/cancel`);
    expect(refused).toBe(403);

    // Cancel: what is still queued is never sent.
    await p.locator(`tr[data-campaign="${campaign.campaignId}"]`).getByRole('button', { name: 'Cancel' }).click();
    const flash = await p.locator('.flash').textContent({ timeout: 15_000 });
    const cancelled = Number(/cancelled: (\d+) queued SMS/.exec(flash ?? '')?.[1]);
    expect(cancelled).toBeGreaterThan(0);
    const jobs = (await allJobs(h)).filter((j) => j.campaignId === campaign.campaignId);
    await waitFor(async () => (await allJobs(h)).filter((j) => j.campaignId === campaign.campaignId).every((j) => j.state === 'sent' || j.state === 'failed'), 'campaign settled');
    const settled = (await allJobs(h)).filter((j) => j.campaignId === campaign.campaignId);
    expect(settled.filter((j) => j.reason === 'cancelled')).toHaveLength(cancelled);
    const sentBefore = h.sim('m1').modem.sent.length + h.sim('m2').modem.sent.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.sim('m1').modem.sent.length + h.sim('m2').modem.sent.length).toBe(sentBefore);
    expect(jobs.length).toBe(60);
    // Only the two refusals above; nothing blocked by the Content-Security-Policy, nothing thrown.
    expect(consoleErrors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      'Failed to load resource: the server responded with a status of 403 (Forbidden)',
    ]);
  });
});
