/**
 * The simulated network's status reports on a manual clock: each outcome, delays of minutes,
 * both AT+CNMI ds modes, AT+CSMS=1 acknowledgement, the Quectel SR/SM quirk, MR wrap, and the
 * control requests that drive them.
 */
import { describe, expect, it } from 'vitest';
import { handleControlRequest } from '../../src/sim/control.js';
import { decodePdu, encodeDeliver, encodeSubmit, type DecodedStatusReport } from '../../src/sms/index.js';
import { harness, type Harness } from './harness.js';

const TO = '+79001234567';

/** Output the helpers below took but did not use (a report that fired with the +CMGS). */
const leftovers = new WeakMap<Harness, string>();

/** Output since the last look, including what submit() set aside. */
function out(h: Harness): string {
  const r = (leftovers.get(h) ?? '') + h.take();
  leftovers.set(h, '');
  return r;
}

/** Submit one SMS (with TP-SRR unless told otherwise); returns the +CMGS reference. */
function submit(h: Harness, text = 'hello', statusReport = true, to = TO): number {
  const [p] = encodeSubmit(to, text, { statusReport });
  const before = out(h);
  h.at(`AT+CMGS=${p!.tpduLength}`);
  h.send(p!.hex + '\x1a');
  h.clock.advance(0); // the network answers on the modem's clock
  const got = h.take();
  const m = /\r\n\+CMGS: (\d+)\r\n\r\nOK\r\n/.exec(got);
  if (!m) throw new Error(`no +CMGS in ${JSON.stringify(got)}`);
  leftovers.set(h, before + got.slice(0, m.index) + got.slice(m.index + m[0].length));
  return Number(m[1]);
}

/** `+CDS: <len>` URCs with their PDUs, decoded, from an output chunk. */
function cds(out: string): DecodedStatusReport[] {
  return [...out.matchAll(/\+CDS: (\d+)\r\n([0-9A-F]+)\r\n/g)].map((m) => decodePdu(m[2]!) as DecodedStatusReport);
}

function routed(o: Parameters<typeof harness>[0] = {}): Harness {
  const h = harness(o);
  expect(h.at('AT+CNMI=2,1,0,1,0')).toBe('\r\nOK\r\n');
  return h;
}

