import { describe, expect, it } from 'vitest';
import { decodeText, encodeDeliverText, readSubmittedBody, SmppCodecError } from '../../src/smpp/text-codec.js';
import { joinSubmittedParts, type SubmittedPart } from '../../src/smpp/session.js';
import { receiptDate, receiptText } from '../../src/smpp/receipt.js';

const sub = { to: '+79001234567', from: '1', registeredDelivery: 0 as const, dataCoding: 0 };

describe('SMPP text codec', () => {
  it('joins parts before decoding: a GSM-7 escape split over two parts is one €', () => {
    const parts: SubmittedPart[] = [
      { body: { dataCoding: 0, data: Buffer.from([0x41, 0x1b]) }, submission: sub },
      { body: { dataCoding: 0, data: Buffer.from([0x65, 0x42]) }, submission: sub },
    ];
    expect(joinSubmittedParts(parts)).toMatchObject({ text: 'A€B', parts: 2 });
  });

  it('refuses parts of one message in different data_codings', () => {
    const parts: SubmittedPart[] = [
      { body: { dataCoding: 0, data: Buffer.from('a') }, submission: sub },
      { body: { dataCoding: 8, data: Buffer.from([0, 0x62]) }, submission: sub },
    ];
    expect(() => joinSubmittedParts(parts)).toThrow(/different data_coding values \(0, 8\)/);
  });

  it('reads GSM message-class data_coding 0xF0..0xF3 as GSM-7 and refuses 8-bit data', () => {
    expect(decodeText(0xf1, Buffer.from([0x48, 0x00]))).toBe('H@');
    expect(() => decodeText(0xf4, Buffer.from('x'))).toThrow(SmppCodecError);
  });

  it('refuses a UDHI message whose UDH overruns it', () => {
    expect(() => readSubmittedBody({ esm_class: 0x40, short_message: Buffer.from([9, 0, 3]) })).toThrow(/no whole UDH/);
  });

  it('fits 160 GSM-7 septets or 70 UCS2 units in one deliver_sm and splits one more into UDH parts', () => {
    expect(encodeDeliverText('a'.repeat(160), 'udh', 1)).toHaveLength(1);
    expect(encodeDeliverText('€'.repeat(80), 'udh', 1)).toHaveLength(1); // 160 septets with escapes
    expect(encodeDeliverText('€'.repeat(81), 'udh', 1)).toHaveLength(2);
    expect(encodeDeliverText('я'.repeat(70), 'udh', 1)).toHaveLength(1);
    const parts = encodeDeliverText('я'.repeat(71), 'udh', 7);
    expect(parts.map((p) => [p.esm_class, p.data_coding, p.short_message.length])).toEqual([
      [0x40, 8, 6 + 134],
      [0x40, 8, 6 + 8],
    ]);
  });

  it('never splits a surrogate pair between UDH parts', () => {
    const text = 'x'.repeat(66) + '😀' + 'yyy'; // 71 UTF-16 units: two parts of ≤ 67
    const parts = encodeDeliverText(text, 'udh', 1);
    expect(parts).toHaveLength(2);
    const decoded = parts.map((p) => Buffer.from(p.short_message.subarray(6)).swap16().toString('utf16le'));
    expect(decoded).toEqual(['x'.repeat(66), '😀yyy']);
  });

  it('writes receipt dates as YYMMDDhhmm in UTC and caps sub/dlvrd/err at three digits', () => {
    expect(receiptDate('2026-01-02T23:59:00+03:00')).toBe('2601022059');
    expect(
      receiptText({ kind: 'receipt', jobId: 'job-1', recipient: '+1', state: 'expired', submittedAt: 'x', doneAt: '2026-01-01T00:00:00Z', parts: 1, delivered: 0, error: 1234, text: '' }),
    ).toBe('id:job-1 sub:001 dlvrd:000 submit date:0000000000 done date:2601010000 stat:EXPIRED err:999 text:');
  });
});
