/**
 * Control interface of a running simulator: JSON lines over a unix socket (protocol in
 * CONTROL.md). Tests, benchmarks and the `sms-server simulate` operator use it to make the
 * "network" deliver SMS and calls, inspect what was sent, and inject faults.
 */
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { decodePdu } from '../sms/index.js';
import type { SimulatedModem } from './modem.js';
import { groupSent } from './sent.js';
import { mergePolicy, type RecipientForm } from './status-reports.js';
import { MEMORIES, type MemoryName, type StoredSlot } from './storage.js';

/** One request line: `{"cmd":"sms","from":"+79001234567","text":"CLIENT info"}`. */
export interface ControlRequest {
  cmd: string;
  [key: string]: unknown;
}

/** One reply line: `{"ok":true,…}` or `{"ok":false,"error":"…"}`. */
export type ControlReply = ({ ok: true } | { ok: false; error: string }) & Record<string, unknown>;

/** What the control interface acts on: the modem and (on a PTY) the device link. */
export interface ControlTarget {
  modem: SimulatedModem;
  /** Current device path, when on a PTY. */
  path?: () => string;
  unplug?: () => Promise<void>;
  replug?: () => Promise<void>;
}

export class ControlRequestError extends Error {
  readonly code = 'SIM_CONTROL_REQUEST';
}

function str(req: ControlRequest, key: string, required = true): string | undefined {
  const v = req[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || (required && v === '')) throw new ControlRequestError(`"${req.cmd}" needs a string "${key}"`);
  return v;
}

