/**
 * SMPP through `serve` (issue 16): the real server with `smpp.enabled` on the simulated modem behind
 * a PTY, an account whose SMPP password the real CLI set through the spool, and the `smpp` package
 * as the client. A submit_sm with registered_delivery leaves through the modem and its delivery
 * receipt comes back as deliver_sm; an inbound SMS with the `acme: ` prefix arrives as deliver_sm;
 * one that arrived while no session was bound waits in the store and is delivered on bind, once.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/config.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import type { LibPdu } from '../../src/smpp/library.js';
import { Client, until } from '../smpp/helpers.js';
import { addAccount } from './accounts-helpers.js';

const PASSWORD = 'Sm9pp!x';
let h: Harness;
let cli: BuiltCli;
let port: number;
const open: Client[] = [];
let stamp = Date.UTC(2026, 10, 27, 9, 0, 0);

/** Inject an SMS with a fresh SMSC timestamp (identical PDUs would be taken for a re-read). */
function sms(from: string, text: string): void {
  stamp += 1000;
  h.sim.modem.injectSms(from, text, { timestamp: new Date(stamp) });
}

/** Every regular file under the data folder, as text (not the modem's PTY link): no plain password may be in any. */
function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out += allText(p);
    else if (st.isFile()) out += readFileSync(p, 'latin1');
  }
  return out;
}

async function bound(mode: 'bind_transceiver' | 'bind_receiver' = 'bind_transceiver'): Promise<Client> {
  const c = await Client.connect(port);
  open.push(c);
  expect((await c.bind(mode, 'acme', PASSWORD)).command_status).toBe(0);
  return c;
}

const text = (p: LibPdu) => (p.short_message as Buffer).toString('latin1');

beforeAll(async () => {
  cli = buildCli();
  h = await startHarness({ config: { smpp: { ...DEFAULTS.smpp, enabled: true, port: 0, responseTimeoutSeconds: 2 } } });
  port = h.server!.smpp!.address.port;
  await addAccount(h, { login: 'acme' });
  // The operator's command, through the running server's spool.
  const r = await cli.run(['accounts', 'set', '--login', 'acme', '--smpp-password', PASSWORD, '--json', '--data', h.dataDir]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ login: 'acme', smpp: true, via: 'server' });
}, 180_000);

afterAll(async () => {
  open.splice(0).forEach((c) => c.close());
  await h?.close();
  cli?.remove();
});