describe('simulated status reports, ds=1 (+CDS with the PDU)', () => {
  it('a SUBMIT with TP-SRR gets a delivered report after the policy delay; one without gets none', () => {
    const h = routed({ reports: { delayMs: 2000 } });
    const mr = submit(h);
    h.clock.advance(1999);
    expect(out(h)).toBe('');
    h.clock.advance(1);
    const [r, ...more] = cds(out(h));
    expect(more).toEqual([]);
    expect(r).toMatchObject({ type: 'status-report', mr, recipient: TO, status: 0, state: 'delivered', smsc: '+79168999100' });
    // The SMSC's zone (default +03:00) and the two times: taken at submit, discharged 2 s later.
    expect(Date.parse(r!.dischargedAt) - Date.parse(r!.timestamp)).toBe(2000);
    expect(r!.dischargedAt.endsWith('+03:00')).toBe(true);
    submit(h, 'no report wanted', false);
    h.clock.advance(60_000);
    expect(cds(out(h))).toEqual([]);
    expect(h.modem.reportStats).toMatchObject({ generated: 1, routed: 1 });
  });

  it('failed: one permanent error, 0x41 by default or the status asked for', () => {
    const h = routed({ reports: { outcome: 'failed', delayMs: 0 } });
    submit(h);
    h.clock.advance(0);
    expect(cds(out(h))).toMatchObject([{ status: 0x41, state: 'failed', category: 'permanent' }]);
    h.modem.reportPolicy = { ...h.modem.reportPolicy, status: 0x46 };
    submit(h);
    h.clock.advance(0);
    expect(cds(out(h))).toMatchObject([{ status: 0x46, state: 'failed' }]);
  });

  it('pending: a temporary status, then minutes later the final one, same reference', () => {
    const h = routed({ reports: { outcome: 'pending', delayMs: 1000, finalDelayMs: 5 * 60_000 } });
    const mr = submit(h);
    h.clock.advance(1000);
    expect(cds(out(h))).toMatchObject([{ mr, status: 0x21, state: 'pending', final: false }]);
    h.clock.advance(5 * 60_000 - 1);
    expect(out(h)).toBe('');
    h.clock.advance(1);
    const [final] = cds(out(h));
    expect(final).toMatchObject({ mr, status: 0, state: 'delivered' });
    expect(Date.parse(final!.dischargedAt) - Date.parse(final!.timestamp)).toBe(1000 + 5 * 60_000);
  });

  it('delayed by minutes: nothing until the delay is over', () => {
    const h = routed({ reports: { delayMs: 7 * 60_000 } });
    submit(h);
    h.clock.advance(7 * 60_000 - 1);
    expect(cds(out(h))).toEqual([]);
    h.clock.advance(1);
    expect(cds(out(h))).toHaveLength(1);
  });

  it('references wrap past 255 and every report names its own', () => {
    const h = routed({ firstMr: 254, reports: { delayMs: 0 } });
    const mrs = [submit(h), submit(h), submit(h)];
    expect(mrs).toEqual([254, 255, 0]);
    h.clock.advance(0);
    expect(cds(out(h)).map((r) => r.mr)).toEqual([254, 255, 0]);
  });

  it('writes the recipient in national or unknown form when the policy says so', () => {
    const h = routed({ reports: { delayMs: 0, recipientForm: 'national' } });
    submit(h);
    h.clock.advance(0);
    expect(cds(out(h))).toMatchObject([{ recipient: '89001234567', recipientType: 'national' }]);
    h.modem.reportPolicy = { ...h.modem.reportPolicy, recipientForm: 'unknown' };
    submit(h);
    h.clock.advance(0);
    expect(cds(out(h))).toMatchObject([{ recipient: '79001234567', recipientType: 'unknown' }]);
  });

  it('a report for a reference nobody sent', () => {
    const h = routed();
    h.modem.injectStatusReport({ mr: 77, to: '+79005550000', status: 0x46 });
    h.clock.advance(0);
    expect(cds(out(h))).toMatchObject([{ mr: 77, recipient: '+79005550000', status: 0x46 }]);
  });

  it('under AT+CSMS=1 the next +CDS waits for AT+CNMA; without it routing is turned off and the network keeps the reports', () => {
    const h = routed({ csmsService: 1, cnmaTimeoutMs: 10_000, reports: { delayMs: 0 } });
    expect(h.at('AT+CSMS?')).toContain('+CSMS: 1,1,1,1');
    submit(h);
    submit(h);
    h.clock.advance(0);
    expect(cds(out(h))).toHaveLength(1); // the second waits for the ack
    expect(h.at('AT+CNMA')).toMatch(/^\r\nOK\r\n\r\n\+CDS: /); // ack → the second follows at once
    // No ack this time: after the timeout the modem sets mt=ds=0 (27.005 §3.4.4).
    h.clock.advance(10_000);
    expect(h.at('AT+CNMI?')).toContain('+CNMI: 2,0,0,0,0');
    expect(h.modem.reportStats).toMatchObject({ unacknowledged: 1, held: 1 });
    expect(h.at('AT+CNMA')).toBe('\r\n+CMS ERROR: 340\r\n');
    // The host turns routing back on: the SMSC tries again.
    h.at('AT+CNMI=2,1,0,1,0');
    h.clock.advance(50);
    expect(cds(out(h))).toHaveLength(1);
  });

  it('under AT+CSMS=1 a report arriving right after AT+CNMA still queues behind the ones waiting: +CDS order is kept', () => {
    const h = routed({ csmsService: 1, cnmaTimeoutMs: 10_000 });
    h.modem.injectStatusReport({ mr: 1, to: TO });
    h.modem.injectStatusReport({ mr: 2, to: TO });
    h.clock.advance(0);
    const seen = cds(out(h)).map((r) => r.mr); // 1 routed, 2 waits for the ack
    h.modem.injectStatusReport({ mr: 3, to: TO }); // due before the ack's hand-over of 2
    h.send('AT+CNMA\r');
    h.clock.advance(0);
    seen.push(...cds(out(h)).map((r) => r.mr));
    h.send('AT+CNMA\r');
    h.clock.advance(0);
    seen.push(...cds(out(h)).map((r) => r.mr));
    expect(seen).toEqual([1, 2, 3]);
  });

  it('AT+CSMS=0: no ack expected, AT+CNMA is refused with 340', () => {
    const h = routed({ reports: { delayMs: 0 } });
    submit(h);
    h.clock.advance(0);
    expect(cds(out(h))).toHaveLength(1);
    expect(h.at('AT+CNMA')).toBe('\r\n+CMS ERROR: 340\r\n');
  });
});

