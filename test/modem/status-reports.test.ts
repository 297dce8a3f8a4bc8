/**
 * Status reports through the driver on the real serial path (serialport on a PTY) against the
 * simulated modem: ds=1 (`+CDS` with the PDU) where `AT+CNMI=?` offers it, else ds=2 (`+CDSI`,
 * read, delete), `AT+CNMA` under AT+CSMS=1, and the Quectel SR/"SM",0 quirk.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModemDriver, StatusReportNotice } from '../../src/modem/driver.js';
import type { SimulatedModemOptions } from '../../src/sim/index.js';
import { decodePdu, encodeDeliver, encodeSubmit, type DecodedStatusReport } from '../../src/sms/index.js';
import { waitFor } from '../helpers/harness.js';
import { closeRig, openRig, type Rig } from './rig.js';

interface ReportRig extends Rig {
  notices: StatusReportNotice[];
}

let rig: ReportRig | undefined;
const NO_DS1 = '(0-3),(0-3),(0,2),(0,2),(0,1)';

/** A driver (modem id m1) on a simulated modem of `profileName`, initialised, collecting status-report notices. */
async function connect(profileName: string, sim: Omit<SimulatedModemOptions, 'profile'> = {}): Promise<ReportRig> {
  const r = await openRig(profileName, profileName, { id: 'm1', sim: { noise: 0, ...sim } });
  const notices: StatusReportNotice[] = [];
  r.driver.on('status-report', (n) => notices.push(n));
  rig = { ...r, notices };
  await r.driver.init();
  return rig;
}

afterEach(async () => {
  await closeRig(rig);
  rig = undefined;
});

async function sendWithReport(driver: ModemDriver, to = '+79001234567'): Promise<number> {
  const [part] = encodeSubmit(to, 'report me', { statusReport: true });
  return (await driver.send(part!)).mr;
}

