import { describe, expect, it } from 'vitest';
import { Receiver } from '../../src/inbound/receiver.js';
import { decodePdu, encodeDeliver, encodeSubmit } from '../../src/sms/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { statusReportPdu, ucs2DeliverPart, utf16be } from '../e2e/customer-pdus.js';

const HOUR = 3_600_000;
const FROM = '+79001234567';
const TS = new Date('2026-11-21T10:00:00Z');
/** 3 GSM-7 parts (153 septets each). */
const LONG = Array.from({ length: 16 }, (_, i) => `line ${String(i).padStart(2, '0')} of a long text.`).join(' ');

/** The receiver only reads now(). */
const newClock = () => new FakeClock(Date.parse('2026-11-21T10:00:05Z'));

function setup(o: { timeoutMs?: number; store?: MemoryStore } = {}) {
  const clock = newClock();
  const store = o.store ?? new MemoryStore({ clock });
  const rx = new Receiver(store, { multipartTimeoutMs: o.timeoutMs ?? 24 * HOUR, clock });
  return { clock, store, rx };
}

describe('Receiver: single messages', () => {
  it('stores a single SMS once; a re-read of the same PDU (failed delete) is a duplicate', async () => {
    const { store, rx } = setup();
    const [pdu] = encodeDeliver(FROM, 'CLIENT info', { timestamp: TS, smsc: '+79168999100' });
    const first = await rx.ingest(pdu!);
    expect(first).toMatchObject({ kind: 'stored', entry: { from: FROM, text: 'CLIENT info', status: 'new', parts: 1, encoding: 'gsm7' } });
    if (first.kind === 'stored') expect(first.entry.sentAt).toBe('2026-11-21T10:00:00+00:00');
    expect(await rx.ingest(pdu!)).toEqual({ kind: 'duplicate' });
    // Same sender, same second, different text: a different message, not a duplicate.
    const [other] = encodeDeliver(FROM, 'CLIENT sms stop', { timestamp: TS });
    expect((await rx.ingest(other!)).kind).toBe('stored');
    expect(await store.listInbound()).toHaveLength(2);
  });

  it('skips an SMS-SUBMIT found on the SIM and stores nothing', async () => {
    const { store, rx } = setup();
    const [part] = encodeSubmit(FROM, 'our own outgoing draft');
    const r = await rx.ingest(part!.hex);
    expect(r.kind).toBe('skip');
    expect(await store.listInbound()).toEqual([]);
  });

  it('hands a status report back without an inbox entry', async () => {
    const { store, rx } = setup();
    const r = await rx.ingest(statusReportPdu(42, FROM, 0x00));
    expect(r).toEqual({ kind: 'status-report', mr: 42, status: 0, delivered: true, recipient: FROM });
    const failed = await rx.ingest(statusReportPdu(43, FROM, 0x41));
    expect(failed).toMatchObject({ kind: 'status-report', mr: 43, status: 0x41, delivered: false });
    expect(await store.listInbound()).toEqual([]);
  });

  it('keeps an undecodable PDU raw with status error and the decoder message; a re-read is a duplicate', async () => {
    const { store, rx } = setup();
    // A valid header whose TP-UDL promises 160 septets that are not there.
    const good = encodeDeliver(FROM, 'hello', { timestamp: TS })[0]!;
    const truncated = good.slice(0, -8);
    const r = await rx.ingest(truncated);
    expect(r.kind).toBe('stored');
    if (r.kind !== 'stored') return;
    expect(r.entry).toMatchObject({ from: 'unknown', text: '', status: 'error', parts: 1, raw: [truncated] });
    expect(r.entry.error).toMatch(/UDL exceeds data/);
    expect(await rx.ingest(truncated)).toEqual({ kind: 'duplicate' });
    const garbage = await rx.ingest('ZZ-not-hex');
    expect(garbage).toMatchObject({ kind: 'stored', entry: { status: 'error', raw: ['ZZ-not-hex'] } });
    expect(await store.listInbound({ status: 'error' })).toHaveLength(2);
  });
});