describe('simulated status reports, ds=2 (stored, +CDSI)', () => {
  it('stores the report in the receive memory and announces its slot', () => {
    const h = harness({ reports: { delayMs: 0 } });
    h.at('AT+CNMI=2,1,0,2,0');
    const mr = submit(h);
    h.clock.advance(0);
    expect(out(h)).toBe('\r\n+CDSI: "SM",1\r\n');
    const read = h.at('AT+CMGR=1');
    const pdu = /\+CMGR: 0,,\d+\r\n([0-9A-F]+)/.exec(read)![1]!;
    expect(decodePdu(pdu)).toMatchObject({ type: 'status-report', mr });
    expect(h.at('AT+CMGL=4')).toContain(pdu); // the sweep finds stored reports too
  });

  it('fault stallNextDelete: the next AT+CMGD deletes nothing and gets no answer', () => {
    const h = harness({ reports: { delayMs: 0 } });
    h.at('AT+CNMI=2,1,0,2,0');
    submit(h);
    h.clock.advance(0);
    expect(out(h)).toBe('\r\n+CDSI: "SM",1\r\n');
    h.modem.faults.stallNextDelete();
    expect(h.at('AT+CMGD=1', 60_000)).toBe('');
    expect(h.modem.storage('SM')).toHaveLength(1);
    expect(h.at('AT+CMGD=1')).toBe('\r\nOK\r\n');
    expect(h.modem.storage('SM')).toEqual([]);
  });

  it('refuses ds=1 where AT+CNMI=? does not list it, so the host falls back to ds=2', () => {
    const h = harness({ cnmiSupport: '(0-3),(0-3),(0,2),(0,2),(0,1)' });
    expect(h.at('AT+CNMI=?')).toContain('+CNMI: (0-3),(0-3),(0,2),(0,2),(0,1)');
    expect(h.at('AT+CNMI=2,1,0,1,0')).toBe('\r\n+CMS ERROR: 303\r\n');
    expect(h.at('AT+CNMI=2,1,0,2,0')).toBe('\r\nOK\r\n');
  });

  it('ds=0: the report is lost and counted', () => {
    const h = harness({ reports: { delayMs: 0 } });
    submit(h);
    h.clock.advance(0);
    expect(out(h)).toBe('');
    expect(h.modem.reportStats).toMatchObject({ generated: 1, dropped: 1 });
  });

  it('Quectel EC25: stored in SR (0-based), announced as "SM",0 where an unrelated SMS sits', () => {
    const h = harness({ profile: 'quectel', reports: { delayMs: 0 } });
    h.at('AT+CMEE=1');
    expect(h.at('AT+CNMI=?')).toContain('(0-2),(0-3),(0,2),(0-2),(0,1)');
    expect(h.at('AT+CPMS=?')).toContain('("SM","ME","SR")');
    h.at('AT+CNMI=2,1,0,2,0');
    // Someone's SMS on the SIM card, slot 0 (Quectel counts from 0).
    const [unrelated] = encodeDeliver('+79001112233', 'keep me');
    h.modem.injectPdu(unrelated!);
    expect(out(h)).toBe('\r\n+CMTI: "SM",0\r\n');
    const mr = submit(h);
    h.clock.advance(0);
    expect(out(h)).toBe('\r\n+CDSI: "SM",0\r\n');
    expect(h.modem.storage('SR').map((s) => (decodePdu(s.pdu) as DecodedStatusReport).mr)).toEqual([mr]);
    expect(h.modem.storage('SR')[0]!.index).toBe(0);
    // SM 0 is the unrelated SMS, not the report.
    expect(h.at('AT+CMGR=0')).toContain(unrelated);
    expect(h.at('AT+CPMS="SR"')).toContain('OK');
    expect(h.at('AT+CMGL=4')).toMatch(/\+CMGL: 0,0,,\d+\r\n/);
    // SR is a read memory only.
    expect(h.at('AT+CPMS="SM","SR"')).toBe('\r\n+CMS ERROR: 302\r\n');
  });

  it('a full report memory holds reports in the network until a delete frees a slot', () => {
    const h = harness({ capacity: 1, reports: { delayMs: 0 } });
    h.at('AT+CNMI=2,1,0,2,0');
    submit(h);
    submit(h);
    h.clock.advance(0);
    expect(out(h)).toBe('\r\n+CDSI: "SM",1\r\n');
    expect(h.modem.reportStats.held).toBe(1);
    h.at('AT+CMGD=1');
    h.clock.advance(50);
    expect(out(h)).toBe('\r\n+CDSI: "SM",1\r\n');
  });
});

