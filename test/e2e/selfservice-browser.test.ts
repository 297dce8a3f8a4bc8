/**
 * The self-service page (issue 13, item 5) in headless Chromium against the whole server: the
 * simulated modem on a real pseudo-terminal, the store on disk, the queue worker, the inbound
 * commands and the public web listener. The subscriber activates by SMS (`111`), orders a code
 * (`CODE`), types a wrong code on the page (attempts left), then the right one (the real proof of
 * work solved in the browser), switches notifications off — the store records the opt-out, the
 * confirmation SMS goes out and a following mass text skips the number — and logs out; three
 * wrong codes then show the lock.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCampaign } from '../../src/queue/mass.js';
import { isOptedOut } from '../../src/store/optout.js';
import { freePort, sharedBrowser } from '../helpers/browser.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { replyTo, SMS_STOP, sentCount } from './customer-helpers.js';

const SCREENSHOT = join(import.meta.dirname, '../../docs/img/self-service.png');
const SUB = '+79005554433';
const OTHER = '+79005550011';
const CODE_RE = /^Your self-service access code: (\d{6})\. Do not share it with anyone\.$/;
const { missing, browser } = sharedBrowser();

let h: Harness | undefined;
let context: BrowserContext | undefined;
let consoleErrors: string[] = [];

afterEach(async () => {
  await context?.close();
  context = undefined;
  await h?.close();
  h = undefined;
});

const ask = (text: string) => replyTo(h!, SUB, text);

/** Fill the form, wait for the proof of work, submit, wait for the next page. */
async function logIn(p: Page, phone: string, code: string): Promise<void> {
  await p.getByLabel('Your mobile number').fill(phone);
  await p.getByLabel('Access code').fill(code);
  await p.getByText('Done: you can log in.').waitFor({ timeout: 60_000 });
  await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Log in' }).click()]);
}

describe.skipIf(!!missing)(`self-service page in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('activate and order a code by SMS; wrong code → attempts left; right code → switch notifications off (store, SMS, mass text); logout; three wrong codes lock', async () => {
    const port = await freePort();
    h = await startHarness({
      config: {
        language: 'en',
        web: { enabled: true, port },
        // The real proof of work at a difficulty the shared test machine solves in seconds.
        selfService: { enabled: true, captchaDifficulty: 5000 },
        inbound: { sweepSeconds: 60, multipartTimeoutHours: 24, perSenderPerHour: 1000 },
      },
    });
    expect(await ask('111')).toContain('Self-service is activated for your number.');
    const code = CODE_RE.exec(await ask('CODE'))?.[1];
    expect(code).toBeDefined();
    const wrongCode = code === '000000' ? '111111' : '000000';

    context = await browser().newContext({ viewport: { width: 480, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const p = await context.newPage();
    consoleErrors = [];
    p.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    const url = `http://127.0.0.1:${port}/self-service`;
    await p.goto(url);
    expect(await p.title()).toBe('Self-service');

    // Wrong code: the page says how many attempts are left and keeps the number typed.
    await logIn(p, '8 900 555-44-33', wrongCode);
    await p.getByText('Wrong code. Attempts left: 2.').waitFor();
    expect(await p.getByLabel('Your mobile number').inputValue()).toBe('8 900 555-44-33');

    // Right code: the account page with the number's state.
    await logIn(p, '8 900 555-44-33', code!);
    await p.getByText('Logged in as +79005554433.').waitFor();
    await p.getByText('SMS notifications and mass texts are ON for this number.').waitFor();
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await p.screenshot({ path: SCREENSHOT, fullPage: true }); // for the README

    // The session cookie: HttpOnly (invisible to the page's script), SameSite=Strict, 15 minutes.
    const cookies = await context.cookies(url);
    const session = cookies.find((c) => c.name === 'sms_self');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/self-service' });
    const ttl = session!.expires - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(14 * 60);
    expect(ttl).toBeLessThanOrEqual(15 * 60 + 1);
    expect(await p.evaluate('document.cookie')).not.toContain('sms_self=');

    // Switch off: the same effect and trail as `CLIENT sms stop`.
    const before = h.sim.modem.sent.length;
    await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Turn them off' }).click()]);
    await p.getByText('SMS notifications and mass texts are OFF for this number.').waitFor();
    await p.getByText('Done: notifications and mass texts are turned off.', { exact: false }).waitFor();
    expect(await isOptedOut(h.server!.store, SUB)).toBe(true);
    const confirm = await sentCount(h, before + 1, 'the sms stop confirmation', 45_000);
    expect(confirm[before]).toMatchObject({ to: SUB, text: SMS_STOP });

    // A following mass text skips the number.
    const campaign = await createCampaign(h.server!.store, { text: 'Sale: 20% off this weekend', fileText: `${SUB}\n${OTHER}\n` }, { country: 'RU' });
    expect(campaign).toMatchObject({ enqueued: 1, skippedOptOut: 1 });
    h.server!.pool.kick();
    await waitFor(() => h!.sim.modem.sent.find((s) => s.to === OTHER && s.text === 'Sale: 20% off this weekend'), 'the mass text to the other number', 45_000);
    expect(h.sim.modem.sent.filter((s) => s.to === SUB && s.text.startsWith('Sale'))).toEqual([]);

    // Log out: back to the login form; the old cookie no longer opens the account.
    await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: 'Log out' }).click()]);
    await p.getByText('You are logged out.').waitFor();
    expect((await context.cookies(url)).find((c) => c.name === 'sms_self')).toBeUndefined();

    // Three wrong codes: the lock, shown with its end; even the right code is refused then.
    await logIn(p, SUB, wrongCode);
    await p.getByText('Attempts left: 2.', { exact: false }).waitFor();
    await logIn(p, SUB, wrongCode);
    await p.getByText('Attempts left: 1.', { exact: false }).waitFor();
    await logIn(p, SUB, wrongCode);
    const lockedText = await p.locator('#notice').textContent();
    expect(lockedText).toMatch(/^Too many wrong codes: access is locked until \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    await logIn(p, SUB, code!);
    await p.getByText('Too many wrong codes', { exact: false }).waitFor();
    expect(await p.locator('#login-form').count()).toBe(1);
    const record = await h.server!.store.getSelfService(SUB);
    expect(Date.parse(record!.lockedUntil!)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    // Nothing refused by the Content-Security-Policy (script, styles, the captcha workers) or thrown;
    // Chromium reports each answer with an error status (the 401/423 pages above) as a console error.
    expect(consoleErrors.filter((e) => !/^Failed to load resource: the server responded with a status of (401|423) /.test(e))).toEqual([]);
    expect(consoleErrors).toHaveLength(5);
  });
});
