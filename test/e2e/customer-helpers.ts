/**
 * Shared steps of the customer-service end-to-end tests (issue #3): a harness with registered
 * clients, CLI operations handed to the running server through the spool (exactly as the
 * `sms-server send|mass` commands do), and waits on what the simulated modem saw.
 */
import { addClient } from '../../src/commands/index.js';
import { makeOps } from '../../src/daemon/ops.js';
import { LowdbStore, withStoreWriter, type InboxEntry } from '../../src/store/index.js';
import type { SentSms } from '../../src/sim/index.js';
import { loadOrCreateKey } from '../../src/util/secret.js';
import { startHarness, waitFor, type Harness, type HarnessOptions } from '../helpers/harness.js';

export const ACK = 'Your request has been received. Wait for notification of the request being processed.';
/** Seed 001's example client. */
export const IVANOV = { phone: '+79001234567', code: '1234', login: 'ivanov', password: '1a2b3c4d' };
export const IVANOV_INFO =
  "REGISTRATION CENTER. Personal Code: 1234. CLIENT'S PORTAL: login: ivanov, password: 1a2b3c4d. Do not share your registration data with anyone.";
export const SMS_STOP = 'SMS notifications and mass texts are turned off for your number. To turn them back on, text CLIENT sms start.';
export const SMS_START = 'SMS notifications and mass texts are turned on for your number. To turn them off, text CLIENT sms stop.';

export interface ClientSpec {
  phone: string;
  code: string;
  login: string;
  password: string;
}

/** Harness whose data folder already holds `clients` (written before the server takes the lock), server ready. */
export async function startWithClients(clients: ClientSpec[], o: Omit<HarnessOptions, 'startServer'> = {}): Promise<Harness> {
  const h = await startHarness({ ...o, startServer: false });
  const store = new LowdbStore(h.dataDir);
  await store.open();
  const key = loadOrCreateKey({ dataDir: h.dataDir });
  for (const c of clients) await addClient(store, c, key, { country: 'RU' });
  await store.close();
  await h.startServer();
  await waitFor(() => h.server?.supervisor.state === 'ready', 'modem ready');
  return h;
}

/** A CLI operation (`send`, `mass`, `clients.add`) through the spool of the running server. */
export async function cliOp<R>(h: Pick<Harness, 'dataDir'>, op: string, args: unknown): Promise<R> {
  const ops = makeOps({ dataDir: h.dataDir, phoneRule: { country: 'RU' }, key: loadOrCreateKey({ dataDir: h.dataDir }) });
  const r = await withStoreWriter<R>(h.dataDir, op, args, ops as never, { timeoutMs: 20_000 });
  if (r.via !== 'server') throw new Error(`expected the running server to apply "${op}", it ran ${r.via}`);
  return r.result;
}

/** Wait until the modem has accepted at least `n` SUBMIT parts in total. */
export function sentCount(h: Harness, n: number, what = `${n} sent SMS`, timeoutMs?: number): Promise<SentSms[]> {
  return waitFor(() => (h.sim.modem.sent.length >= n ? h.sim.modem.sent.slice() : undefined), what, timeoutMs);
}

/** Inject `text` from `from` and wait for exactly one reply, to `from`; answers its text. */
export async function replyTo(h: Harness, from: string, text: string, timeoutMs = 45_000): Promise<string> {
  const before = h.sim.modem.sent.length;
  h.sim.modem.injectSms(from, text);
  const sent = await sentCount(h, before + 1, `reply to ${JSON.stringify(text)}`, timeoutMs);
  if (sent[before]!.to !== from) throw new Error(`the reply to ${JSON.stringify(text)} went to ${sent[before]!.to}, not ${from}`);
  return sent[before]!.text;
}

/** The inbox as the server holds it, newest first. */
export function inbox(h: Harness): Promise<InboxEntry[]> {
  return h.server!.store.listInbound();
}

/** Wait for an inbox entry matching `pred` whose status is no longer 'new' (the command step ran). */
export function settledEntry(h: Harness, pred: (e: InboxEntry) => boolean, what: string): Promise<InboxEntry> {
  return waitFor(async () => (await inbox(h)).find((e) => pred(e) && e.status !== 'new'), what);
}

/** Wait until the SIM holds no stored message (everything read, stored and deleted). */
export function simEmpty(h: Harness): Promise<boolean> {
  return waitFor(() => h.sim.modem.storage('SM').length === 0, 'SIM storage emptied');
}

/**
 * A barrier for "no reply" assertions: a registered client's CLIENT info, injected after the
 * request under test, is answered (two parts) — the inbound path is serial and replies are FIFO,
 * so anything the earlier request would have sent is on the wire by then.
 */
export async function barrier(h: Harness, marker: string): Promise<SentSms[]> {
  const before = h.sim.modem.sent.length;
  h.sim.modem.injectSms(IVANOV.phone, distinctCase(h, marker));
  return sentCount(h, before + 2, `barrier replies to "${marker}"`, 45_000);
}

const barriersSent = new WeakMap<Harness, number>();
/**
 * `marker` with its letters' case flipped by a per-harness counter: commands are case-blind, while
 * the same text from the same sender in the same SMSC second is a duplicate the server drops.
 */
function distinctCase(h: Harness, marker: string): string {
  const n = barriersSent.get(h) ?? 0;
  barriersSent.set(h, n + 1);
  let bit = 0;
  return marker.replace(/[a-z]/gi, (c) => ((n >> bit++) & 1 ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c));
}
