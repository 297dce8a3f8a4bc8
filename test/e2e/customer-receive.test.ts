/**
 * The receive path under the conditions real modems produce (field notes; seed 002 for calls):
 * multipart sets out of order, duplicated parts, a restart in the middle of a set, a failed delete,
 * a lost +CMTI, an incoming call, an undecodable PDU — through the simulated modem on a PTY.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodePdu, encodeDeliver, type DecodedDeliver } from '../../src/sms/index.js';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/harness.js';
import { ucs2DeliverPart, utf16be } from './customer-pdus.js';
import { ACK, barrier, inbox, IVANOV, IVANOV_INFO, sentCount, settledEntry, simEmpty, startWithClients } from './customer-helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SMSC = '+79168999100';
const FROM = '+79007654321';
/** 3 UCS2 parts (67 units each). */
const CYRILLIC =
  'Добрый день! Подскажите, пожалуйста, когда будет готова моя карта? Я подавал заявление в прошлом месяце, ' +
  'номер заявки 4821. Спасибо заранее, с уважением, Иван Петрович Сидоров из Перми.';

function commandsSeen(h: Harness): string[] {
  const seen: string[] = [];
  h.sim.modem.on('command', (line: string) => seen.push(line));
  return seen;
}

describe('multipart reassembly end to end', () => {
  it('joins a 3-part Cyrillic message delivered in the order 3, 1, 2 into one exact entry', async () => {
    h = await startWithClients([IVANOV]);
    expect(encodeDeliver(FROM, CYRILLIC)).toHaveLength(3);
    h.sim.modem.injectSms(FROM, CYRILLIC, { order: [3, 1, 2] });
    const e = await settledEntry(h, (x) => x.from === FROM, 'joined entry');
    expect(e).toMatchObject({ text: CYRILLIC, parts: 3, encoding: 'ucs2', status: 'ignored' });
    expect(e.incomplete).toBeUndefined();
    await simEmpty(h);
    expect(await inbox(h)).toHaveLength(1);
    expect(await h.server!.store.listPartials()).toEqual([]);
  });

  it('keeps an emoji whole when it falls on the part boundary (splitter moves it; a sender that cuts it is joined too)', async () => {
    h = await startWithClients([IVANOV]);
    // 66 units, then a surrogate pair that would occupy units 67-68 of a 67-unit part.
    const text = 'Спасибо за помощь, всё получилось и карта уже у меня на руках!'.padEnd(66, '!') + '😀 Хорошего дня 🎉';
    expect(text.indexOf('😀')).toBe(66);
    const pdus = encodeDeliver(FROM, text, { ref: 21, smsc: SMSC });
    expect(pdus).toHaveLength(2);
    const [p1, p2] = pdus.map((p) => decodePdu(p) as DecodedDeliver);
    expect(p1!.text).toHaveLength(66); // the pair was not split
    expect(p2!.text.startsWith('😀')).toBe(true);
    h.sim.modem.injectSms(FROM, text, { ref: 21, order: [2, 1] });
    const joined = await settledEntry(h, (x) => x.from === FROM, 'emoji entry');
    expect(joined).toMatchObject({ text, parts: 2, encoding: 'ucs2' });

    // Another phone's encoder cuts the pair: high surrogate ends part 1, low one starts part 2.
    const other = '+79001112233';
    const cutText = 'Ответ: '.repeat(9) + 'ок🙂 да';
    const units = utf16be(cutText);
    const lowAt = (cutText.indexOf('🙂') + 1) * 2;
    h.sim.modem.injectPdu(ucs2DeliverPart(other, units.subarray(lowAt), { ref: 99, total: 2, seq: 2 }));
    h.sim.modem.injectPdu(ucs2DeliverPart(other, units.subarray(0, lowAt), { ref: 99, total: 2, seq: 1 }));
    const cut = await settledEntry(h, (x) => x.from === other, 'cut-pair entry');
    expect(cut).toMatchObject({ text: cutText, parts: 2 });
    expect(cut.text).not.toMatch(/\uFFFD/);
  });

  it('stores a duplicated part once (the same PDU delivered twice)', async () => {
    h = await startWithClients([IVANOV]);
    const parts = encodeDeliver(FROM, CYRILLIC, { ref: 7, smsc: SMSC });
    h.sim.modem.injectPdu(parts[0]!);
    h.sim.modem.injectPdu(parts[0]!);
    h.sim.modem.injectPdu(parts[1]!);
    h.sim.modem.injectPdu(parts[1]!);
    h.sim.modem.injectPdu(parts[2]!);
    const e = await settledEntry(h, (x) => x.from === FROM, 'entry');
    expect(e).toMatchObject({ text: CYRILLIC, parts: 3 });
    expect(e.raw).toEqual(parts);
    await simEmpty(h);
    // Nothing left open that a duplicate could have started.
    await waitFor(async () => (await h!.server!.store.listPartials()).length === 0, 'no open sets');
    expect(await inbox(h)).toHaveLength(1);
  });

  it('completes a set whose first part arrived before a server restart', async () => {
    h = await startWithClients([IVANOV]);
    const parts = encodeDeliver(FROM, CYRILLIC, { ref: 8, smsc: SMSC });
    h.sim.modem.injectPdu(parts[0]!);
    await waitFor(async () => (await h!.server!.store.listPartials()).length === 1, 'part 1 stored');
    await simEmpty(h); // stored durably, then deleted from the SIM
    await h.restartServer();
    h.sim.modem.injectPdu(parts[1]!);
    h.sim.modem.injectPdu(parts[2]!);
    const e = await settledEntry(h, (x) => x.from === FROM, 'entry after restart');
    expect(e).toMatchObject({ text: CYRILLIC, parts: 3 });
    expect(e.raw).toEqual(parts);
    expect(await h.server!.store.listPartials()).toEqual([]);
    expect(await inbox(h)).toHaveLength(1);
  });
});

