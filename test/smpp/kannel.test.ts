/**
 * An independent SMPP client: Debian's Kannel. bearerbox binds an `smsc = smpp` group (transceiver)
 * to our listener on loopback; smsbox gives it an HTTP sendsms interface and hands inbound SMS and
 * delivery reports to a small HTTP server in this test. Kannel does its own GSM/UCS2 coding,
 * splitting into UDH parts and receipt parsing, so this checks our wire format against code we did
 * not write. Skipped with a reason when Kannel is not installed (`apt-get install kannel`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmsc, until, type TestSmsc } from './helpers.js';

const BEARERBOX = '/usr/sbin/bearerbox';
const SMSBOX = '/usr/sbin/smsbox';
const haveKannel = existsSync(BEARERBOX) && existsSync(SMSBOX);

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

interface Hit {
  path: string;
  q: URLSearchParams;
  /** The `text` parameter as octets: smsbox passes a UCS2 message's text as raw UTF-16BE (%C says so). */
  textOctets?: Buffer;
}

function rawParam(url: string, name: string): Buffer | undefined {
  const m = new RegExp(`[?&]${name}=([^&]*)`).exec(url);
  if (!m) return undefined;
  const s = m[1]!.replace(/\+/g, ' ');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i));
  }
  return Buffer.from(out);
}

/** The MO text as smsbox gives it: UTF-16BE octets for UCS2, else UTF-8. */
function moText(h: Hit): string {
  const charset = h.q.get('charset') ?? '';
  return /UTF-16/i.test(charset) ? Buffer.from(h.textOctets!).swap16().toString('utf16le') : h.textOctets!.toString('utf8');
}