describe('Receiver: multipart sets', () => {
  it('joins parts arriving out of order into one entry, with the raw PDUs in seq order', async () => {
    const { store, rx } = setup();
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 77 });
    expect(parts).toHaveLength(3);
    expect(await rx.ingest(parts[2]!)).toMatchObject({ kind: 'partial', have: 1, total: 3 });
    expect(await rx.ingest(parts[0]!)).toMatchObject({ kind: 'partial', have: 2, total: 3 });
    const done = await rx.ingest(parts[1]!);
    expect(done).toMatchObject({ kind: 'stored', entry: { text: LONG, parts: 3, from: FROM, status: 'new' } });
    if (done.kind === 'stored') {
      expect(done.entry.raw).toEqual(parts);
      expect(done.entry.incomplete).toBeUndefined();
    }
    expect(await store.listPartials()).toEqual([]);
    expect(await store.listInbound()).toHaveLength(1);
  });

  it('drops a duplicated part while the set is open (one copy of each seq is kept)', async () => {
    const { store, rx } = setup();
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 5 });
    await rx.ingest(parts[0]!);
    expect(await rx.ingest(parts[0]!)).toEqual({ kind: 'duplicate' });
    const [open] = await store.listPartials();
    expect(open!.parts.map((p) => p.seq)).toEqual([1]);
    await rx.ingest(parts[1]!);
    const done = await rx.ingest(parts[2]!);
    expect(done.kind).toBe('stored');
    if (done.kind === 'stored') expect(done.entry.raw).toHaveLength(3);
  });

  it('a part re-read after its set completed (failed delete) does not start a ghost set', async () => {
    const { store, rx } = setup();
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 9 });
    for (const p of parts) await rx.ingest(p);
    expect(await rx.ingest(parts[1]!)).toEqual({ kind: 'duplicate' });
    expect(await store.listPartials()).toEqual([]);
    // Also across a restart: the part keys are persisted, a fresh Receiver still knows them.
    const rx2 = new Receiver(store, { multipartTimeoutMs: 24 * HOUR });
    expect(await rx2.ingest(parts[2]!)).toEqual({ kind: 'duplicate' });
    expect(await store.listPartials()).toEqual([]);
    expect(await store.listInbound()).toHaveLength(1);
  });

  it('keeps sets apart by 16-bit reference: refs sharing their low byte are different messages', async () => {
    const { store, rx } = setup();
    const a = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 0x1234, refBits: 16 });
    const b = encodeDeliver(FROM, LONG.toUpperCase(), { timestamp: TS, ref: 0x0034, refBits: 16 });
    const c = encodeDeliver(FROM, LONG.replace(/line/g, 'LiNe'), { timestamp: TS, ref: 0x34, refBits: 8 });
    expect(decodePdu(a[0]!)).toMatchObject({ concat: { ref: 0x1234, refBits: 16 } });
    // Interleave the three sets part by part.
    for (let i = 0; i < 3; i++) for (const set of [a, b, c]) await rx.ingest(set[i]!);
    const texts = (await store.listInbound()).map((e) => e.text).sort();
    expect(texts).toEqual([LONG, LONG.toUpperCase(), LONG.replace(/line/g, 'LiNe')].sort());
    expect(await store.listPartials()).toEqual([]);
  });

  it('joins a UCS2 surrogate pair cut in half by the sender across the part boundary', async () => {
    const { store, rx } = setup();
    const text = 'Привет! '.repeat(8) + 'аб' + '😀' + ' конец';
    const units = utf16be(text);
    // Part 1 ends after the emoji's high surrogate, part 2 starts with its low surrogate.
    const highAt = text.indexOf('😀') * 2;
    const p1 = ucs2DeliverPart(FROM, units.subarray(0, highAt + 2), { ref: 3, total: 2, seq: 1 });
    const p2 = ucs2DeliverPart(FROM, units.subarray(highAt + 2), { ref: 3, total: 2, seq: 2 });
    await rx.ingest(p2);
    const r = await rx.ingest(p1);
    expect(r).toMatchObject({ kind: 'stored', entry: { text, parts: 2, encoding: 'ucs2' } });
    expect(await store.listInbound()).toHaveLength(1);
  });
});

