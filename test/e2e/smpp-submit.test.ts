/**
 * SMPP submit end to end: a client binds, submits, and the message leaves through the simulated
 * modem on a real pseudo-terminal (serialport → AT engine → driver), stored first as a job by the
 * real server. The listener is composed here as the server will compose it: SmppServer with the
 * StoreSubmitter on the server's store, the queue worker kicked on each job.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { groupSent } from '../../src/sim/sent.js';
import { SmppServer, StoreSubmitter } from '../../src/smpp/index.js';
import { DEFAULTS } from '../../src/config/config.js';
import { Client, utf16be } from '../smpp/helpers.js';
import { MemoryAccounts, MemoryDeliverQueue } from '../smpp/fakes.js';
import { CMD, RawClient, bindBody, pdu } from '../smpp/raw.js';

let h: Harness | undefined;
let smsc: SmppServer | undefined;
const open: { close(): void }[] = [];

afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await smsc?.stop();
  await h?.close();
  smsc = undefined;
  h = undefined;
});

async function start(perMinute = 100): Promise<number> {
  h = await startHarness();
  const server = h.server!;
  smsc = new SmppServer({
    config: { ...DEFAULTS.smpp, enabled: true, port: 0 },
    accounts: new MemoryAccounts({ acme: 'secret1' }),
    submitter: new StoreSubmitter({ store: server.store, phoneRule: { country: h.cfg.country }, perMinute, onEnqueued: () => server.worker.kick() }),
    deliverQueue: new MemoryDeliverQueue(),
  });
  return (await smsc.start()).port;
}

describe('SMPP submit through the simulated modem', () => {
  it('sends GSM-7, UCS2 and a 3-part message as the client wrote them, each job id in its submit_sm_resp', async () => {
    const port = await start();
    const c = await Client.connect(port);
    open.push(c);
    expect((await c.bind('bind_transceiver', 'acme', 'secret1')).command_status).toBe(0);
    const gsm = await c.call('submit_sm', { destination_addr: '79001234567', dest_addr_ton: 1, data_coding: 0, short_message: Buffer.from([0x48, 0x69, 0x20, 0x00, 0x20, 0x1b, 0x65, 0x35]) });
    const ucs = await c.call('submit_sm', { destination_addr: '79001234568', dest_addr_ton: 1, data_coding: 8, short_message: utf16be('Привет, мир 👋') });
    const long = 'Длинное сообщение из трёх частей. '.repeat(5); // 170 UCS2 units: 3 SMS of ≤ 67
    const units = utf16be(long);
    const parts = [units.subarray(0, 120), units.subarray(120, 240), units.subarray(240)];
    const multi = await Promise.all(
      parts.map((p, i) => c.call('submit_sm', { destination_addr: '79001234569', dest_addr_ton: 1, data_coding: 8, esm_class: 0x40, short_message: Buffer.concat([Buffer.from([5, 0, 3, 0x11, 3, i + 1]), p]) })),
    );
    expect([gsm, ucs, ...multi].map((r) => r.command_status)).toEqual([0, 0, 0, 0, 0]);
    expect(new Set(multi.map((r) => r.message_id)).size).toBe(1);

    const msgs = await waitFor(() => {
      const g = groupSent(h!.sim.modem.sent);
      return g.length === 3 && g.every((m) => m.complete) ? g : undefined;
    }, 'three complete messages at the modem');
    expect(msgs.map((m) => [m.to, m.text, m.total])).toEqual([
      ['+79001234567', 'Hi @ €5', 1],
      ['+79001234568', 'Привет, мир 👋', 1],
      ['+79001234569', long, 3],
    ]);
    const store = h!.server!.store;
    for (const [r, to] of [
      [gsm, '+79001234567'],
      [ucs, '+79001234568'],
      [multi[0]!, '+79001234569'],
    ] as const) {
      const job = await waitFor(async () => {
        const j = await store.getJob(String(r.message_id));
        return j?.state === 'sent' ? j : undefined;
      }, `job ${String(r.message_id)} sent`);
      expect(job.to).toBe(to);
    }
  });

  it('throttles an account over its rate: the refused message never reaches the modem', async () => {
    const port = await start(2);
    const c = await Client.connect(port);
    open.push(c);
    await c.bind('bind_transmitter', 'acme', 'secret1');
    const send = (i: number) => c.call('submit_sm', { destination_addr: `7900123456${i}`, dest_addr_ton: 1, data_coding: 0, short_message: Buffer.from(`n${i}`) });
    const st = [];
    for (let i = 0; i < 3; i++) st.push((await send(i)).command_status);
    expect(st).toEqual([0, 0, 0x58]);
    await waitFor(() => h!.sim.modem.sent.length >= 2, 'two messages sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(h!.sim.modem.sent.map((s) => s.text)).toEqual(['n0', 'n1']);
  });

  it('keeps sending after garbage in a session, and a wrong password gets ESME_RINVPASWD', async () => {
    const port = await start();
    const bad = await RawClient.open(port);
    open.push(bad);
    bad.write(pdu(CMD.bind_transmitter, 1, bindBody('acme', 'nope')));
    expect(await bad.next()).toMatchObject({ status: 0x0e });
    const c = await Client.connect(port);
    open.push(c);
    await c.bind('bind_transmitter', 'acme', 'secret1');
    c.session.socket.write(pdu(0x0badf00d, 77, Buffer.from('junk')));
    const r = await c.call('submit_sm', { destination_addr: '79001234567', dest_addr_ton: 1, data_coding: 0, short_message: Buffer.from('after junk') });
    expect(r.command_status).toBe(0);
    await waitFor(() => h!.sim.modem.sent.find((s) => s.text === 'after junk'), 'the message at the modem');
  });
});
