/**
 * Contract tests for the `smpp` package as `src/smpp/library.ts` uses it: its framing, its PDU
 * decoding and encoding, pause/resume, and our three patches. Octets are built by hand from the
 * SMPP 3.4 spec (raw.ts), so a package upgrade that changes any of this fails here first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createLibServer, decodePdu, genericNack, makePdu, MALFORMED, type LibPdu, type LibServer, type LibSession } from '../../src/smpp/library.js';
import { CMD, RawClient, bindBody, cstr, pdu, submitBody, tlv } from './raw.js';

let server: LibServer | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  // After a framing error the package stops reading, so it never sees the peer's FIN: destroy.
  server?.sessions.forEach((s) => s.socket.destroy());
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

interface Seen {
  pdus: LibPdu[];
  errors: Error[];
  session?: LibSession;
}

async function listen(onPdu?: (s: LibSession, p: LibPdu) => void): Promise<{ seen: Seen; client: RawClient }> {
  const seen: Seen = { pdus: [], errors: [] };
  server = createLibServer((s) => {
    seen.session = s;
    s.on('pdu', (p: LibPdu) => {
      seen.pdus.push(p);
      onPdu?.(s, p);
    });
    s.on('error', (e: Error) => seen.errors.push(e));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const client = await RawClient.open((server.address() as AddressInfo).port);
  clients.push(client);
  return { seen, client };
}

async function until(f: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('smpp package contract', () => {
  it('frames PDUs split across writes and several in one write, and decodes bind fields', async () => {
    const { seen, client } = await listen();
    const a = pdu(CMD.bind_transceiver, 7, bindBody('acme', 'secret'));
    const b = pdu(CMD.enquire_link, 8);
    client.write(a.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 30));
    client.write(Buffer.concat([a.subarray(5), b]));
    await until(() => seen.pdus.length === 2, 'two PDUs');
    expect(seen.pdus[0]!.command).toBe('bind_transceiver');
    expect(seen.pdus[0]!.sequence_number).toBe(7);
    expect(seen.pdus[0]!.system_id).toBe('acme');
    expect(seen.pdus[0]!.password).toBe('secret');
    expect(seen.pdus[1]!.command).toBe('enquire_link');
  });

  it('names an unknown command_id "unknown" and answers it with generic_nack ESME_RINVCMDID', async () => {
    const { seen, client } = await listen((s, p) => s.send(p.response()));
    client.write(pdu(0x00000777, 3));
    const f = await client.next();
    expect(seen.pdus[0]!.command).toBe('unknown');
    expect(f).toMatchObject({ id: CMD.generic_nack, status: 0x03, seq: 3, length: 16 });
  });

  it('keeps short_message and message_payload as raw octets (patch 3)', async () => {
    const { seen, client } = await listen();
    const ucs2 = Buffer.from([0x04, 0x1f, 0x04, 0x40, 0xd8, 0x3d]); // "Пр" + half a surrogate pair
    client.write(pdu(CMD.submit_sm, 1, submitBody({ to: '79001234567', data: ucs2, dataCoding: 8 })));
    client.write(pdu(CMD.submit_sm, 2, submitBody({ to: '79001234567', data: Buffer.alloc(0), tlvs: tlv(0x0424, Buffer.from([0x80, 0x00, 0x1b])) })));
    await until(() => seen.pdus.length === 2, 'two submits');
    expect(Buffer.isBuffer(seen.pdus[0]!.short_message)).toBe(true);
    expect((seen.pdus[0]!.short_message as Buffer).equals(ucs2)).toBe(true);
    expect(seen.pdus[0]!.data_coding).toBe(8);
    expect(seen.pdus[0]!.destination_addr).toBe('79001234567');
    expect((seen.pdus[1]!.message_payload as Buffer).equals(Buffer.from([0x80, 0x00, 0x1b]))).toBe(true);
  });

  it('decodes a truncated body without complaint, leaving the missing fields undefined', async () => {
    const { seen, client } = await listen();
    client.write(pdu(CMD.submit_sm, 5, Buffer.from([0, 1])));
    await until(() => seen.pdus.length === 1, 'the truncated PDU');
    expect(seen.pdus[0]).toMatchObject({ command: 'submit_sm', service_type: '', source_addr_ton: 1 });
    expect(seen.pdus[0]!.destination_addr).toBeUndefined();
    expect(seen.pdus[0]!.short_message).toBeUndefined();
  });

  it('turns a PDU whose body does not parse into a "malformed" PDU and keeps reading (patch 2)', async () => {
    const { seen, client } = await listen();
    // A message_state TLV (int8) with length 0 as the last octets: the package reads one octet past the end.
    client.write(pdu(CMD.submit_sm, 5, submitBody({ to: '79001234567', data: Buffer.from('hi'), tlvs: tlv(0x0427, Buffer.alloc(0)) })));
    client.write(pdu(CMD.enquire_link, 6));
    await until(() => seen.pdus.length === 2, 'the malformed PDU and the next one');
    expect(seen.pdus[0]).toMatchObject({ command: MALFORMED, command_id: CMD.submit_sm, sequence_number: 5 });
    expect(seen.pdus[1]!.command).toBe('enquire_link');
    expect(seen.errors).toEqual([]);
  });

  it('reports a command_length below the header size as an error at once (patch 1)', async () => {
    const { seen, client } = await listen();
    client.write(Buffer.from([0, 0, 0, 0]));
    await until(() => seen.errors.length === 1, 'a framing error');
    expect(seen.errors[0]!.message).toMatch(/shorter than the 16-octet header/);
  });

  it('reports a command_length over 16384 as an error', async () => {
    const { seen, client } = await listen();
    client.write(Buffer.from([0, 1, 0, 0, 0, 0, 0, 4]));
    await until(() => seen.errors.length === 1, 'a framing error');
    expect(seen.errors[0]!.message).toMatch(/too large/);
  });

  it('stops emitting PDUs while paused and catches up on resume', async () => {
    const { seen, client } = await listen((s) => s.pause());
    client.write(Buffer.concat([pdu(CMD.enquire_link, 1), pdu(CMD.enquire_link, 2), pdu(CMD.enquire_link, 3)]));
    await until(() => seen.pdus.length === 1, 'the first PDU');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.pdus.length).toBe(1);
    seen.session!.resume(); // the handler pauses again after each one
    await until(() => seen.pdus.length === 2, 'the second PDU');
    seen.session!.resume();
    await until(() => seen.pdus.length === 3, 'the third PDU');
  });

  it('keeps a sequence_number we set on a request, and writes an error response without a body', async () => {
    const { seen, client } = await listen((s, p) => {
      if (p.command === 'bind_transmitter') s.send(p.response({ command_status: 0x0e }));
    });
    client.write(pdu(CMD.bind_transmitter, 41, bindBody('acme', 'bad')));
    const resp = await client.next();
    expect(resp).toMatchObject({ id: 0x80000002, status: 0x0e, seq: 41, length: 16 });
    seen.session!.send(makePdu('enquire_link', { sequence_number: 900 }));
    expect(await client.next()).toMatchObject({ id: CMD.enquire_link, seq: 900 });
  });

  it('encodes deliver_sm receipt TLVs with the spec tags (receipted_message_id 0x001E, message_state 0x0427)', () => {
    const b = makePdu('deliver_sm', { sequence_number: 1, esm_class: 4, short_message: Buffer.from('id:x'), receipted_message_id: 'job-9', message_state: 2 }).toBuffer();
    const hex = b.toString('hex');
    expect(hex).toContain('001e0006' + Buffer.from('job-9\0').toString('hex'));
    expect(hex).toContain('0427000102');
    const back = decodePdu(b);
    expect(back.receipted_message_id).toBe('job-9');
    expect(back.message_state).toBe(2);
    expect(genericNack(5, 3).toBuffer().toString('hex')).toBe('00000010800000000000000300000005');
  });

  it('writes short_message octets as given, with sm_length, and the UDHI bit only when we set it', () => {
    const data = Buffer.from([5, 0, 3, 9, 2, 1, 0x48, 0x69]);
    const b = makePdu('deliver_sm', { sequence_number: 1, esm_class: 0x40, data_coding: 0, short_message: data }).toBuffer();
    const back = decodePdu(b);
    expect(back.esm_class).toBe(0x40);
    expect((back.short_message as Buffer).equals(data)).toBe(true);
    expect(b.subarray(b.length - data.length - 1).equals(Buffer.concat([Buffer.from([data.length]), data]))).toBe(true);
  });
});
