/**
 * Delivery reports end to end: the real server (serialport on a PTY → AT engine → driver → intake →
 * tracker → lowdb store) against the simulated modem and its simulated SMSC, in both AT+CNMI modes.
 * Each report kind, a 3-part message delivered part by part, an unknown MR, a national-form
 * recipient, 300 sends with MRs wrapping past 255; outbox --json, the outbox table and
 * GET /messages/:id show the states.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty } from '../../src/sim/index.js';
import { encodeDeliver } from '../../src/sms/index.js';
import type { Job } from '../../src/store/index.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { addAccount, verifyWebhook } from './accounts-helpers.js';
import { job, send, spoolOp, type SendResult } from './outbound-helpers.js';

const TO = '+79001234567';
const TOKEN = 'dlr-e2e-token-0123456789';
const NO_DS1 = '(0-3),(0-3),(0,2),(0,2),(0,1)';
const LONG = 'Delivery report test, part by part. '.repeat(12); // 432 GSM-7 chars → 3 parts

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const delivery = async (id: string) => (await job(h!, id))?.delivery;
const until = (id: string, what: string, ok: (j: Job) => boolean) => waitFor(async () => {
  const j = await job(h!, id);
  return j && ok(j) ? j : undefined;
}, what, 20_000);

describe.each([
  ['ds=1: +CDS with the PDU', {}],
  ['ds=2: +CDSI, read, delete', { cnmiSupport: NO_DS1 }],
])('each report kind, %s', (_mode, simOpts) => {
  it('delivered, failed, pending then delivered, national-form recipient; GET /messages/:id shows each', async () => {
    h = await startHarness({
      sim: { ...simOpts, reports: { delayMs: 0 } },
      config: { http: { enabled: true, token: TOKEN, port: 0, host: '127.0.0.1' } },
    });
    const policy = (p: Record<string, unknown>) => {
      h!.sim.modem.reportPolicy = { ...h!.sim.modem.reportPolicy, ...p };
    };
    const one = async (text: string) => (await send(h!, TO, text)).ids[0]!;

    policy({ outcome: 'delivered' });
    const ok = await one('delivered please');
    const okJob = await until(ok, 'delivered', (j) => j.delivery?.state === 'delivered');
    expect(okJob.delivery!.parts).toMatchObject([{ seq: 1, mr: okJob.parts![0]!.mr, state: 'delivered', status: 0 }]);

    policy({ outcome: 'failed', status: 0x46 });
    const bad = await one('this one expires');
    await until(bad, 'failed', (j) => j.delivery?.state === 'failed');
    expect((await delivery(bad))!.parts[0]).toMatchObject({ state: 'failed', status: 0x46 });

    policy({ outcome: 'pending', status: 0, temporaryStatus: 0x21, finalDelayMs: 1500 });
    const later = await one('phone is busy first');
    const temp = await until(later, 'temporary report', (j) => j.delivery?.parts[0]?.status === 0x21);
    expect(temp.delivery!.state).toBe('pending');
    await until(later, 'final report', (j) => j.delivery?.state === 'delivered');

    policy({ outcome: 'delivered', status: undefined, recipientForm: 'national' });
    const nat = await one('the SMSC writes 8 900…');
    await until(nat, 'delivered (national recipient)', (j) => j.delivery?.state === 'delivered');

    // The API shows the contract shape.
    const res = await fetch(`http://127.0.0.1:${h.server!.http!.port}/messages/${bad}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { delivery: unknown };
    expect(body.delivery).toEqual({ state: 'failed', at: expect.any(String), parts: [{ seq: 1, mr: expect.any(Number), state: 'failed', status: 0x46, at: expect.any(String) }] });
    // Stored reports are gone from the modem once applied; nothing unmatched.
    await waitFor(() => h!.sim.modem.storage('SM').length === 0, 'report slots freed');
    expect((await h.server!.store.listUnmatchedReports()).total).toBe(0);
  });
});

describe('Quectel EC25 quirk through the server', () => {
  it('a report stored in SR and announced as "SM",0 is applied and deleted; the SMS in SM slot 0 stays', async () => {
    h = await startHarness({ profile: 'quectel', sim: { cnmiSupport: NO_DS1, reports: { delayMs: 0 } } });
    // An SMS on the SIM card in slot 0 that the server has no reason to touch (its storage is ME;
    // stored without +CMTI): only a driver that believed +CDSI: "SM",0 would read and delete it.
    const [unrelated] = encodeDeliver('+79001112233', 'an SMS someone keeps on the SIM card');
    h.sim.modem.faults.dropNextCmti();
    expect(h.sim.modem.injectPdu(unrelated!, { memory: 'SM' })).toBe(0);
    const id = (await send(h, TO, 'report via SR')).ids[0]!;
    await until(id, 'delivered', (j) => j.delivery?.state === 'delivered');
    await waitFor(() => h!.sim.modem.storage('SR').length === 0, 'SR emptied');
    expect(h.sim.modem.storage('SM').map((s) => s.pdu)).toEqual([unrelated]);
    expect((await h.server!.store.listUnmatchedReports()).total).toBe(0);
  });
});

describe('reports through the outbox', () => {
  let cli: BuiltCli;
  beforeAll(() => {
    cli = buildCli();
  }, 120_000);
  afterAll(() => cli?.remove());

  it('a 3-part message delivered part by part: outbox --json and the table follow each report', async () => {
    h = await startHarness({ sim: { reports: { outcome: 'none' } } });
    const r = await spoolOp<SendResult>(h, 'send', { to: TO, text: LONG, report: true });
    const id = r.ids[0]!;
    const sent = await until(id, 'sent', (j) => j.state === 'sent');
    expect(sent.parts).toHaveLength(3);
    const outbox = async () => {
      const o = await cli.run(['outbox', '--json', '--data', h!.dataDir]);
      expect(o.code).toBe(0);
      return (JSON.parse(o.stdout) as { id: string; delivery: { state: string; parts: { seq: number; state: string }[] } }[]).find((j) => j.id === id)!.delivery;
    };
    expect(await outbox()).toMatchObject({ state: 'pending', parts: [{ state: 'pending' }, { state: 'pending' }, { state: 'pending' }] });
    for (const [n, seq] of [2, 1, 3].entries()) {
      const mr = sent.parts!.find((p) => p.seq === seq)!.mr!;
      h.sim.modem.injectStatusReport({ mr, to: TO, status: 0 });
      await until(id, `part ${seq} delivered`, (j) => j.delivery?.parts.some((p) => p.seq === seq && p.state === 'delivered') === true);
      const d = await outbox();
      expect(d.parts.filter((p) => p.state === 'delivered')).toHaveLength(n + 1);
      expect(d.state).toBe(n < 2 ? 'pending' : 'delivered');
    }
    const table = await cli.run(['outbox', '--data', h.dataDir]);
    expect(table.stdout).toMatch(/DELIVERY/);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s.*delivered`));
  });

  it('simulate report: the CLI sets the policy and sends one report on the last part', async () => {
    // A simulator with its control socket, as `sms-server simulate` runs it.
    const dir = mkdtempSync(join(tmpdir(), 'sms-dlr-ctl-'));
    const sock = join(dir, 'ctl.sock');
    const sim = await startSimulatorOnPty({ control: sock, noise: 0 });
    try {
      const set = await cli.run(['simulate', 'report', '--policy', 'failed', '--status', '0x46', '--delay', '120000', '--socket', sock]);
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({ ok: true, policy: { outcome: 'failed', status: 70, delayMs: 120_000 } });
      const bad = await cli.run(['simulate', 'report', '--policy', 'failed', '--mr', '3', '--to', TO, '--socket', sock]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/either --policy .* or --mr\/--to\/--last/);
      const one = await cli.run(['simulate', 'report', '--mr', '17', '--to', TO, '--socket', sock]);
      expect(JSON.parse(one.stdout)).toMatchObject({ ok: true, mr: 17, pdu: expect.stringMatching(/^[0-9A-F]+$/) });
      const nextMr = await cli.run(['simulate', 'mr', '250', '--socket', sock]);
      expect(nextMr.code).toBe(0);
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('forwarded to the account', () => {
  it('a job sent for an account forwards sms.delivered / sms.failed with a verifiable signature, once per job', async () => {
    const rx = await startReceiver('/hook', 200);
    try {
      h = await startHarness({ sim: { reports: { delayMs: 0 } } });
      const acme = await addAccount(h, { login: 'acme', webhook: rx.url });
      const ok = (await spoolOp<SendResult>(h, 'send', { to: TO, text: 'for acme', account: 'acme' })).ids[0]!;
      await until(ok, 'delivered', (j) => j.delivery?.state === 'delivered');
      h.sim.modem.reportPolicy = { ...h.sim.modem.reportPolicy, outcome: 'failed', status: 0x43 };
      const bad = (await spoolOp<SendResult>(h, 'send', { to: '+79005550009', text: 'for acme too', account: 'acme' })).ids[0]!;
      await until(bad, 'failed', (j) => j.delivery?.state === 'failed');
      await waitFor(() => rx.requests.length >= 2, 'two webhooks');
      const bodies = rx.requests.map((r) => verifyWebhook(acme.webhookSecret, r));
      expect(bodies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'sms.delivered', id: ok, event: `${ok}.delivery`, account: 'acme', to: TO, state: 'delivered', parts: [expect.objectContaining({ seq: 1, state: 'delivered', status: 0 })] }),
          expect.objectContaining({ type: 'sms.failed', id: bad, account: 'acme', state: 'failed', parts: [expect.objectContaining({ status: 0x43 })] }),
        ]),
      );
      // A job without an account forwards nothing.
      const plain = (await send(h, TO, 'operator text')).ids[0]!;
      await until(plain, 'failed (plain)', (j) => j.delivery?.state === 'failed');
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.requests).toHaveLength(2);
    } finally {
      await rx.close();
    }
  });
});

describe('matching', () => {
  it('a report for an unknown MR is kept as unmatched and changes no job', async () => {
    h = await startHarness({ sim: { reports: { outcome: 'none' } } });
    const id = (await send(h, TO, 'no report will match me')).ids[0]!;
    const sent = await until(id, 'sent', (j) => j.state === 'sent');
    const other = (sent.parts![0]!.mr! + 100) % 256;
    h.sim.modem.injectStatusReport({ mr: other, to: TO, status: 0 });
    await waitFor(async () => (await h!.server!.store.listUnmatchedReports()).total === 1, 'unmatched kept');
    const kept = (await h.server!.store.listUnmatchedReports()).reports[0]!;
    expect(kept).toMatchObject({ modem: 'default', mr: other, recipient: TO, status: 0, reason: 'no-part' });
    expect(await delivery(id)).toBeUndefined();
  });

  it('300 sends: MRs wrap past 255, late reports in random order each land on their own part', async () => {
    h = await startHarness({ sim: { firstMr: 200, reports: { outcome: 'none' } }, config: { queue: { dailyCap: 1_000_000 } } });
    const recipients = ['+79001234567', '+79005550001', '+79005550002'];
    const now = new Date().toISOString();
    const jobs = await h.server!.store.enqueue(
      Array.from({ length: 300 }, (_, i) => ({ to: recipients[i % 3]!, text: `wrap ${i}`, priority: 'notification' as const, state: 'queued' as const, attempts: 0, nextAttemptAt: now, report: true })),
    );
    h.server!.worker.kick();
    await waitFor(() => h!.sim.modem.sent.length >= 300, '300 sends', 90_000);
    const mrs = h.sim.modem.sent.map((s) => s.mr);
    expect(mrs.slice(0, 3)).toEqual([200, 201, 202]);
    expect(new Set(mrs).size).toBe(256); // every reference used, 44 of them twice
    await waitFor(async () => (await h!.server!.store.listJobs({ state: 'sent', limit: 1000 })).length === 300, 'all marked sent', 30_000);
    // The SMSC answers late and out of order; the status says which job it is for (odd: failed).
    const order = [...h.sim.modem.sent.keys()].sort((a, b) => ((a * 7919) % 300) - ((b * 7919) % 300));
    for (const i of order) {
      const s = h.sim.modem.sent[i]!;
      h.sim.modem.injectStatusReport({ mr: s.mr, to: s.to, status: Number(s.text.split(' ')[1]) % 2 ? 0x41 : 0 });
    }
    await waitFor(async () => (await h!.server!.store.listJobs({ limit: 1000 })).every((j) => j.delivery && j.delivery.state !== 'pending'), '300 final states', 60_000);
    const wrong: string[] = [];
    for (const [i, j] of jobs.entries()) {
      const got = (await h.server!.store.getJob(j.id))!;
      const want = i % 2 ? 'failed' : 'delivered';
      if (got.delivery!.state !== want || got.delivery!.parts[0]!.mr !== got.parts![0]!.mr) wrong.push(`${j.id}: ${got.delivery!.state}`);
    }
    expect(wrong).toEqual([]);
    expect((await h.server!.store.listUnmatchedReports()).total).toBe(0);
  }, 180_000);
});
