/**
 * Debian's Kannel (bearerbox + smsbox) as an independent SMPP client: an `smsc = smpp` group bound
 * as a transceiver to our listener, smsbox's sendsms HTTP interface, and a small HTTP server that
 * records what smsbox hands on (MO SMS to its sms-service, delivery reports to a dlr-url).
 * Used by test/smpp/kannel.test.ts (the listener alone) and test/e2e/smpp-kannel.test.ts (serve).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BEARERBOX = '/usr/sbin/bearerbox';
const SMSBOX = '/usr/sbin/smsbox';
export const haveKannel = existsSync(BEARERBOX) && existsSync(SMSBOX);

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

export interface Hit {
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
export function moText(h: Hit): string {
  const charset = h.q.get('charset') ?? '';
  return /UTF-16/i.test(charset) ? Buffer.from(h.textOctets!).swap16().toString('utf16le') : h.textOctets!.toString('utf8');
}

export interface Kannel {
  hits: Hit[];
  httpPort: number;
  /** smsbox's sendsms; resolves with `<status> <body>`. */
  sendsms(params: Record<string, string>): Promise<string>;
  /** A dlr-url for sendsms that reports back to `hits` under `/dlr?n=<name>`. */
  dlrUrl(name: string): string;
  stop(): Promise<void>;
}

/** Starts bearerbox bound to `smscPort` as `username`/`password`, then smsbox; resolves once sendsms answers. */
export async function startKannel(o: { smscPort: number; username: string; password: string; until: (f: () => unknown, what: string, ms: number) => Promise<unknown> }): Promise<Kannel> {
  const hits: Hit[] = [];
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sms-kannel-'));
  const http: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    hits.push({ path: u.pathname, q: u.searchParams, textOctets: rawParam(req.url ?? '', 'text') });
    res.end('');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const httpPort = (http.address() as AddressInfo).port;
  const [admin, box, sendsmsPort] = [await freePort(), await freePort(), await freePort()];
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
port = ${o.smscPort}
transceiver-mode = true
smsc-username = ${o.username}
smsc-password = ${o.password}
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
  // smsbox's HTTP interface comes up once it has connected to bearerbox.
  await o.until(async () => fetch(`http://127.0.0.1:${sendsmsPort}/`).then(() => true, () => false), 'smsbox sendsms port', 30_000);
  return {
    hits,
    httpPort,
    sendsms: async (params) => {
      const q = new URLSearchParams({ username: 'u', password: 'p', from: '12345', ...params });
      const r = await fetch(`http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms?${q}`);
      return `${r.status} ${await r.text()}`;
    },
    dlrUrl: (n) => `http://127.0.0.1:${httpPort}/dlr?n=${n}&type=%d&reply=%A`,
    stop: async () => {
      for (const p of procs.reverse()) {
        p.kill('SIGTERM');
        await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
      }
      await new Promise((r) => http.close(r));
      if (process.env.KEEP_KANNEL_LOGS === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
