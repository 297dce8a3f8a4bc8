/**
 * Server-Sent Events on a Fastify reply: `text/event-stream`, one JSON `data:` line per event with
 * its `id:` (the browser sends it back as `Last-Event-ID` when it reconnects), a comment line as a
 * heartbeat (proxies close idle connections: nginx after 60 s by default), and `X-Accel-Buffering:
 * no` so nginx passes events through at once.
 *
 * Browsers allow 6 connections per site over HTTP/1.1, so a feature should keep one stream per
 * visitor. Open streams are tracked by the registry, which ends them when the server closes
 * (otherwise `close()` would wait for every visitor to leave).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { realClock, type Clock, type Timer } from '../util/clock.js';

export interface SseEvent {
  id?: number | string;
  event?: string;
  data: unknown;
}

export interface SseStream {
  send(ev: SseEvent): void;
  /** Ends the response (the browser will reconnect unless told otherwise by the feature). */
  close(): void;
  readonly closed: boolean;
  /** Called once when the stream ends, by either side. */
  onClose(fn: () => void): void;
}

export interface SseOptions {
  /** Comment line interval (default 15 s). */
  heartbeatMs?: number;
  /** Reconnect delay suggested to the browser (default 2 s). */
  retryMs?: number;
  clock?: Clock;
}

/** The id a reconnecting client last saw: the `Last-Event-ID` header, else `?lastEventId=`. */
export function lastEventId(req: FastifyRequest): string | undefined {
  const h = req.headers['last-event-id'];
  if (typeof h === 'string' && h !== '') return h;
  const q = (req.query as Record<string, unknown> | undefined)?.lastEventId;
  return typeof q === 'string' && q !== '' ? q : undefined;
}

export class SseRegistry {
  private readonly open = new Set<SseStream>();

  /** Takes over the reply and starts an event stream on it. */
  start(req: FastifyRequest, reply: FastifyReply, o: SseOptions = {}): SseStream {
    const clock = o.clock ?? realClock;
    const heartbeatMs = o.heartbeatMs ?? 15_000;
    reply.hijack();
    const raw = reply.raw;
    // Hooks' headers (security headers) were set on the reply, not yet on the raw response.
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) raw.setHeader(k, v as string);
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    raw.write(`retry: ${o.retryMs ?? 2000}\n\n`);
    let closed = false;
    let timer: Timer | undefined;
    const closers: (() => void)[] = [];
    const beat = () => {
      timer = clock.setTimeout(() => {
        if (closed) return;
        raw.write(': ping\n\n');
        beat();
      }, heartbeatMs);
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      if (timer) clock.clearTimeout(timer);
      this.open.delete(stream);
      for (const fn of closers) fn();
    };
    const stream: SseStream = {
      send(ev) {
        if (closed) return;
        let out = '';
        if (ev.id !== undefined) out += `id: ${String(ev.id).replace(/[\r\n]/g, '')}\n`;
        if (ev.event) out += `event: ${ev.event.replace(/[\r\n]/g, '')}\n`;
        // JSON.stringify never emits a raw line break, so one data line carries the whole event.
        out += `data: ${JSON.stringify(ev.data)}\n\n`;
        raw.write(out);
      },
      close() {
        if (closed) return;
        finish();
        raw.end();
      },
      get closed() {
        return closed;
      },
      onClose(fn) {
        if (closed) fn();
        else closers.push(fn);
      },
    };
    req.raw.on('close', finish);
    raw.on('close', finish);
    this.open.add(stream);
    beat();
    return stream;
  }

  get size(): number {
    return this.open.size;
  }

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const s of [...this.open]) s.close();
  }
}