describe.skipIf(!haveKannel)('Kannel bearerbox + smsbox as the SMPP client (skipped when Debian kannel is not installed)', () => {
  let smsc: TestSmsc;
  let dir: string;
  let http: Server;
  const hits: Hit[] = [];
  const procs: ChildProcess[] = [];
  let sendsmsPort = 0;

  beforeAll(async () => {
    smsc = await startSmsc({ passwords: { kannel: 'k4nnel' } });
    dir = mkdtempSync(join(tmpdir(), 'sms-kannel-'));
    http = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      hits.push({ path: u.pathname, q: u.searchParams, textOctets: rawParam(req.url ?? '', 'text') });
      res.end('');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const httpPort = (http.address() as AddressInfo).port;
    const [admin, box] = [await freePort(), await freePort()];
    sendsmsPort = await freePort();
    const conf = `
group = core
admin-port = ${admin}
admin-password = adm
smsbox-port = ${box}
box-allow-ip = 127.0.0.1
log-file = "${dir}/bearerbox.log"
log-level = 0
store-type = file
store-location = "${dir}/store"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = ours
host = 127.0.0.1
port = ${smsc.port}
transceiver-mode = true
smsc-username = kannel
smsc-password = k4nnel
system-type = ""
enquire-link-interval = 30
reconnect-delay = 1
log-file = "${dir}/smsc.log"
log-level = 0

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${box}
sendsms-port = ${sendsmsPort}
sendsms-interface = 127.0.0.1
log-file = "${dir}/smsbox.log"
log-level = 0

group = sendsms-user
username = u
password = p
max-messages = 5
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://127.0.0.1:${httpPort}/mo?from=%p&to=%P&text=%a&coding=%c&charset=%C"
`;
    writeFileSync(join(dir, 'kannel.conf'), conf);
    for (const bin of [BEARERBOX, SMSBOX]) {
      const p = spawn(bin, [join(dir, 'kannel.conf')], { stdio: 'ignore' });
      procs.push(p);
      if (bin === BEARERBOX) await new Promise((r) => setTimeout(r, 500));
    }
    await until(() => smsc.server.sessions('kannel').length > 0, 'Kannel to bind', 20_000);
    // smsbox's HTTP interface comes up once it has connected to bearerbox.
    await until(async () => fetch(`http://127.0.0.1:${sendsmsPort}/`).then(() => true, () => false), 'smsbox sendsms port', 20_000);
  }, 60_000);

  afterAll(async () => {
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
    }
    await smsc?.stop();
    await new Promise((r) => http?.close(r));
    if (dir && process.env.KEEP_KANNEL_LOGS === undefined) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function sendsms(params: Record<string, string>): Promise<string> {
    const q = new URLSearchParams({ username: 'u', password: 'p', from: '12345', ...params });
    const r = await fetch(`http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms?${q}`);
    return `${r.status} ${await r.text()}`;
  }

  it('submits GSM-7, UCS2 and a 3-part concatenated message that arrive as three jobs with the right text', async () => {
    const dlrUrl = (n: string) => `http://127.0.0.1:${(http.address() as AddressInfo).port}/dlr?n=${n}&type=%d&reply=%A`;
    expect(await sendsms({ to: '79001234567', text: 'Hello @ {Kannel} €5', 'dlr-mask': '3', 'dlr-url': dlrUrl('gsm') })).toMatch(/^202/);
    await until(() => smsc.submitter.submitted.length === 1, 'the GSM-7 job', 15_000);
    expect(await sendsms({ to: '+79001234568', text: 'Привет из Kannel 👋', charset: 'UTF-8', coding: '2' })).toMatch(/^202/);
    await until(() => smsc.submitter.submitted.length === 2, 'the UCS2 job', 15_000);
    const long = Array.from({ length: 55 }, (_, i) => `part${i}`).join(' ') + ' the end.'; // 384 GSM-7 characters: 3 parts of ≤ 153
    expect(await sendsms({ to: '79001234569', text: long })).toMatch(/^202/);
    await until(() => smsc.submitter.submitted.length === 3, 'the concatenated job', 15_000);
    const got = smsc.submitter.submitted.map((s) => ({ to: s.message.to, text: s.message.text, parts: s.message.parts, rd: s.message.registeredDelivery }));
    // No `+`: Kannel sends TON 0 (unknown) and we keep the number as given; with `+` it sends TON 1.
    expect(got[0]).toMatchObject({ to: '79001234567', text: 'Hello @ {Kannel} €5', parts: 1, rd: 1 });
    expect(got[1]).toMatchObject({ to: '+79001234568', text: 'Привет из Kannel 👋', parts: 1 });
    expect(got[2]).toMatchObject({ to: '79001234569', text: long, parts: 3 });
  });

  it('delivers an inbound SMS (GSM-7 and UCS2) that smsbox hands to its sms-service', async () => {
    await smsc.queue.enqueue('kannel', { kind: 'sms', from: '+79005550001', to: '+79160000000', text: 'Inbound @ test', receivedAt: new Date().toISOString() });
    await smsc.queue.enqueue('kannel', { kind: 'sms', from: '+79005550002', to: '+79160000000', text: 'Входящее ✓', receivedAt: new Date().toISOString() });
    smsc.server.notify('kannel');
    const mo = await until(() => (hits.filter((h) => h.path === '/mo').length >= 2 ? hits.filter((h) => h.path === '/mo') : undefined), 'two MO requests', 15_000);
    const byFrom = new Map(mo.map((h) => [h.q.get('from'), h]));
    expect(moText(byFrom.get('+79005550001')!)).toBe('Inbound @ test');
    expect(byFrom.get('+79005550002')!.q.get('coding')).toBe('2');
    expect(moText(byFrom.get('+79005550002')!)).toBe('Входящее ✓');
    await until(() => smsc.queue.pending('kannel').length === 0, 'both acknowledged by Kannel');
  });

  it('hands our delivery receipt to the dlr-url of the message it belongs to', async () => {
    const job = smsc.submitter.submitted[0]!;
    await smsc.queue.enqueue('kannel', {
      kind: 'receipt',
      jobId: job.id,
      recipient: job.message.to,
      originator: job.message.from,
      state: 'delivered',
      submittedAt: new Date().toISOString(),
      doneAt: new Date().toISOString(),
      parts: 1,
      delivered: 1,
      error: 0,
      text: job.message.text,
    });
    smsc.server.notify('kannel');
    const dlr = await until(() => hits.find((h) => h.path === '/dlr' && h.q.get('n') === 'gsm' && h.q.get('type') === '1'), 'the delivered DLR callback', 15_000);
    expect(dlr.q.get('reply')).toMatch(new RegExp(`id:${job.id} .*stat:DELIVRD`));
  });
});