describe('SIM storage faults', () => {
  it('a failed delete leaves the SMS on the SIM: the sweep re-reads it, stores nothing twice, and empties the SIM', async () => {
    h = await startWithClients([IVANOV], { config: { inbound: { sweepSeconds: 1, multipartTimeoutHours: 24, perSenderPerHour: 100 } } });
    const cmds = commandsSeen(h);
    h.sim.modem.faults.failNextDelete();
    const [index] = h.sim.modem.injectSms(IVANOV.phone, 'CLIENT info');
    await sentCount(h, 2, 'ack + result');
    await waitFor(() => cmds.filter((c) => /^AT\+CMGD=/.test(c)).length >= 2, 'a second AT+CMGD after the sweep', 10_000);
    await simEmpty(h);
    expect(cmds.filter((c) => c.startsWith(`AT+CMGD=${index}`)).length).toBeGreaterThanOrEqual(2);
    const entries = await inbox(h);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ text: 'CLIENT info', status: 'processed' });
    // The re-read was not answered again.
    await barrier(h, 'client info');
    expect(h.sim.modem.sent.map((s) => s.text)).toEqual([ACK, IVANOV_INFO, ACK, IVANOV_INFO]);
  });

  it('picks up an SMS whose +CMTI was lost at the next storage sweep', async () => {
    h = await startWithClients([IVANOV], { config: { inbound: { sweepSeconds: 1, multipartTimeoutHours: 24, perSenderPerHour: 100 } } });
    const cmds = commandsSeen(h);
    h.sim.modem.faults.dropNextCmti();
    h.sim.modem.injectSms(IVANOV.phone, 'CLIENT info');
    expect(h.sim.modem.storage('SM')).toHaveLength(1);
    const sent = await sentCount(h, 2, 'ack + result after the sweep', 10_000);
    expect(sent.map((s) => s.text)).toEqual([ACK, IVANOV_INFO]);
    expect(cmds.some((c) => /^AT\+CMGL/.test(c))).toBe(true);
    expect(cmds.some((c) => /^AT\+CMGR/.test(c))).toBe(false); // no +CMTI, so no single read
    await simEmpty(h);
  });
});

describe('seed 002: incoming calls', () => {
  it('hangs up at once and logs a [CALL] entry from the caller', async () => {
    h = await startWithClients([IVANOV]);
    const cmds = commandsSeen(h);
    h.sim.modem.injectCall('+79001234567');
    const e = await waitFor(async () => (await inbox(h!)).find((x) => x.status === 'call'), 'call entry');
    expect(e).toMatchObject({ from: '+79001234567', text: '[CALL]', status: 'call', parts: 1 });
    await waitFor(() => !h!.sim.modem.ringing, 'the call stopped ringing');
    expect(cmds.some((c) => /^(ATH|AT\+CHUP)\b/.test(c))).toBe(true);
    // Not a command: no reply, and one call is one entry.
    await barrier(h, 'CLIENT info');
    expect(h.sim.modem.sent.map((s) => s.text)).toEqual([ACK, IVANOV_INFO]);
    expect((await inbox(h)).filter((x) => x.status === 'call')).toHaveLength(1);
  });
});

describe('undecodable input', () => {
  it('keeps a corrupt PDU raw with status error, and the loop goes on answering', async () => {
    h = await startWithClients([IVANOV]);
    const good = encodeDeliver(FROM, 'this part got cut off on the way', { smsc: SMSC })[0]!;
    const corrupt = good.slice(0, -10); // TP-UDL now promises more septets than follow
    h.sim.modem.injectPdu(corrupt);
    const e = await waitFor(async () => (await inbox(h!)).find((x) => x.status === 'error'), 'error entry');
    expect(e).toMatchObject({ from: 'unknown', text: '', status: 'error', parts: 1, raw: [corrupt] });
    expect(e.error).toMatch(/UDL exceeds data/);
    await simEmpty(h);
    const sent = await barrier(h, 'CLIENT info');
    expect(sent.map((s) => [s.to, s.text])).toEqual([
      [IVANOV.phone, ACK],
      [IVANOV.phone, IVANOV_INFO],
    ]);
  });
});
