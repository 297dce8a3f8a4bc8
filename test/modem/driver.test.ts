/**
 * The modem driver over the real serial path: SerialTransport (serialport) on a pseudo-terminal,
 * the AT engine, and the simulated modem imitating each profile's device on the other end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CmsError } from '../../src/at/errors.js';
import { PinRequiredError } from '../../src/modem/errors.js';
import { listProfiles, loadProfile } from '../../src/modem/profile.js';
import { decodePdu, encodeSubmit } from '../../src/sms/index.js';
import { waitFor } from '../helpers/harness.js';
import { closeRig, openRig, type Rig, type RigOptions } from './rig.js';

let rig: Rig | undefined;

async function connect(simProfile: string, driverProfile: string, o: RigOptions = {}): Promise<Rig> {
  rig = await openRig(simProfile, driverProfile, o);
  return rig;
}

afterEach(async () => {
  await closeRig(rig);
  rig = undefined;
});

describe('ModemDriver on a pseudo-terminal', () => {
  it.each(listProfiles())('initialises a simulated %s modem and detects its profile from AT+CGMI/AT+CGMM', async (name) => {
    const { driver, commands } = await connect(name, 'generic', { autoDetect: true });
    const info = await driver.init();
    expect(info.profile).toBe(name);
    expect(info.manufacturer).toBe(loadProfile(name).sim.manufacturer);
    // PDU mode, storage, new-message indications and caller ID are always set up.
    for (const cmd of ['ATE0', 'AT+CMGF=0', 'AT+CLIP=1']) expect(commands).toContain(cmd);
    expect(commands.some((c) => c.startsWith('AT+CPMS='))).toBe(true);
    expect(commands.some((c) => /^AT\+CNMI=[12],1,/.test(c))).toBe(true);
    for (const extra of loadProfile(name).init) expect(commands).toContain(extra);
  });

  it('reads, lists and deletes stored SMS; decodes what it read', async () => {
    const { sim, driver } = await connect('generic', 'generic');
    await driver.init();
    const stored: { memory: string; index: number }[] = [];
    driver.on('sms-stored', (s) => stored.push(s));
    sim.modem.injectSms('+79001234567', 'Привет из симулятора');
    await waitFor(() => stored.length === 1, '+CMTI');
    const sms = await driver.read(stored[0]!.memory, stored[0]!.index);
    const d = decodePdu(sms!.pdu);
    expect(d).toMatchObject({ type: 'deliver', sender: '+79001234567', text: 'Привет из симулятора', encoding: 'ucs2' });
    expect((await driver.listStored()).map((s) => s.index)).toEqual([stored[0]!.index]);
    await driver.delete(stored[0]!.memory, stored[0]!.index);
    expect(await driver.listStored()).toEqual([]);
    expect(await driver.read(stored[0]!.memory, stored[0]!.index)).toBeUndefined();
  });

  it('sends each part with the right AT+CMGS length and returns the TP-MR', async () => {
    const { sim, driver } = await connect('huawei', 'huawei', { sim: { noise: 0.5, seed: 7 } });
    await driver.init();
    const parts = encodeSubmit('+79001234567', 'Ж'.repeat(150), { ref: 9 });
    expect(parts).toHaveLength(3);
    const mrs: number[] = [];
    for (const p of parts) mrs.push((await driver.send(p)).mr);
    expect(new Set(mrs).size).toBe(3);
    expect(sim.modem.sent.map((s) => s.text).join('')).toBe('Ж'.repeat(150));
  });

  it('surfaces a CMS error from the network as a typed error with its code', async () => {
    const { sim, driver } = await connect('generic', 'generic');
    await driver.init();
    sim.modem.faults.cmsOnNextSend(500);
    const [part] = encodeSubmit('+79001234567', 'hello');
    const err = await driver.send(part!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CmsError);
    expect((err as CmsError).cms).toBe(500);
    expect((await driver.send(part!)).mr).toBeTypeOf('number');
  });

  it('unlocks a SIM with the configured PIN and refuses to guess without one', async () => {
    const a = await connect('generic', 'generic', { pin: '4321', sim: { pin: '4321' } });
    await expect(a.driver.init()).resolves.toMatchObject({ profile: 'generic' });
    expect(a.commands.filter((c) => c.startsWith('AT+CPIN='))).toHaveLength(1);
    await closeRig(a);
    rig = undefined;
    const b = await connect('generic', 'generic', { sim: { pin: '4321' } });
    const err = await b.driver.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PinRequiredError);
    expect((err as Error).message).toMatch(/SIM PIN.*Set "pin" in the config file/);
    expect(b.commands.some((c) => c.startsWith('AT+CPIN='))).toBe(false);
  });

  it('reads Wavecom +CPIN: READY that has no OK and goes on', async () => {
    const { driver } = await connect('wavecom', 'wavecom');
    await expect(driver.init()).resolves.toMatchObject({ profile: 'wavecom' });
  });

  it('reports status: signal, registration, operator, PIN', async () => {
    const { driver } = await connect('sim800', 'sim800');
    await driver.init();
    const s = await driver.status();
    expect(s.signal?.rssi).toBeTypeOf('number');
    expect(s.registration?.registered).toBe(true);
    expect(s.operator).toBeTruthy();
    expect(s.pin).toBe('READY');
  });

  it('reports an incoming call once with the caller ID and hangs up with the profile command', async () => {
    const { sim, driver, commands } = await connect('huawei', 'huawei', { sim: { ringIntervalMs: 100 } });
    await driver.init();
    const calls: string[] = [];
    driver.on('call', ({ from }) => calls.push(from));
    sim.modem.injectCall('+79007654321');
    await waitFor(() => calls.length === 1, 'call event');
    await driver.hangup();
    expect(commands).toContain('AT+CHUP');
    await new Promise((r) => setTimeout(r, 350));
    expect(calls).toEqual(['+79007654321']);
  });
});
