/**
 * The chat page in headless Chromium against the whole server: the simulated modem on a real
 * pseudo-terminal (serialport → AT engine → driver), the store on disk, the queue worker, the
 * inbound pipeline with the chat route, and the public web listener. The visitor types and
 * sends; the modem receives the SMS (AT+CMGS); the mobile's reply is injected into the modem and
 * must appear on the page without a reload.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sharedBrowser } from '../helpers/browser.js';
import { startHarness, waitFor, type Harness, type HarnessConfig } from '../helpers/harness.js';

const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '../../docs/img/chat.png');
const { missing, browser } = sharedBrowser();

let h: Harness | undefined;
let page: Page | undefined;
/** Console errors of the page (a CSP violation is reported there). */
let consoleErrors: string[] = [];

afterEach(async () => {
  await page?.context().close();
  page = undefined;
  await h?.close();
  h = undefined;
});

async function start(config: HarnessConfig = {}): Promise<{ url: string }> {
  const port = await freePort();
  h = await startHarness({
    config: { language: 'es', ...config, web: { enabled: true, port, ...config.web }, chat: { captchaDifficulty: 5000, ...config.chat } },
  });
  const context = await browser().newContext({ viewport: { width: 480, height: 900 }, locale: 'es-ES', timezoneId: 'UTC' });
  page = await context.newPage();
  consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`);
  });
  return { url: `http://127.0.0.1:${port}/chat` };
}

/** Fill the form and send, once the captcha is solved (the button is enabled then). */
async function send(p: Page, name: string, to: string, text: string): Promise<void> {
  await p.getByLabel('Tu nombre').fill(name);
  await p.getByLabel('Número móvil').fill(to);
  await p.getByLabel('Escribe tu mensaje').fill(text);
  await p.getByRole('button', { name: 'Enviar mensaje' }).click({ timeout: 60_000 });
  await p.getByText('Mensaje en cola.').waitFor();
}

const conversation = (p: Page, mobile: string) => p.locator(`article.conversation[data-mobile="${mobile}"]`);

function sentTo(to: string, text: string) {
  return waitFor(() => h!.sim.modem.sent.find((s) => s.to === to && s.text === text), `AT+CMGS of "${text}" to ${to}`, 30_000);
}