describe('SMPP listener started by serve', () => {
  it('stores only a scrypt hash of the SMPP password; a wrong one is refused with ESME_RINVPASWD', async () => {
    const account = await h.server!.store.getAccount('acme');
    expect(account!.smppPasswordHash).toMatch(/^scrypt\$/);
    expect(allText(h.dataDir)).not.toContain(PASSWORD);
    const c = await Client.connect(port);
    open.push(c);
    expect((await c.bind('bind_transceiver', 'acme', 'wrong')).command_status).toBe(0x0e);
    const u = await Client.connect(port);
    open.push(u);
    expect((await u.bind('bind_transceiver', 'nobody', PASSWORD)).command_status).toBe(0x0f);
  });

  it('submit_sm → the modem sends it → the status report comes back as a deliver_sm receipt', async () => {
    const c = await bound();
    const r = await c.call('submit_sm', { source_addr: 'ACME', destination_addr: '79001234567', dest_addr_ton: 1, data_coding: 0, registered_delivery: 1, short_message: Buffer.from('Order 42 shipped') });
    expect(r.command_status).toBe(0);
    const jobId = String(r.message_id);
    expect(jobId).toMatch(/^job-\d+$/);
    await waitFor(() => h.sim.modem.sent.find((s) => s.text === 'Order 42 shipped' && s.to === '+79001234567'), 'the SMS at the modem', 45_000);
    const job = await h.server!.store.getJob(jobId);
    expect(job).toMatchObject({ account: 'acme', to: '+79001234567', smppReceipt: { when: 'final', originator: 'ACME' } });

    const receipt = await until(() => c.delivered.find((p) => p.esm_class === 0x04), 'the delivery receipt', 45_000);
    expect(text(receipt)).toMatch(new RegExp(`^id:${jobId} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:Order 42 shipped$`));
    expect(receipt).toMatchObject({ source_addr: '79001234567', destination_addr: 'ACME', receipted_message_id: jobId, message_state: 2 });
    // Answered deliver_sm_resp OK: the receipt's forward is done.
    await waitFor(async () => (await h.server!.store.listForwards({ ref: jobId })).find((f) => f.channel === 'smpp' && f.status === 'delivered'), 'receipt forward delivered');
  }, 120_000);

  it('a submit the SMSC refuses (CMS 21) never reaches the network and gets an UNDELIV receipt', async () => {
    open.splice(0).forEach((x) => x.close());
    await waitFor(() => h.server!.smpp!.server.sessions('acme').length === 0, 'earlier sessions gone');
    const c = await bound();
    h.sim.modem.faults.cmsOnNextSend(21);
    const r = await c.call('submit_sm', { source_addr: 'ACME', destination_addr: '79001234599', dest_addr_ton: 1, data_coding: 0, registered_delivery: 1, short_message: Buffer.from('Refused by the SMSC') });
    const jobId = String(r.message_id);
    const receipt = await until(() => c.delivered.find((p) => p.esm_class === 0x04 && p.receipted_message_id === jobId), 'the UNDELIV receipt', 45_000);
    expect(text(receipt)).toMatch(new RegExp(`^id:${jobId} sub:001 dlvrd:000 .* stat:UNDELIV err:000 text:Refused by the SMSC$`));
    expect(receipt.message_state).toBe(5);
    expect((await h.server!.store.getJob(jobId))!.state).toBe('failed');
  }, 90_000);

  it('an inbound SMS routed to the account by its prefix arrives as deliver_sm, prefix removed', async () => {
    // One bound session, so this one gets it (the listener spreads deliveries over the account's sessions).
    open.splice(0).forEach((x) => x.close());
    await waitFor(() => h.server!.smpp!.server.sessions('acme').length === 0, 'earlier sessions gone');
    const c = await bound('bind_receiver');
    sms('+79005550001', 'acme: Where is my parcel?');
    const p = await until(() => c.delivered.find((x) => text(x) === 'Where is my parcel?'), 'the inbound deliver_sm', 45_000);
    // No SIM number known: the login stands in as destination_addr (alphanumeric), never empty.
    expect(p).toMatchObject({ source_addr: '79005550001', source_addr_ton: 1, destination_addr: 'acme', dest_addr_ton: 5, esm_class: 0, data_coding: 0 });
  }, 90_000);

  it('an inbound SMS while no session is bound waits in the store and is delivered once on bind', async () => {
    open.splice(0).forEach((c) => c.close());
    await waitFor(() => h.server!.smpp!.server.sessions('acme').length === 0, 'every session gone');
    sms('+79005550002', 'acme: nobody is listening');
    const fwd = await waitFor(async () => (await h.server!.store.listForwards({ account: 'acme', status: 'pending' })).find((f) => f.channel === 'smpp'), 'the smpp forward pending', 45_000);
    expect(fwd.payload).toMatchObject({ kind: 'sms', from: '+79005550002', text: 'nobody is listening' });
    const c = await bound();
    await until(() => c.delivered.find((x) => text(x) === 'nobody is listening'), 'the waiting deliver_sm', 30_000);
    await waitFor(async () => (await h.server!.store.getForward(fwd.id))?.status === 'delivered', 'forward delivered');
    await new Promise((r) => setTimeout(r, 1000));
    expect(c.delivered.filter((x) => text(x) === 'nobody is listening')).toHaveLength(1);
  }, 90_000);
});