function num(req: ControlRequest, key: string, required = true): number | undefined {
  const v = req[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ControlRequestError(`"${req.cmd}" needs a number "${key}"`);
  return v;
}

function describeSlot(slot: StoredSlot): Record<string, unknown> {
  try {
    const d = decodePdu(slot.pdu);
    if (d.type === 'deliver') return { ...slot, from: d.sender, text: d.text, concat: d.concat };
    if (d.type === 'status-report') return { ...slot, type: d.type, mr: d.mr, recipient: d.recipient, status: d.status };
    return { ...slot, type: d.type };
  } catch {
    return { ...slot, undecodable: true };
  }
}

/** Execute one control request; never throws (errors become `{ok:false}`). */
export async function handleControlRequest(req: ControlRequest, target: ControlTarget): Promise<ControlReply> {
  const m = target.modem;
  try {
    switch (req.cmd) {
      case 'ping':
        return { ok: true };
      case 'sms': {
        const from = str(req, 'from')!;
        const text = str(req, 'text')!;
        const order = req.order;
        if (order !== undefined && !(Array.isArray(order) && order.every((x) => typeof x === 'number'))) {
          throw new ControlRequestError('"order" must be an array of part numbers, e.g. [3,1,2]');
        }
        const encoding = str(req, 'encoding', false);
        if (encoding !== undefined && !['gsm7', 'ucs2', '8bit'].includes(encoding)) throw new ControlRequestError(`unknown encoding "${encoding}"`);
        const refBits = num(req, 'refBits', false);
        if (refBits !== undefined && refBits !== 8 && refBits !== 16) throw new ControlRequestError('"refBits" must be 8 or 16');
        const ts = str(req, 'timestamp', false);
        const timestamp = ts === undefined ? undefined : new Date(ts);
        if (timestamp && Number.isNaN(timestamp.getTime())) throw new ControlRequestError(`bad timestamp "${ts}"`);
        const ref = num(req, 'ref', false);
        const indices = m.injectSms(from, text, {
          ...(order ? { order: order as number[] } : {}),
          ...(encoding ? { encoding: encoding as 'gsm7' | 'ucs2' | '8bit' } : {}),
          ...(ref !== undefined ? { ref } : {}),
          ...(refBits ? { refBits: refBits as 8 | 16 } : {}),
          ...(timestamp ? { timestamp } : {}),
        });
        return { ok: true, indices, heldBack: m.heldBack };
      }
      case 'pdu': {
        const memory = str(req, 'memory', false);
        if (memory !== undefined && !(MEMORIES as readonly string[]).includes(memory)) throw new ControlRequestError(`"memory" must be one of ${MEMORIES.join(', ')}, got "${memory}"`);
        return { ok: true, index: m.injectPdu(str(req, 'hex')!, memory ? { memory: memory as MemoryName } : {}) };
      }
      case 'call':
        m.injectCall(str(req, 'from')!);
        return { ok: true };
      case 'sent':
        return { ok: true, messages: groupSent(m.sent), ...(req.raw ? { parts: m.sent } : {}) };
      case 'clear-sent':
        m.sent.length = 0;
        return { ok: true };
      case 'storage': {
        const out: Record<string, unknown> = {};
        for (const mem of MEMORIES) out[mem] = m.storage(mem).map(describeSlot);
        return { ok: true, ...out, heldBack: m.heldBack };
      }
      case 'status':
        return { ok: true, profile: m.profile.name, path: target.path?.(), ringing: m.ringing, heldBack: m.heldBack, sent: m.sent.length, settings: m.state, reports: m.reportStats };
      case 'report':
        return report(req, m);
      case 'mr':
        m.setNextMr(num(req, 'next')!);
        return { ok: true };
      case 'boot':
        m.boot();
        return { ok: true };
      case 'unplug':
      case 'replug': {
        const fn = req.cmd === 'unplug' ? target.unplug : target.replug;
        if (!fn) throw new ControlRequestError(`"${req.cmd}" needs a simulator on a PTY`);
        await fn();
        return { ok: true, path: target.path?.() };
      }
      case 'fault':
        return await fault(req, target);
      default:
        throw new ControlRequestError(`unknown cmd "${String(req.cmd)}"`);
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/**
 * `report`: with `policy`, how the network answers future SUBMITs with TP-SRR; with `mr` + `to`,
 * one report now for any reference; with `sent` ("last" or an index into the sent list), one
 * report on a part the modem sent. Always answers the policy and the counters.
 */
function report(req: ControlRequest, m: SimulatedModem): ControlReply {
  const policy = req.policy;
  if (policy !== undefined) {
    if (!policy || typeof policy !== 'object' || Array.isArray(policy)) throw new ControlRequestError('"policy" must be an object, e.g. {"outcome":"failed","status":70}');
    m.reportPolicy = mergePolicy(m.reportPolicy, policy as Record<string, unknown>);
  }
  const form = str(req, 'recipientForm', false);
  if (form !== undefined && !['international', 'national', 'unknown'].includes(form)) throw new ControlRequestError(`"recipientForm" must be international, national or unknown, got "${form}"`);
  const status = num(req, 'status', false);
  const delayMs = num(req, 'delayMs', false);
  let target: { mr: number; to: string } | undefined;
  if (req.sent !== undefined) {
    const i = req.sent === 'last' ? m.sent.length - 1 : req.sent;
    const part = typeof i === 'number' && Number.isInteger(i) ? m.sent[i] : undefined;
    if (!part) throw new ControlRequestError(`"sent" must be "last" or an index 0..${m.sent.length - 1} of the sent list, got ${JSON.stringify(req.sent)}`);
    target = { mr: part.mr, to: part.to };
  } else if (req.mr !== undefined || req.to !== undefined) {
    target = { mr: num(req, 'mr')!, to: str(req, 'to')! };
  } else if (status !== undefined || delayMs !== undefined || form !== undefined) {
    throw new ControlRequestError('"status", "delayMs" and "recipientForm" need a report target: "mr" + "to", or "sent"');
  }
  const pdu = target
    ? m.injectStatusReport({ ...target, ...(status !== undefined ? { status } : {}), ...(delayMs !== undefined ? { delayMs } : {}), ...(form ? { recipientForm: form as RecipientForm } : {}) })
    : undefined;
  return { ok: true, ...(pdu ? { pdu, mr: target!.mr } : {}), policy: m.reportPolicy, stats: m.reportStats };
}

async function fault(req: ControlRequest, target: ControlTarget): Promise<ControlReply> {
  const f = target.modem.faults;
  const type = str(req, 'type')!;
  switch (type) {
    case 'hang':
      f.hang(num(req, 'ms', false));
      break;
    case 'hangOnNextSend':
      f.hangOnNextSend(num(req, 'ms')!);
      break;
    case 'cmsOnNextSend':
      f.cmsOnNextSend(num(req, 'code')!);
      break;
    case 'garbage':
      f.garbage(str(req, 'line', false));
      break;
    case 'noiseBurst':
      f.noiseBurst(num(req, 'n', false) ?? 5);
      break;
    case 'simFull':
      f.simFull();
      break;
    case 'dropNextCmti':
      f.dropNextCmti();
      break;
    case 'failNextDelete':
      f.failNextDelete();
      break;
    case 'stallNextDelete':
      f.stallNextDelete();
      break;
    case 'clear':
      f.clear();
      break;
    case 'unplug':
    case 'replug':
      return handleControlRequest({ cmd: type }, target);
    default:
      throw new ControlRequestError(`unknown fault type "${type}"`);
  }
  return { ok: true };
}

/** Serve the control protocol on a unix socket path (a stale socket file is replaced). */
export async function startControlServer(path: string, target: ControlTarget): Promise<{ path: string; close(): Promise<void> }> {
  if (existsSync(path)) unlinkSync(path);
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    let chain = Promise.resolve();
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        // Replies go out in request order even when one request (replug) takes a while.
        chain = chain.then(async () => {
          let reply: ControlReply;
          try {
            const req = JSON.parse(line) as unknown;
            if (!req || typeof req !== 'object' || typeof (req as ControlRequest).cmd !== 'string') {
              throw new ControlRequestError('request must be a JSON object with a string "cmd"');
            }
            reply = await handleControlRequest(req as ControlRequest, target);
          } catch (e) {
            reply = { ok: false, error: e instanceof SyntaxError ? `bad JSON: ${e.message}` : (e as Error).message };
          }
          if (!sock.destroyed) sock.write(JSON.stringify(reply) + '\n');
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Client for the control socket: one request at a time per line, replies matched in order. */
export class SimControlClient {
  private buf = '';
  private waiting: Array<{ resolve: (r: ControlReply) => void; reject: (e: Error) => void }> = [];

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d) => {
      this.buf += d.toString('utf8');
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.resolve(JSON.parse(line) as ControlReply);
      }
    });
    sock.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('simulator control socket closed'));
    });
    sock.on('error', () => undefined);
  }

  static connect(path: string): Promise<SimControlClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      sock.once('connect', () => resolve(new SimControlClient(sock)));
      sock.once('error', (e) => reject(new Error(`cannot connect to simulator control socket ${path}: ${e.message}`)));
    });
  }

  request(req: ControlRequest): Promise<ControlReply> {
    return new Promise((resolve, reject) => {
      if (this.sock.destroyed) return reject(new Error('simulator control socket closed'));
      this.waiting.push({ resolve, reject });
      this.sock.write(JSON.stringify(req) + '\n');
    });
  }

  close(): void {
    this.sock.end();
  }
}