describe.skipIf(!!missing)(`chat page in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('type and send → the modem gets the SMS with the name; replies appear live; two conversations; HTML stays text', async () => {
    // The real proof of work at its default difficulty: the browser solves it with Web Crypto.
    const { url } = await start({ chat: { captchaDifficulty: 50_000 } });
    const p = page!;
    await p.goto(url);
    expect(await p.locator('html').getAttribute('lang')).toBe('es');
    await p.getByText('Listo: puedes enviar.').waitFor({ timeout: 60_000 });

    // Live counter.
    await p.getByLabel('Escribe tu mensaje').fill('Hola');
    await expect.poll(() => p.locator('#counter').textContent()).toBe('4 / 150');

    await send(p, 'Ana', '8 900 123-45-67', 'Hola, ¿cómo estás?');
    await sentTo('+79001234567', 'Ana (web): Hola, ¿cómo estás?');
    const first = conversation(p, '+79001234567');
    await first.locator('.msg.out .text', { hasText: 'Hola, ¿cómo estás?' }).waitFor();
    await first.locator('.msg.out[data-state="sent"]').waitFor();

    // The mobile answers: the reply shows up in the conversation without a reload.
    h!.sim.modem.injectSms('+79001234567', 'Bien, gracias. ¿Y tú?');
    const reply = first.locator('.msg.in');
    await reply.locator('.text', { hasText: 'Bien, gracias. ¿Y tú?' }).waitFor({ timeout: 30_000 });
    expect(await reply.locator('.from').textContent()).toBe('Desde: +79001234567');
    expect(await reply.locator('.to').textContent()).toBe('Para: Ana');

    // A second conversation at the same time; each reply lands in its own.
    await send(p, 'Ana', '+7 900 555-00-11', 'Nos vemos a las <b>8</b>');
    await sentTo('+79005550011', 'Ana (web): Nos vemos a las <b>8</b>');
    h!.sim.modem.injectSms('+79005550011', '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>vale');
    const second = conversation(p, '+79005550011');
    await second.locator('.msg.in').waitFor({ timeout: 30_000 });
    h!.sim.modem.injectSms('+79001234567', 'Hasta luego');
    await first.locator('.msg.in .text', { hasText: 'Hasta luego' }).waitFor({ timeout: 30_000 });
    expect(await p.locator('article.conversation').count()).toBe(2);
    expect(await first.locator('.msg').count()).toBe(3);
    expect(await second.locator('.msg').count()).toBe(2);

    // HTML in either direction is shown as text, never parsed.
    expect(await second.locator('.msg.out .text').textContent()).toBe('Nos vemos a las <b>8</b>');
    expect(await second.locator('.msg.in .text').textContent()).toBe('<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>vale');
    expect(await p.locator('#conversations img, #conversations script, #conversations b').count()).toBe(0);
    expect(await p.title()).toBe('Enviar un SMS');

    // The replies were routed to the chat in the inbox.
    const routed = (await h!.server!.store.listInbound()).filter((e) => e.routedBy === 'chat');
    expect(routed).toHaveLength(3);
    expect(routed.every((e) => typeof e.route?.conversationId === 'string')).toBe(true);

    // Settle the delivery states, then the README screenshot.
    await second.locator('.msg.out[data-state="sent"]').waitFor();
    await p.getByLabel('Tu nombre').fill('Ana');
    await p.getByLabel('Número móvil').fill('+7 900 123-45-67');
    await p.getByLabel('Escribe tu mensaje').fill('¿Quedamos mañana?');
    await p.getByText('Listo: puedes enviar.').waitFor({ timeout: 60_000 });
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await p.screenshot({ path: SCREENSHOT, fullPage: true });
    // Nothing was refused by the Content-Security-Policy (scripts, styles, the captcha workers) or thrown.
    expect(consoleErrors).toEqual([]);
  });

  it('a short session ends on screen; a later reply stays in the inbox through the other routes', async () => {
    const { url } = await start({ chat: { sessionMinutes: 0.1 } }); // 6 s
    const p = page!;
    await p.goto(url);
    await p.getByText('Listo: puedes enviar.').waitFor({ timeout: 60_000 });
    await send(p, 'Luis', '+79001112233', 'Hola');
    await sentTo('+79001112233', 'Luis (web): Hola');
    await p.getByText('La sesión finalizó: las respuestas que lleguen después no se mostrarán aquí.').waitFor({ timeout: 30_000 });
    expect(await p.getByRole('button', { name: 'Enviar mensaje' }).isDisabled()).toBe(true);

    h!.sim.modem.injectSms('+79001112233', 'Perdona, llego tarde');
    const entry = await waitFor(
      async () => (await h!.server!.store.listInbound()).find((e) => e.text === 'Perdona, llego tarde' && e.routedBy !== undefined),
      'the late reply routed',
      30_000,
    );
    expect(entry.routedBy).not.toBe('chat');
    expect(entry.status).toBe('ignored'); // kept in the inbox (no other route takes it yet)
    expect(await p.locator('.msg.in').count()).toBe(0);

    // A new session can start from the page.
    await p.getByRole('button', { name: 'Iniciar una sesión nueva' }).click();
    await p.locator('#ended').waitFor({ state: 'hidden' });
    await expect.poll(() => p.getByRole('button', { name: 'Enviar mensaje' }).isEnabled(), { timeout: 60_000 }).toBe(true);
  });

  it('a server restart keeps the live conversation: the page reconnects and shows the next reply', async () => {
    const { url } = await start();
    const p = page!;
    await p.goto(url);
    await p.getByText('Listo: puedes enviar.').waitFor({ timeout: 60_000 });
    await send(p, 'Eva', '+79002223344', 'Antes del reinicio');
    await sentTo('+79002223344', 'Eva (web): Antes del reinicio');
    await h!.restartServer();
    await waitFor(() => h!.server?.supervisor.state === 'ready', 'modem ready after restart');
    h!.sim.modem.injectSms('+79002223344', 'Después del reinicio');
    await conversation(p, '+79002223344').locator('.msg.in .text', { hasText: 'Después del reinicio' }).waitFor({ timeout: 30_000 });
    expect(await p.locator('.msg').count()).toBe(2); // resumed with Last-Event-ID: nothing shown twice
  });
});
