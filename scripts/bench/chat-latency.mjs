#!/usr/bin/env node
/**
 * Web-chat latency benchmark (issue 12): prints figures, asserts nothing.
 *
 *   npm run build && node scripts/bench/chat-latency.mjs [--runs 20] [--send-delay 0] [--difficulty 50000]
 *
 * The real server (startServer) with the public web listener, on the simulated modem behind a real
 * pseudo-terminal, and the chat page in headless Chromium (Debian's chromium, playwright-core).
 * Per run, with the captcha already solved (the page solves it in the background):
 *   1. click → AT+CMGS: from the click event on "Send" in the page (its event time) to the modem
 *      accepting the SMS (the simulator's `sent` event); the automation's own delay before the
 *      click is dispatched is not counted;
 *   2. reply → shown: from injecting the mobile's answer into the modem (+CMTI) to the answer's
 *      element appearing on the page (a MutationObserver in the page stamps it; same host clock).
 * Also: the proof-of-work time in the browser at --difficulty (what a visitor waits once per send).
 * --send-delay adds simulated network time per AT+CMGS (real networks: 2–10 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { num, parseArgs } from './lib/args.mjs';
import { dist } from './lib/env.mjs';
import { fmt, pct, waitUntil } from './lib/stats.mjs';

const { startSimulatorOnPty } = await dist('sim/index.js');
const { startServer } = await dist('daemon/server.js');
const { loadConfig } = await dist('config/config.js');
const { createLogger } = await dist('util/log.js');

const args = parseArgs();
const runs = num(args.runs, 20);
const sendDelayMs = num(args['send-delay'], 0);
const difficulty = num(args.difficulty, 50_000);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-bench-chat-'));
const device = path.join(dataDir, 'modem');
const sim = await startSimulatorOnPty({ link: device, profile: 'generic', sendDelayMs });
const base = loadConfig({ dataDir });
const cfg = {
  ...base,
  device,
  profile: 'generic',
  language: 'en',
  queue: { ...base.queue, dailyCap: 1_000_000 },
  web: { ...base.web, enabled: true, port: 0 },
  chat: {
    ...base.chat,
    captchaDifficulty: difficulty,
    sessionMinutes: 60,
    limits: { ...base.chat.limits, perIpPerHour: 10_000, perDestinationPerDay: 10_000, perPrefixPerHour: 10_000, conversationsPerSession: 100 },
  },
};
const server = await startServer(cfg, createLogger('silent'));
await waitUntil(() => server.supervisor.state === 'ready', 'the modem ready', 20_000);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.web.port}/chat`);
// Stamps in epoch ms of this host's clock (timeOrigin + performance.now(), in the page and here):
// clicks, answers appearing, captcha state changes.
const epochNow = () => performance.timeOrigin + performance.now();
await page.evaluate(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__shown = {};
  window.__captcha = [];
  window.__clicks = [];
  document.getElementById('send-button').addEventListener('click', (e) => window.__clicks.push(performance.timeOrigin + e.timeStamp), { capture: true });
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('.msg.in .text')) window.__shown[el.textContent] ??= now();
  }).observe(document.getElementById('conversations'), { childList: true, subtree: true, characterData: true });
  const cs = document.getElementById('captcha-state');
  new MutationObserver(() => window.__captcha.push([now(), cs.textContent])).observe(cs, { childList: true, characterData: true, subtree: true });
});

const sendButton = page.getByRole('button', { name: 'Send message' });
const clickMs = [];
const replyMs = [];
const stamp = Date.UTC(2026, 10, 21, 10, 0, 0);
await page.getByLabel('Your name').fill('Bench');
for (let i = 0; i < runs; i++) {
  const mobile = `+7900${String(10_000_000 + i).slice(1)}`;
  const text = `bench message ${i}`;
  await page.getByLabel('Mobile number').fill(mobile);
  await page.getByLabel('Your message').fill(text);
  await page.waitForFunction(() => !document.getElementById('send-button').disabled, null, { timeout: 120_000 });
  const sent = new Promise((resolve, reject) => {
    const timer = setTimeout(async () => reject(new Error(`run ${i}: no AT+CMGS within 30 s; page says: ${await page.locator('#form-error').textContent()}`)), 30_000);
    const onSent = (rec) => {
      if (rec.text === `Bench (web): ${text}`) {
        sim.modem.off('sent', onSent);
        clearTimeout(timer);
        resolve(epochNow());
      }
    };
    sim.modem.on('sent', onSent);
  });
  await sendButton.click();
  const sentAt = await sent;
  const clickAt = await page.evaluate((k) => window.__clicks[k], i);
  clickMs.push(sentAt - clickAt);

  const answer = `answer ${i}`;
  const injectAt = epochNow();
  sim.modem.injectSms(mobile, answer, { timestamp: new Date(stamp + i * 1000) });
  const shownAt = await page.waitForFunction((a) => window.__shown[a], answer, { timeout: 30_000 }).then((h) => h.jsonValue());
  replyMs.push(shownAt - injectAt);
}
// Captcha solve times: each "working" → "done" pair.
const captchaMs = [];
const events = await page.evaluate(() => window.__captcha);
for (let k = 1; k < events.length; k++) {
  if (events[k][1].startsWith('Done') && events[k - 1][1].startsWith('Checking')) captchaMs.push(events[k][0] - events[k - 1][0]);
}

const chromiumVersion = browser.version();
await browser.close();
await server.stop();
await sim.close();
rmSync(dataDir, { recursive: true, force: true });

const line = (xs) => `p50 ${fmt(pct(xs, 0.5))} ms, p95 ${fmt(pct(xs, 0.95))} ms, min ${fmt(Math.min(...xs))} ms, max ${fmt(Math.max(...xs))} ms`;
console.log(`chat latency: ${runs} messages, simulated send delay ${sendDelayMs} ms, node ${process.version}, Chromium ${chromiumVersion}`);
console.log(`  click → AT+CMGS accepted by the modem:  ${line(clickMs)}`);
console.log(`  injected reply → shown on the page:     ${line(replyMs)}`);
if (captchaMs.length) console.log(`  captcha proof of work in the browser (difficulty ${difficulty}): ${line(captchaMs)} (n=${captchaMs.length})`);