describe('Receiver.resume()', () => {
  it('completes a set that holds every part (crash before the set was joined)', async () => {
    const { store, rx } = setup();
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 11 });
    await rx.ingest(parts[0]!);
    await rx.ingest(parts[1]!);
    // The third part reached the partial file, then the process died before joining it.
    const [open] = await store.listPartials();
    open!.parts.push({ seq: 3, pdu: parts[2]!, receivedAt: '2026-11-21T10:00:06.000Z' });
    await store.putPartial(open!);
    const delivered = await new Receiver(store, { multipartTimeoutMs: 24 * HOUR }).resume();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ text: LONG, parts: 3 });
    expect(await store.listPartials()).toEqual([]);
  });

  it('after a crash between the inbox write and the partial delete, stores nothing twice', async () => {
    const clock = newClock();
    let crash = true;
    const store = new (class extends MemoryStore {
      override async deletePartial(key: string): Promise<void> {
        if (crash) {
          crash = false;
          throw new Error('simulated crash before deletePartial');
        }
        return super.deletePartial(key);
      }
    })({ clock });
    const rx = new Receiver(store, { multipartTimeoutMs: 24 * HOUR, clock });
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 12 });
    await rx.ingest(parts[0]!);
    await rx.ingest(parts[1]!);
    await expect(rx.ingest(parts[2]!)).rejects.toThrow(/simulated crash/);
    expect(await store.listInbound()).toHaveLength(1);
    expect(await store.listPartials()).toHaveLength(1);
    const delivered = await new Receiver(store, { multipartTimeoutMs: 24 * HOUR, clock }).resume();
    expect(delivered).toEqual([]); // already in the inbox
    expect(await store.listPartials()).toEqual([]);
    // Past the timeout no second, "incomplete" copy of parts 1-2 shows up.
    clock.t += 25 * HOUR;
    expect(await rx.resume()).toEqual([]);
    expect(await store.listInbound()).toHaveLength(1);
  });

  it('delivers a set still incomplete after the timeout, marked with the missing part numbers', async () => {
    const { clock, store, rx } = setup({ timeoutMs: 1 * HOUR });
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 13 });
    await rx.ingest(parts[0]!);
    await rx.ingest(parts[2]!);
    clock.t += HOUR - 1000;
    expect(await rx.resume()).toEqual([]);
    expect(await store.listPartials()).toHaveLength(1);
    clock.t += 1000;
    const [entry] = await rx.resume();
    expect(entry).toMatchObject({ from: FROM, parts: 3, status: 'new', incomplete: { missing: [2], total: 3 } });
    const p1 = decodePdu(parts[0]!);
    const p3 = decodePdu(parts[2]!);
    expect(entry!.text).toBe(`${(p1 as { text: string }).text}${(p3 as { text: string }).text}`);
    expect(await store.listPartials()).toEqual([]);
    // The missing part arriving late was never seen: it is kept (a new open set), not dropped.
    const late = await rx.ingest(parts[1]!);
    expect(late.kind).toBe('partial');
    // A re-read of a part that was delivered is a duplicate.
    expect(await rx.ingest(parts[0]!)).toEqual({ kind: 'duplicate' });
  });
});

describe('Receiver: several modems', () => {
  it('the same PDU on two SIMs is two messages (a subscriber texting both numbers), each naming its modem and number', async () => {
    const { store, rx } = setup();
    const [pdu] = encodeDeliver(FROM, 'CLIENT info', { timestamp: TS });
    expect(await rx.ingest(pdu!, { modem: 'm1', to: '+79990000001' })).toMatchObject({ kind: 'stored', entry: { modem: 'm1', to: '+79990000001' } });
    expect(await rx.ingest(pdu!, { modem: 'm2', to: '+79990000002' })).toMatchObject({ kind: 'stored', entry: { modem: 'm2', to: '+79990000002' } });
    // A re-read on either SIM is still recognised.
    expect(await rx.ingest(pdu!, { modem: 'm2' })).toEqual({ kind: 'duplicate' });
    expect(await rx.ingest(pdu!)).toMatchObject({ kind: 'stored', entry: { modem: 'default' } });
    expect(await store.listInbound()).toHaveLength(3);
  });

  it('multipart sets are keyed per modem: interleaved parts with one reference on two SIMs join into two messages', async () => {
    const { store, rx } = setup();
    const parts = encodeDeliver(FROM, LONG, { timestamp: TS, ref: 7 });
    expect(parts).toHaveLength(3);
    for (const p of parts.slice(0, 2)) {
      expect((await rx.ingest(p, { modem: 'm1', to: '+79990000001' })).kind).toBe('partial');
      expect((await rx.ingest(p, { modem: 'm2', to: '+79990000002' })).kind).toBe('partial');
    }
    const sets = await store.listPartials();
    expect(sets.map((s) => s.modem).sort()).toEqual(['m1', 'm2']);
    expect(await rx.ingest(parts[2]!, { modem: 'm2', to: '+79990000002' })).toMatchObject({ kind: 'stored', entry: { modem: 'm2', to: '+79990000002', text: LONG, parts: 3 } });
    expect(await rx.ingest(parts[2]!, { modem: 'm1', to: '+79990000001' })).toMatchObject({ kind: 'stored', entry: { modem: 'm1', to: '+79990000001', text: LONG } });
    expect(await store.listPartials()).toEqual([]);
    // A part re-read after its set completed (failed delete) starts no ghost set on either SIM.
    expect(await rx.ingest(parts[0]!, { modem: 'm1' })).toEqual({ kind: 'duplicate' });
    expect(await rx.ingest(parts[0]!, { modem: 'm2' })).toEqual({ kind: 'duplicate' });
    expect(await store.listInbound()).toHaveLength(2);
  });
});
