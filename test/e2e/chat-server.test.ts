/**
 * The public web listener in the whole server (simulated modem on a PTY): off unless
 * `web.enabled`; separate from the loopback API; `chat.captcha: "off"` warns at every start;
 * the chat's sessions and used captchas are files in the data folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { ChatClient } from '../web/chat-helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger('info', dest) };
}

describe('public web listener in the server', () => {
  it('is off by default', async () => {
    h = await startHarness();
    expect(h.server!.web).toBeUndefined();
    expect(h.server!.pipeline.names).toEqual(['command']);
  });

  it('serves the chat on its own port (not the API), the chat route after commands; captcha "off" warns at every start', async () => {
    const { lines, logger } = captureLogger();
    h = await startHarness({
      logger,
      config: { web: { enabled: true, port: 0 }, chat: { captcha: 'off' }, http: { enabled: true, port: 0, token: 'a-token-of-16-chars-or-more' } },
    });
    const port = h.server!.web!.port!;
    expect(port).not.toBe(h.server!.http!.port);
    expect(h.server!.pipeline.names).toEqual(['command', 'chat']);
    const warnings = () => lines.filter((l) => l.level === 40 && /chat\.captcha is "off"/.test(String(l.msg)));
    expect(warnings()).toHaveLength(1);

    const c = new ChatClient(`http://127.0.0.1:${port}`);
    expect((await c.session()).status).toBe(201);
    expect((await c.send({ name: 'Ana', to: '+79001234567', text: 'hola' }, null)).status).toBe(201);
    await waitFor(() => h!.sim.modem.sent.find((s) => s.text === 'Ana (web): hola'), 'the chat SMS on the modem');
    // The loopback API does not serve the chat, and the public listener does not serve the API.
    expect((await fetch(`http://127.0.0.1:${h.server!.http!.port}/chat`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/messages`, { method: 'POST' })).status).toBe(404);

    const sessions = readdirSync(join(h.dataDir, 'chat', 'sessions')).filter((f) => !f.startsWith('.'));
    expect(sessions).toEqual([`${c.cookie!.split('=')[1]!.split('.')[0]}.json`]);
    await h.restartServer();
    expect(warnings()).toHaveLength(2);
    // The session survived the restart (the new listener has a new ephemeral port).
    const after = new ChatClient(`http://127.0.0.1:${h.server!.web!.port!}`);
    after.cookie = c.cookie;
    expect((await after.request('GET', '/chat/api/conversations')).status).toBe(200);
  });

  it('with the captcha on, used challenges are recorded in the data folder', async () => {
    h = await startHarness({ config: { web: { enabled: true, port: 0 }, chat: { captchaDifficulty: 1000 } } });
    const c = new ChatClient(`http://127.0.0.1:${h.server!.web!.port!}`);
    await c.session();
    const captcha = await c.solvedCaptcha();
    expect((await c.send({}, captcha)).status).toBe(201);
    expect(existsSync(join(h.dataDir, 'chat', 'once.json'))).toBe(true);
    await h.restartServer();
    const again = new ChatClient(`http://127.0.0.1:${h.server!.web!.port!}`);
    await again.session();
    expect((await again.send({ to: '+79005550000' }, captcha)).body.error).toBe('captcha-used');
  });
});
