/**
 * Hand-built SMPP octets and a frame reader over a plain socket: written from the SMPP 3.4 spec
 * (§3.2 header, §4 PDU bodies), not with the `smpp` package, so tests can send what no library
 * would (garbage, truncated bodies) and read exactly what the server wrote.
 */
import { connect, type Socket } from 'node:net';

export const CMD = {
  generic_nack: 0x80000000,
  bind_receiver: 0x01,
  bind_transmitter: 0x02,
  submit_sm: 0x04,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x05,
  deliver_sm_resp: 0x80000005,
  unbind: 0x06,
  unbind_resp: 0x80000006,
  bind_transceiver: 0x09,
  bind_transceiver_resp: 0x80000009,
  enquire_link: 0x15,
  enquire_link_resp: 0x80000015,
} as const;

export function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
}

export function pdu(commandId: number, seq: number, body: Buffer = Buffer.alloc(0), status = 0): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(commandId >>> 0, 4);
  head.writeUInt32BE(status, 8);
  head.writeUInt32BE(seq, 12);
  return Buffer.concat([head, body]);
}

export function bindBody(systemId: string, password: string): Buffer {
  return Buffer.concat([cstr(systemId), cstr(password), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')]);
}

export interface SubmitOpts {
  to: string;
  data: Buffer;
  dataCoding?: number;
  esmClass?: number;
  registeredDelivery?: number;
  tlvs?: Buffer;
  destTon?: number;
}

/** submit_sm body (§4.4.1): sm_length is one octet, so `data` ≤ 254 octets. */
export function submitBody(o: SubmitOpts): Buffer {
  return Buffer.concat([
    cstr(''), // service_type
    Buffer.from([1, 1]),
    cstr('12345'), // source_addr
    Buffer.from([o.destTon ?? 1, 1]),
    cstr(o.to),
    Buffer.from([o.esmClass ?? 0, 0, 0]), // esm_class, protocol_id, priority_flag
    cstr(''), // schedule_delivery_time
    cstr(''), // validity_period
    Buffer.from([o.registeredDelivery ?? 0, 0, o.dataCoding ?? 0, 0, o.data.length]),
    o.data,
    o.tlvs ?? Buffer.alloc(0),
  ]);
}

export function tlv(tag: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(tag, 0);
  h.writeUInt16BE(value.length, 2);
  return Buffer.concat([h, value]);
}

export interface Frame {
  length: number;
  id: number;
  status: number;
  seq: number;
  body: Buffer;
}

/** A socket that collects whole frames as they arrive. */
export class RawClient {
  readonly frames: Frame[] = [];
  private buf = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readUInt32BE(0) && this.buf.readUInt32BE(0) >= 16) {
        const n = this.buf.readUInt32BE(0);
        this.frames.push({ length: n, id: this.buf.readUInt32BE(4), status: this.buf.readUInt32BE(8), seq: this.buf.readUInt32BE(12), body: this.buf.subarray(16, n) });
        this.buf = this.buf.subarray(n);
      }
      this.flush();
    });
    socket.on('close', () => {
      this.closed = true;
      this.flush();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  private flush(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** Wait for a frame matching `pred` (consumed), failing after `ms`. */
  async next(pred: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.closed) throw new Error('connection closed while waiting for a frame');
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${ms} ms (have ${this.frames.map((f) => f.id.toString(16)).join(',')})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitClosed(ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error(`connection still open after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
