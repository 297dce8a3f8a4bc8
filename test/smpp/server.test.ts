/**
 * The SMPP listener end to end over loopback TCP, with in-memory ports: the `smpp` package's client
 * for well-formed traffic, a raw socket (raw.ts) for what a library would not send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client, fromUtf16be, startSmsc, until, utf16be, type TestSmsc } from './helpers.js';
import { CMD, RawClient, bindBody, pdu, submitBody, tlv } from './raw.js';
import { InvalidDestinationError, SubmitThrottledError } from '../../src/smpp/index.js';

let smsc: TestSmsc | undefined;
const open: { close(): void }[] = [];
afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await smsc?.stop();
  smsc = undefined;
});

async function client(): Promise<Client> {
  const c = await Client.connect(smsc!.port);
  open.push(c);
  return c;
}
async function raw(): Promise<RawClient> {
  const c = await RawClient.open(smsc!.port);
  open.push(c);
  return c;
}
async function boundRaw(command: number = CMD.bind_transceiver): Promise<RawClient> {
  const c = await raw();
  c.write(pdu(command, 1, bindBody('acme', 'secret1')));
  expect((await c.next((f) => f.seq === 1)).status).toBe(0);
  return c;
}

const GSM_HELLO = Buffer.from([0x48, 0x69, 0x20, 0x00, 0x20, 0x1b, 0x65]); // "Hi @ €" in unpacked GSM 03.38

describe('bind', () => {
  it('binds each mode with system_id = login and answers with our system_id', async () => {
    smsc = await startSmsc();
    for (const mode of ['bind_transceiver', 'bind_transmitter', 'bind_receiver'] as const) {
      const c = await client();
      const r = await c.bind(mode, 'acme', 'secret1');
      expect(r.command_status).toBe(0);
      expect(r.system_id).toBe('sms-server');
    }
    expect(smsc.server.sessions('acme').map((s) => [s.transmit, s.receive])).toEqual([
      [true, true],
      [true, false],
      [false, true],
    ]);
  });

  it('refuses a wrong password with ESME_RINVPASWD and an unknown login with ESME_RINVSYSID, then closes', async () => {
    smsc = await startSmsc();
    const a = await client();
    expect((await a.bind('bind_transceiver', 'acme', 'wrong')).command_status).toBe(0x0e);
    await a.waitClosed();
    const b = await client();
    expect((await b.bind('bind_transceiver', 'nobody', 'secret1')).command_status).toBe(0x0f);
    await b.waitClosed();
    const c = await client();
    expect((await c.bind('bind_transceiver', 'acme', 'longerthan8')).command_status).toBe(0x0e);
    expect(smsc.server.sessions()).toEqual([]);
  });

  it('refuses a session over maxSessionsPerAccount with ESME_RBINDFAIL, and admits one again after another closes', async () => {
    smsc = await startSmsc({ config: { maxSessionsPerAccount: 2 } });
    const a = await client();
    const b = await client();
    expect((await a.bind('bind_transceiver', 'acme', 'secret1')).command_status).toBe(0);
    expect((await b.bind('bind_receiver', 'acme', 'secret1')).command_status).toBe(0);
    const c = await client();
    expect((await c.bind('bind_transmitter', 'acme', 'secret1')).command_status).toBe(0x0d);
    // Another account is not affected.
    const d = await client();
    expect((await d.bind('bind_transmitter', 'beta', 'pw')).command_status).toBe(0);
    a.close();
    await until(() => smsc!.server.sessions('acme').length === 1, 'the closed session to leave');
    const e = await client();
    expect((await e.bind('bind_transmitter', 'acme', 'secret1')).command_status).toBe(0);
  });

  it('answers submit_sm before bind with ESME_RINVBNDSTS, a second bind with ESME_RALYBND, and a receiver\'s submit_sm with ESME_RINVBNDSTS', async () => {
    smsc = await startSmsc();
    const c = await client();
    expect((await c.call('submit_sm', { destination_addr: '79001234567', short_message: Buffer.from('x') })).command_status).toBe(0x04);
    expect((await c.bind('bind_receiver', 'acme', 'secret1')).command_status).toBe(0);
    expect((await c.bind('bind_transceiver', 'acme', 'secret1')).command_status).toBe(0x05);
    expect((await c.call('submit_sm', { destination_addr: '79001234567', short_message: Buffer.from('x') })).command_status).toBe(0x04);
  });
});

describe('submit_sm', () => {
  it('accepts GSM-7, Latin-1 and UCS2 and answers with the job id', async () => {
    smsc = await startSmsc();
    const c = await client();
    await c.bind('bind_transceiver', 'acme', 'secret1');
    const base = { source_addr: '12345', dest_addr_ton: 1, destination_addr: '79001234567' };
    const r1 = await c.call('submit_sm', { ...base, data_coding: 0, short_message: GSM_HELLO, registered_delivery: 1 });
    const r2 = await c.call('submit_sm', { ...base, data_coding: 3, short_message: Buffer.from('café ñ', 'latin1') });
    const r3 = await c.call('submit_sm', { ...base, data_coding: 8, short_message: utf16be('Привет 👋') });
    expect([r1, r2, r3].map((r) => [r.command_status, r.message_id])).toEqual([
      [0, 'job-1'],
      [0, 'job-2'],
      [0, 'job-3'],
    ]);
    expect(smsc.submitter.submitted.map((s) => [s.account, s.message.to, s.message.text, s.message.registeredDelivery, s.message.dataCoding])).toEqual([
      ['acme', '+79001234567', 'Hi @ €', 1, 0],
      ['acme', '+79001234567', 'café ñ', 0, 3],
      ['acme', '+79001234567', 'Привет 👋', 0, 8],
    ]);
  });

  it('reassembles three UDH parts sent out of order into one job, answering every part with its id', async () => {
    smsc = await startSmsc();
    const c = await client();
    await c.bind('bind_transmitter', 'acme', 'secret1');
    const text = 'Привет, мир! '.repeat(12) + '👋 end';
    const units = utf16be(text);
    // Cut at 134 octets: the 👋 surrogate pair (if it falls there) may straddle parts; the join must not care.
    const chunks = [units.subarray(0, 134), units.subarray(134, 268), units.subarray(268)];
    const part = (i: number) => Buffer.concat([Buffer.from([5, 0, 3, 0x2a, 3, i + 1]), chunks[i]!]);
    const resps = await Promise.all([2, 0, 1].map((i) => c.call('submit_sm', { destination_addr: '+79001234567', data_coding: 8, esm_class: 0x40, short_message: part(i) })));
    expect(resps.map((r) => [r.command_status, r.message_id])).toEqual([
      [0, 'job-1'],
      [0, 'job-1'],
      [0, 'job-1'],
    ]);
    expect(smsc.submitter.submitted).toHaveLength(1);
    expect(smsc.submitter.submitted[0]!.message).toMatchObject({ text, parts: 3, to: '+79001234567' });
  });

  it('reassembles parts numbered by sar_* TLVs, and accepts a long text in message_payload', async () => {
    smsc = await startSmsc();
    const c = await client();
    await c.bind('bind_transmitter', 'acme', 'secret1');
    const sar = (seq: number, s: string) => c.call('submit_sm', { destination_addr: '79001234567', data_coding: 0, short_message: Buffer.from(s), sar_msg_ref_num: 700, sar_total_segments: 2, sar_segment_seqnum: seq });
    const [a, b] = await Promise.all([sar(1, 'first half, '), sar(2, 'second half')]);
    expect([a.message_id, b.message_id]).toEqual(['job-1', 'job-1']);
    const long = 'x'.repeat(400);
    const p = await c.call('submit_sm', { destination_addr: '79001234567', data_coding: 0, short_message: Buffer.alloc(0), message_payload: Buffer.from(long) });
    expect(p.message_id).toBe('job-2');
    expect(smsc.submitter.submitted.map((s) => s.message.text)).toEqual(['first half, second half', long]);
  });

  it('maps refusals: throttled → ESME_RTHROTTLED, bad destination → ESME_RINVDSTADR, binary data_coding → ESME_RINVDCS, non-GSM octet → ESME_RINVDCS', async () => {
    smsc = await startSmsc();
    const c = await client();
    await c.bind('bind_transmitter', 'acme', 'secret1');
    smsc.submitter.before = async (m) => {
      if (m.text === 'throttle me') throw new SubmitThrottledError('over 10/min');
      if (m.to === '+0000') throw new InvalidDestinationError('no such number');
    };
    const send = (f: Record<string, unknown>) => c.call('submit_sm', { destination_addr: '79001234567', data_coding: 0, short_message: Buffer.from('hello'), ...f }).then((r) => r.command_status);
    expect(await send({ short_message: Buffer.from('throttle me') })).toBe(0x58);
    expect(await send({ destination_addr: 'not-a-number' })).toBe(0x0b);
    expect(await send({ destination_addr: '0000', dest_addr_ton: 1 })).toBe(0x0b);
    expect(await send({ data_coding: 2 })).toBe(0x104);
    expect(await send({ short_message: Buffer.from('caf\xe9', 'latin1') })).toBe(0x104);
    expect(await send({ data_coding: 8, short_message: Buffer.from([0, 0x41, 0]) })).toBe(0x01);
    expect(await send({})).toBe(0);
  });

  it('never has more than windowSize submit_sm of one session in progress, and answers them all', async () => {
    smsc = await startSmsc({ config: { windowSize: 4 } });
    let open = false;
    const gate: (() => void)[] = [];
    smsc.submitter.before = () => (open ? Promise.resolve() : new Promise<void>((r) => gate.push(r)));
    const c = await boundRaw(CMD.bind_transmitter);
    for (let i = 0; i < 12; i++) c.write(pdu(CMD.submit_sm, 100 + i, submitBody({ to: '79001234567', data: Buffer.from(`m${i}`) })));
    await until(() => gate.length === 4, 'four submits in progress');
    await new Promise((r) => setTimeout(r, 200));
    expect(smsc.submitter.maxActive).toBe(4);
    open = true;
    gate.splice(0).forEach((r) => r());
    for (let i = 0; i < 12; i++) expect((await c.next((f) => f.seq === 100 + i)).status).toBe(0);
    expect(smsc.submitter.maxActive).toBe(4);
    expect(smsc.submitter.submitted.map((s) => s.message.text)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
  });
});

describe('deliver_sm', () => {
  it('delivers inbound SMS in GSM-7 and UCS2, long ones as UDH parts, and acks the queue item on deliver_sm_resp', async () => {
    smsc = await startSmsc();
    const c = await client();
    await c.bind('bind_receiver', 'acme', 'secret1');
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', to: '+79160000000', text: 'Hi @ €', receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    const g = await until(() => c.delivered[0], 'the GSM-7 deliver_sm');
    expect(g).toMatchObject({ source_addr: '79001234567', source_addr_ton: 1, destination_addr: '79160000000', data_coding: 0, esm_class: 0 });
    expect((g.short_message as Buffer).equals(GSM_HELLO)).toBe(true);
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: 'Ответ 👍', receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    const u = await until(() => c.delivered[1], 'the UCS2 deliver_sm');
    expect(u.data_coding).toBe(8);
    expect(fromUtf16be(u.short_message as Buffer)).toBe('Ответ 👍');
    const long = 'Длинный ответ. '.repeat(10); // 150 UCS2 units: 3 parts of ≤ 67
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: long, receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    await until(() => c.delivered.length === 5, 'three parts');
    const parts = c.delivered.slice(2);
    expect(parts.every((p) => p.esm_class === 0x40 && p.data_coding === 8)).toBe(true);
    const udh = parts.map((p) => [...(p.short_message as Buffer).subarray(0, 6)]);
    expect(udh.map((h) => [h[0], h[1], h[2], h[4], h[5]])).toEqual([1, 2, 3].map((i) => [5, 0, 3, 3, i]));
    expect(new Set(udh.map((h) => h[3])).size).toBe(1);
    expect(parts.map((p) => fromUtf16be((p.short_message as Buffer).subarray(6))).join('')).toBe(long);
    await until(() => smsc!.queue.pending('acme').length === 0, 'every item acknowledged');
  });

  it('sends a long inbound text as one message_payload when longMessages is "payload"', async () => {
    smsc = await startSmsc({ config: { longMessages: 'payload' } });
    const c = await client();
    await c.bind('bind_transceiver', 'acme', 'secret1');
    const long = 'abc '.repeat(60);
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: long, receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    const p = await until(() => c.delivered[0], 'deliver_sm');
    expect((p.short_message as Buffer).length).toBe(0);
    expect((p.message_payload as Buffer).toString('latin1')).toBe(long);
  });

  it('sends a delivery receipt with esm_class 0x04, the receipt text and the receipted_message_id / message_state TLVs', async () => {
    smsc = await startSmsc();
    const c = await client();
    await c.bind('bind_transceiver', 'acme', 'secret1');
    await smsc.queue.enqueue('acme', {
      kind: 'receipt',
      jobId: 'job-42',
      recipient: '+79001234567',
      originator: '12345',
      state: 'undeliverable',
      submittedAt: '2026-11-21T10:00:00Z',
      doneAt: '2026-11-21T10:03:00Z',
      parts: 2,
      delivered: 1,
      error: 65,
      text: 'Ваш код 1234 for the account',
    });
    smsc.server.notify('acme');
    const r = await until(() => c.delivered[0], 'the receipt');
    expect(r).toMatchObject({ esm_class: 4, receipted_message_id: 'job-42', message_state: 5, source_addr: '79001234567', destination_addr: '12345' });
    expect((r.short_message as Buffer).toString('latin1')).toBe('id:job-42 sub:002 dlvrd:001 submit date:2611211000 done date:2611211003 stat:UNDELIV err:065 text:??? ??? 1234 for the');
  });

  it('keeps inbound messages while no receiver is bound (a transmitter does not get them) and delivers after bind', async () => {
    smsc = await startSmsc();
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: 'while away', receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    const tx = await client();
    await tx.bind('bind_transmitter', 'acme', 'secret1');
    await new Promise((r) => setTimeout(r, 200));
    expect(tx.delivered).toHaveLength(0);
    const rx = await client();
    await rx.bind('bind_receiver', 'acme', 'secret1');
    const d = await until(() => rx.delivered[0], 'the kept message');
    expect((d.short_message as Buffer).toString('latin1')).toBe('while away');
    await until(() => smsc!.queue.pending().length === 0, 'the ack');
  });

  it('retries a deliver_sm the client refused, and one it never answered', async () => {
    smsc = await startSmsc({ config: { responseTimeoutSeconds: 1 } });
    const c = await client();
    let n = 0;
    c.answer = () => (++n === 1 ? 0x64 : n === 2 ? 'ignore' : 0); // ESME_RX_T_APPN, then silence, then OK
    await c.bind('bind_receiver', 'acme', 'secret1');
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: 'again', receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    await until(() => smsc!.queue.pending().length === 0, 'the third try to be acknowledged', 10_000);
    expect(c.delivered).toHaveLength(3);
    expect(smsc.queue.rows[0]!.attempts).toBe(3);
  });

  it('keeps a message whose deliver_sm was pending when the client unbound, and delivers it to the next session', async () => {
    smsc = await startSmsc();
    const a = await client();
    a.answer = () => 'ignore';
    await a.bind('bind_receiver', 'acme', 'secret1');
    await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: 'mid-flight', receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    await until(() => a.delivered[0], 'the first deliver_sm');
    const u = await a.call('unbind');
    expect(u.command).toBe('unbind_resp');
    await a.waitClosed();
    expect(smsc.queue.pending()).toHaveLength(1);
    const b = await client();
    await b.bind('bind_transceiver', 'acme', 'secret1');
    const d = await until(() => b.delivered[0], 'redelivery');
    expect((d.short_message as Buffer).toString('latin1')).toBe('mid-flight');
    await until(() => smsc!.queue.pending().length === 0, 'the ack');
  });

  it('spreads deliveries over two receiver sessions and never exceeds the window in one', async () => {
    smsc = await startSmsc({ config: { windowSize: 2 } });
    const a = await client();
    const b = await client();
    const held: (() => void)[] = [];
    for (const c of [a, b]) {
      c.answer = () => 'ignore';
      c.session.on('deliver_sm', (p) => held.push(() => c.session.send(p.response())));
      await c.bind('bind_receiver', 'acme', 'secret1');
    }
    for (let i = 0; i < 7; i++) await smsc.queue.enqueue('acme', { kind: 'sms', from: '+79001234567', text: `n${i}`, receivedAt: new Date().toISOString() });
    smsc.server.notify('acme');
    await until(() => a.delivered.length + b.delivered.length === 4, 'two windows full');
    await new Promise((r) => setTimeout(r, 200));
    expect([a.delivered.length, b.delivered.length]).toEqual([2, 2]);
    while (smsc.queue.pending().length > 0) {
      held.splice(0).forEach((f) => f());
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(a.delivered.length + b.delivered.length).toBe(7);
  });
});

describe('link', () => {
  it('answers enquire_link, sends its own after silence, and closes when that goes unanswered', async () => {
    smsc = await startSmsc({ config: { enquireLinkSeconds: 1, responseTimeoutSeconds: 1 } });
    const c = await boundRaw();
    c.write(pdu(CMD.enquire_link, 9));
    expect(await c.next((f) => f.seq === 9)).toMatchObject({ id: CMD.enquire_link_resp, status: 0 });
    const probe = await c.next((f) => f.id === CMD.enquire_link, 3000);
    c.write(pdu(CMD.enquire_link_resp, probe.seq));
    const again = await c.next((f) => f.id === CMD.enquire_link, 3000);
    expect(again.seq).not.toBe(probe.seq);
    await c.waitClosed(4000); // the second probe is never answered
    expect(smsc.server.sessions()).toEqual([]);
  });

  it('answers unbind with unbind_resp and closes; on stop it unbinds its clients', async () => {
    smsc = await startSmsc();
    const c = await boundRaw();
    c.write(pdu(CMD.unbind, 5));
    expect(await c.next((f) => f.seq === 5)).toMatchObject({ id: CMD.unbind_resp, status: 0 });
    await c.waitClosed();
    const d = await boundRaw();
    const stopping = smsc.stop();
    const u = await d.next((f) => f.id === CMD.unbind);
    d.write(pdu(CMD.unbind_resp, u.seq));
    await stopping;
    await d.waitClosed();
    smsc = undefined;
  });

  it('survives garbage it can frame: generic_nack for an unknown command and for a body that does not parse', async () => {
    smsc = await startSmsc();
    const c = await boundRaw();
    c.write(pdu(0x00000999, 20, Buffer.from('garbage')));
    expect(await c.next((f) => f.seq === 20)).toMatchObject({ id: CMD.generic_nack, status: 0x03 });
    c.write(pdu(CMD.submit_sm, 21, submitBody({ to: '79001234567', data: Buffer.from('x'), tlvs: tlv(0x0427, Buffer.alloc(0)) })));
    expect(await c.next((f) => f.seq === 21)).toMatchObject({ id: CMD.generic_nack, status: 0x02 });
    c.write(pdu(CMD.submit_sm, 22, Buffer.from([0, 1, 1])));
    expect(await c.next((f) => f.seq === 22)).toMatchObject({ id: 0x80000004, status: 0x02 });
    c.write(pdu(CMD.enquire_link, 23));
    expect(await c.next((f) => f.seq === 23)).toMatchObject({ id: CMD.enquire_link_resp, status: 0 });
    c.write(pdu(CMD.submit_sm, 24, submitBody({ to: '79001234567', data: Buffer.from('still here') })));
    expect(await c.next((f) => f.seq === 24)).toMatchObject({ status: 0 });
  });

  it('closes on garbage it cannot frame', async () => {
    smsc = await startSmsc();
    for (const junk of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([0, 0, 0, 3, 1, 2, 3]), Buffer.from([0xff, 0xff, 0xff, 0xff])]) {
      const c = await boundRaw();
      c.write(junk);
      await c.waitClosed();
    }
    expect(smsc.server.sessions()).toEqual([]);
  });

  it('closes a connection that does not bind in time', async () => {
    smsc = await startSmsc({ tuning: { bindTimeoutMs: 300 } });
    const c = await raw();
    await c.waitClosed(3000);
  });
});
