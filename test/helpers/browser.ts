/**
 * Headless Chromium for browser tests: Debian's `chromium` driven by playwright-core (no browser
 * download: `npx playwright install` cannot reach its CDN here). The flags keep it from calling
 * out to Google services on a closed network (without them it floods it with refused connections).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A port free right now on 127.0.0.1 (the web listener is configured with it before it starts). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * One Chromium for the calling test file, launched before its tests and closed after. `missing`
 * says why the file's tests must skip; in CI a missing browser fails the file instead.
 */
export function sharedBrowser(): { missing: string | undefined; browser: () => Browser } {
  const missing = browserMissing();
  if (missing && process.env.CI) throw new Error(`browser tests must run in CI: ${missing}`);
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!missing) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return { missing, browser: () => browser! };
}