describe('report control requests', () => {
  it('sets the policy, reports on the last sent part, names bad fields', async () => {
    const h = routed({ reports: { delayMs: 0 } });
    const m = h.modem;
    const set = await handleControlRequest({ cmd: 'report', policy: { outcome: 'failed', status: 0x43, delayMs: 120_000 } }, { modem: m });
    expect(set).toMatchObject({ ok: true, policy: { outcome: 'failed', status: 0x43, delayMs: 120_000 } });
    const mr = submit(h);
    const now = await handleControlRequest({ cmd: 'report', sent: 'last', status: 0x22 }, { modem: m });
    expect(now).toMatchObject({ ok: true, mr });
    h.clock.advance(0);
    expect(cds(out(h))).toMatchObject([{ mr, status: 0x22 }]);
    h.clock.advance(120_000);
    expect(cds(out(h))).toMatchObject([{ mr, status: 0x43 }]);
    const unknown = await handleControlRequest({ cmd: 'report', mr: 200, to: '+79005550000', recipientForm: 'national' }, { modem: m });
    expect(decodePdu(unknown.pdu as string)).toMatchObject({ mr: 200, recipient: '89005550000', status: 0 });

    const bad = (req: Record<string, unknown>) => handleControlRequest({ cmd: 'report', ...req }, { modem: m });
    expect(await bad({ policy: { outcome: 'lost' } })).toMatchObject({ ok: false, error: expect.stringContaining('"outcome" must be one of delivered, failed, pending, none') });
    expect(await bad({ policy: { colour: 'red' } })).toMatchObject({ ok: false, error: expect.stringContaining('unknown report policy field "colour"') });
    expect(await bad({ policy: { temporaryStatus: 0x40 } })).toMatchObject({ ok: false, error: expect.stringContaining('0x20..0x3F') });
    expect(await bad({ sent: 99 })).toMatchObject({ ok: false, error: expect.stringContaining('"sent" must be "last" or an index') });
    expect(await bad({ mr: 300, to: TO })).toMatchObject({ ok: false, error: expect.stringContaining('0..255') });
    expect(await bad({ status: 0 })).toMatchObject({ ok: false, error: expect.stringContaining('need a report target') });
    expect(await handleControlRequest({ cmd: 'mr', next: 256 }, { modem: m })).toMatchObject({ ok: false, error: expect.stringContaining('0..255') });
    expect(await handleControlRequest({ cmd: 'mr', next: 250 }, { modem: m })).toEqual({ ok: true });
    expect(submit(h)).toBe(250);
  });
});