describe('status reports through the driver', () => {
  it('ds=1 where AT+CNMI=? allows it: +CDS arrives with the PDU and the modem id; no AT+CNMA under service 0', async () => {
    const { driver, commands, notices } = await connect('generic', { reports: { delayMs: 0 } });
    expect(commands).toContain('AT+CNMI=2,1,0,1,0');
    expect(driver.reportRouting).toBe('routed');
    expect(driver.ackRequired).toBe(false);
    const mr = await sendWithReport(driver);
    await waitFor(() => notices.length === 1, '+CDS');
    const n = notices[0]!;
    expect(n).toMatchObject({ modem: 'm1', kind: 'routed' });
    expect(decodePdu((n as { pdu: string }).pdu)).toMatchObject({ type: 'status-report', mr, recipient: '+79001234567', state: 'delivered' });
    await driver.ackStatusReport();
    expect(commands).not.toContain('AT+CNMA');
  });

  it('under AT+CSMS=1 each +CDS is acknowledged, so the next one comes', async () => {
    const { sim, driver, commands, notices } = await connect('generic', { csmsService: 1, reports: { delayMs: 0 } });
    expect(driver.ackRequired).toBe(true);
    const mrs = [await sendWithReport(driver), await sendWithReport(driver), await sendWithReport(driver)];
    for (let i = 1; i <= 3; i++) {
      await waitFor(() => notices.length === i, `report ${i}`);
      await driver.ackStatusReport();
    }
    expect(notices.map((n) => (decodePdu((n as { pdu: string }).pdu) as DecodedStatusReport).mr)).toEqual(mrs);
    expect(commands.filter((c) => c === 'AT+CNMA')).toHaveLength(3);
    expect(sim.modem.reportStats.unacknowledged).toBe(0);
  });

  it('ds=2 where ds=1 is not offered: +CDSI, read, delete — and an announced slot holding an SMS is left alone', async () => {
    const { sim, driver, commands, notices } = await connect('generic', { cnmiSupport: NO_DS1, reports: { delayMs: 0 } });
    expect(commands).toContain('AT+CNMI=2,1,0,2,0');
    expect(driver.reportRouting).toBe('stored');
    const mr = await sendWithReport(driver);
    await waitFor(() => notices.length === 1, '+CDSI');
    const n = notices[0]!;
    expect(n).toMatchObject({ modem: 'm1', kind: 'stored', memory: 'SM' });
    const found = await driver.readStatusReports(n as { memory: string; index: number });
    expect(found).toHaveLength(1);
    expect(decodePdu(found[0]!.pdu)).toMatchObject({ type: 'status-report', mr });
    await driver.delete(found[0]!.memory, found[0]!.index);
    expect(sim.modem.storage('SM')).toEqual([]);
    // A +CDSI pointing at an ordinary SMS (firmware bug): nothing to take.
    const [idx] = sim.modem.injectSms('+79005550000', 'not a report');
    expect(await driver.readStatusReports({ memory: 'SM', index: idx! })).toEqual([]);
    expect(sim.modem.storage('SM')).toHaveLength(1);
  });

  it('Quectel EC25 with ds=2: the report in SR is found, "SM",0 (an unrelated SMS) is never read or deleted', async () => {
    const { sim, driver, commands, notices } = await connect('quectel', { cnmiSupport: NO_DS1, reports: { delayMs: 0 } });
    expect(driver.reportRouting).toBe('stored');
    // Someone's SMS on the SIM card, slot 0 (Quectel counts from 0); our storage is ME.
    const [unrelated] = encodeDeliver('+79001112233', 'keep me');
    expect(sim.modem.injectPdu(unrelated!, { memory: 'SM' })).toBe(0);
    const mr = await sendWithReport(driver);
    await waitFor(() => notices.some((n) => n.kind === 'stored'), '+CDSI');
    const n = notices.find((x) => x.kind === 'stored')!;
    expect(n).toMatchObject({ kind: 'stored', memory: 'SM', index: 0 });
    const before = commands.length;
    const found = await driver.readStatusReports(n as { memory: string; index: number });
    expect(found.map((f) => [f.memory, f.index])).toEqual([['SR', 0]]);
    expect(decodePdu(found[0]!.pdu)).toMatchObject({ type: 'status-report', mr });
    await driver.delete('SR', 0);
    const issued = commands.slice(before);
    expect(issued).toContain('AT+CPMS="SR"');
    expect(issued.some((c) => c === 'AT+CPMS="SM"')).toBe(false);
    expect(sim.modem.storage('SR')).toEqual([]);
    expect(sim.modem.storage('SM').map((s) => s.pdu)).toEqual([unrelated]);
  });

  it('the storage sweep lists stored reports too (Quectel: ME and SR)', async () => {
    const { sim, driver } = await connect('quectel', { cnmiSupport: NO_DS1, reports: { delayMs: 0 } });
    expect(driver.sweepMemories()).toEqual(['ME', 'SR']);
    sim.modem.injectSms('+79005550000', 'inbound');
    const mr = await sendWithReport(driver);
    await waitFor(() => sim.modem.storage('SR').length === 1, 'stored report');
    const listed = await driver.listStored();
    expect(listed.map((s) => [s.memory, decodePdu(s.pdu).type])).toEqual([
      ['ME', 'deliver'],
      ['SR', 'status-report'],
    ]);
    expect((decodePdu(listed[1]!.pdu) as DecodedStatusReport).mr).toBe(mr);
  });

  it('firmware without the SR memory: the sweep skips it and still lists the SMS', async () => {
    rig = { ...(await openRig('generic', 'quectel', { sim: { noise: 0 } })), notices: [] };
    await rig.driver.init();
    rig.sim.modem.injectSms('+79005550000', 'still found');
    const listed = await rig.driver.listStored();
    expect(rig.commands).toContain('AT+CPMS="SR"');
    expect(listed.map((s) => [s.memory, decodePdu(s.pdu).type])).toEqual([['ME', 'deliver']]);
  });
});
